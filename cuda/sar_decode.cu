// sar_decode.cu: SAR inference, the top-m grid cells of each keypoint (paper Eq. 11).
//   c_t = sigmoid(s_t). m == 1: t* = the best cell by s_t, score = c_t* / sum_t c_t (= max_t w_t).
//   m > 1: the m best cells by s_t among those with c_t >= gamma, best first, score = c_t.
//   Order, gamma test and cell -> (x, y) in input pixels: core/sar_decode_math.h, shared with the twin.
// Shapes (rows = N*J, G = h*w): logits [rows, G], offsets [rows, 2, G] -> coords [rows, m, 2],
// scores [rows, m], count [rows]. Overwrites every slot (unused ones with 0).
// CPU twin: sar_decode_cpu (core/cpu/sar_decode.cpp). Tests: tests/test_sar_decode.cpp.
// Parallelism: one block per row, threads stride over its G cells. m == 1: one pass keeps each
// thread's best cell, a block arg-max, then a second pass sums c_t / c_best (SarDecodeWeightRatio:
// one exp per cell, finite where every c_t underflows) and a block sum. m > 1: m rounds of
// block arg-max, round r taking the best cell that ranks after round r-1's pick; the ranking is a
// strict total order, so that skips exactly the cells already taken, with no mask, no shared
// buffer of G values (a 96x72 map would not fit a sort in shared memory) and no atomics. Each
// thread reads about m * G / 256 logits (810 for m = 30 on 96x72), mostly from L1/L2.
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"
#include "core/sar_decode_math.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// The best (logit s, cell t) among the 32 lanes of a warp by sar_decode_ranks_before, returned to
// every lane: xor shuffles, so after 5 steps each lane has compared itself with all the others.
__device__ void warp_best(float* s, int64_t* t) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other_s = __shfl_xor_sync(0xffffffffu, *s, offset);
    const int64_t other_t = __shfl_xor_sync(0xffffffffu, (long long)*t, offset);
    if (sar_decode_ranks_before(other_s, other_t, *s, *t)) { *s = other_s; *t = other_t; }
  }
}

// The best (logit s, cell t) over the whole block, returned to every thread. A thread without a
// candidate passes (-inf, G), which every real cell (t < G) ranks before. Any reduction tree gives
// the same answer, because the order is total. Every thread of the block must call it (it holds
// __syncthreads), with blockDim.x a multiple of 32 and at most 1024, as block_sum requires too.
__device__ void block_best(float* s, int64_t* t) {
  __shared__ float warp_s[32];
  __shared__ int64_t warp_t[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  warp_best(s, t);
  if (lane == 0) { warp_s[warp] = *s; warp_t[warp] = *t; }
  __syncthreads();
  // every warp folds the per-warp results, so all threads end with the block's best; lanes past
  // the last warp hold (-inf, INT64_MAX), which ranks after everything, the (-inf, G) of "none" too
  const bool real = lane < int(blockDim.x / 32);
  *s = real ? warp_s[lane] : -INFINITY;
  *t = real ? warp_t[lane] : INT64_MAX;
  warp_best(s, t);
  __syncthreads();  // warp_s, warp_t are reused by the next call
}

__global__ void sar_decode_kernel(float* coords, float* scores, int64_t* count, const float* offsets,
                                  const float* logits, int64_t h, int64_t w, int m, float gamma, float stride) {
  const int64_t G = h * w, row = blockIdx.x;
  const float* s = logits + row * G;       // [G]
  const float* o = offsets + row * 2 * G;  // [2, G]
  float* xy = coords + row * m * 2;        // [m, 2]
  float* score = scores + row * m;         // [m]

  if (m == 1) {
    // Top-down: each thread's best cell, then the block's (known to every thread) ...
    float best_s = -INFINITY;
    int64_t best_t = G;
    for (int64_t t = threadIdx.x; t < G; t += blockDim.x)
      if (sar_decode_ranks_before(s[t], t, best_s, best_t)) { best_s = s[t]; best_t = t; }
    block_best(&best_s, &best_t);
    // ... then its score max_t w_t = 1 / sum_t (c_t / c_best), a second sweep of the row (in cache)
    const SarDecodeWeightRatio<float> ratio(s[best_t]);
    float ratio_sum = 0.f;
    for (int64_t t = threadIdx.x; t < G; t += blockDim.x) ratio_sum += ratio(s[t]);
    ratio_sum = block_sum(ratio_sum);
    if (threadIdx.x == 0) {
      sar_decode_position(xy, o, best_t, h, w, stride);
      score[0] = 1.f / ratio_sum;  // max_t w_t
      count[row] = 1;
    }
    return;
  }

  // Bottom-up: round r picks the best cell that passes gamma and ranks after the previous pick.
  // The first round's "previous pick" (+inf, -1) ranks before every cell.
  float prev_s = INFINITY;
  int64_t prev_t = -1;
  int found = 0;
  for (; found < m; ++found) {
    float best_s = -INFINITY;
    int64_t best_t = G;
    for (int64_t t = threadIdx.x; t < G; t += blockDim.x)
      if (sar_decode_ranks_before(prev_s, prev_t, s[t], t) && sar_decode_ranks_before(s[t], t, best_s, best_t) &&
          sar_decode_passes_gamma(s[t], gamma)) {
        best_s = s[t];
        best_t = t;
      }
    block_best(&best_s, &best_t);
    if (best_t == G) break;  // no cell left: the same answer in every thread, so all leave together
    if (threadIdx.x == 0) {
      sar_decode_position(xy + 2 * found, o, best_t, h, w, stride);
      score[found] = sigmoid_of(best_s);
    }
    prev_s = best_s;
    prev_t = best_t;
  }
  // the unused slots, and how many are real
  for (int r = found + threadIdx.x; r < m; r += blockDim.x) xy[2 * r] = xy[2 * r + 1] = score[r] = 0.f;
  if (threadIdx.x == 0) count[row] = found;
}

void sar_decode_cuda(float* coords, float* scores, int64_t* count, const float* offsets, const float* logits,
                     int64_t rows, int64_t h, int64_t w, int m, float gamma, float stride) {
  if (rows == 0) return;
  SAR_CHECK(rows < (int64_t(1) << 31), "sar_decode_cuda: too many keypoint maps (", rows, ")");
  SAR_CHECK(m >= 1 && m <= h * w, "sar_decode_cuda: m = ", m, " must be in [1, h*w = ", h * w, "]");
  sar_decode_kernel<<<unsigned(rows), cuda::kThreads, 0, stream()>>>(coords, scores, count, offsets, logits, h, w, m,
                                                                      gamma, stride);
  CUDA_CHECK_LAUNCH(sar_decode_kernel);
}

}  // namespace sar
