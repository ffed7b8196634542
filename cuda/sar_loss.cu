// sar_loss.cu: SAR loss forward and backward (paper Eq. 7-9, as core/ops/sar_loss.h states them).
//   c_t = sigmoid(s_t), w_t = c_t / sum c (Eq. 9); r_t = exp(-lambda |p_t - o_t - K*|_1) (Eq. 5, 8);
//   L_r = -log(sum_t w_t r_t + eps) (Eq. 7), in log space; loss = mean of L_r over rows with weight > 0
//   backward, with S = sum_t w_t r_t: dL_r/do_t = -lambda w_t r_t sign(K_t - K*) / (S + eps),
//   dL_r/ds_t = -w_t (r_t - S) (1 - c_t) / (S + eps), times dloss / valid rows
// Shapes (r = n*J + j, NJ rows, G = h*w): offsets [NJ, 2, G], logits [NJ, G], target [NJ, 2], weight [NJ]
//   -> loss [1], inv_valid [1], lse [NJ, 2]; backward -> doffsets [NJ, 2, G], dlogits [NJ, G]. Kernels overwrite.
// CPU twins: sar_loss_forward_cpu / sar_loss_backward_cpu (core/cpu/sar_loss.cpp); the cell math is
// core/sar_math.h. Tests: tests/test_sar_loss.cpp.
// Parallelism: forward: one block per row, threads stride over G keeping an online log-sum-exp,
// combined by block_max and block_sum (cuda/block_reduce.cuh); then one block takes the mean over
// the rows on the device (no host sync). Backward: one thread per cell (grid rows x cell chunks),
// reading the row's saved lse: memory-bound, 12 bytes read and 12 written per cell.
#include "core/sar_math.h"
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// One block per row r: lse[r] = (log sum_t c_t, log sum_t c_t r_t); (0, 0) for a dropped row.
__global__ void sar_loss_forward_kernel(float* __restrict__ lse, const float* __restrict__ offsets,
                                        const float* __restrict__ logits, const float* __restrict__ target,
                                        const float* __restrict__ weight, int h, int w, float lambda) {
  const int64_t r = blockIdx.x;
  const int G = h * w;
  // The whole block leaves together, so no thread waits in a block reduction for it.
  if (!sar_row_valid(weight[r])) {
    if (threadIdx.x == 0) lse[2 * r] = lse[2 * r + 1] = 0.f;
    return;
  }
  // pass 1: each thread's log-sum-exps over its cells t = threadIdx.x, threadIdx.x + blockDim.x, ...
  const SarRow<float> row = sar_row(offsets, logits, target, r, G);
  LogSumExp<float> sum_c, sum_cr;
  for (int t = threadIdx.x; t < G; t += blockDim.x) {
    const SarCellTerms<float> c = sar_cell_terms(row, t, h, w, lambda);
    sum_c.add(c.log_c);
    sum_cr.add(c.log_c + c.log_r);
  }
  // pass 2: combine the threads' parts at the block's max (a thread without cells adds 0)
  const float max_c = block_max(sum_c.max), max_cr = block_max(sum_cr.max);
  const float total_c = block_sum(sum_c.sum_at(max_c)), total_cr = block_sum(sum_cr.sum_at(max_cr));
  if (threadIdx.x == 0) {
    lse[2 * r] = max_c + logf(total_c);
    lse[2 * r + 1] = max_cr + logf(total_cr);
  }
}

// One block: loss[0] = the mean of L_r over the valid rows, inv_valid[0] = 1 / their number (0, 0
// when none). The rows' order of summation is fixed, so the loss is deterministic.
__global__ void sar_loss_mean_kernel(float* loss, float* inv_valid, const float* lse, const float* weight, int64_t NJ,
                                     float log_eps) {
  float total = 0.f, count = 0.f;
  for (int64_t r = threadIdx.x; r < NJ; r += blockDim.x) {
    if (!sar_row_valid(weight[r])) continue;
    total += sar_row_loss(lse[2 * r], lse[2 * r + 1], log_eps);
    count += 1.f;  // exact up to 2^24 rows
  }
  total = block_sum(total);
  count = block_sum(count);
  if (threadIdx.x == 0) {
    *loss = count > 0.f ? total / count : 0.f;
    *inv_valid = count > 0.f ? 1.f / count : 0.f;
  }
}

// One thread per cell: row r = blockIdx.x, cell t = blockIdx.y * blockDim.x + threadIdx.x. The
// 2-D grid spares every thread a 64-bit division to find its row, and one thread per block
// computes the row's constants: work that every warp repeats costs as much issue time as the
// cell math, which must stay shorter than the cell's 24 bytes of memory traffic.
__global__ void sar_loss_backward_kernel(float* __restrict__ doffsets, float* __restrict__ dlogits,
                                         const float* __restrict__ dloss, const float* __restrict__ inv_valid,
                                         const float* __restrict__ lse, const float* __restrict__ offsets,
                                         const float* __restrict__ logits, const float* __restrict__ target,
                                         const float* __restrict__ weight, int h, int w, float lambda, float eps) {
  const int64_t r = blockIdx.x;
  const int G = h * w, t = blockIdx.y * blockDim.x + threadIdx.x;
  __shared__ bool valid;
  __shared__ SarRowGrad<float> row_grad;
  if (threadIdx.x == 0) {
    valid = sar_row_valid(weight[r]);
    row_grad = sar_row_grad(lse[2 * r], lse[2 * r + 1], eps, dloss[0] * inv_valid[0]);
  }
  __syncthreads();
  if (t >= G) return;
  // dropped rows get zeros: they are not in the mean
  SarCellGrad<float> g{0.f, 0.f, 0.f};
  if (valid) {
    const SarRow<float> row = sar_row(offsets, logits, target, r, G);
    g = sar_cell_grad(sar_cell_terms(row, t, h, w, lambda), row_grad, lambda);
  }
  if (doffsets) {
    doffsets[2 * r * G + t] = g.dox;
    doffsets[(2 * r + 1) * G + t] = g.doy;
  }
  if (dlogits) dlogits[r * G + t] = g.ds;
}

// The kernels index a row's cells with int, and the backward's grid has G / kThreads blocks in y.
static void check_sizes(const char* launcher, int64_t NJ, int64_t h, int64_t w) {
  // 2^24: sar_loss_mean_kernel counts the valid rows in a float, exact up to there
  SAR_CHECK(NJ < (int64_t(1) << 24), launcher, ": too many rows (", NJ, ")");
  SAR_CHECK(h * w < int64_t(65535) * cuda::kThreads, launcher, ": a map of ", h, " x ", w, " is too large");
}

void sar_loss_forward_cuda(float* loss, float* inv_valid, float* lse, const float* offsets, const float* logits,
                           const float* target, const float* weight, int64_t NJ, int64_t h, int64_t w, float lambda,
                           float eps) {
  check_sizes("sar_loss_forward_cuda", NJ, h, w);
  if (NJ > 0) {
    sar_loss_forward_kernel<<<unsigned(NJ), cuda::kThreads, 0, stream()>>>(lse, offsets, logits, target, weight,
                                                                             int(h), int(w), lambda);
    CUDA_CHECK_LAUNCH(sar_loss_forward_kernel);
  }
  // Also for NJ == 0: it writes loss = 0 and inv_valid = 0.
  sar_loss_mean_kernel<<<1, cuda::kThreads, 0, stream()>>>(loss, inv_valid, lse, weight, NJ, logf(eps));
  CUDA_CHECK_LAUNCH(sar_loss_mean_kernel);
}

void sar_loss_backward_cuda(float* doffsets, float* dlogits, const float* dloss, const float* inv_valid,
                            const float* lse, const float* offsets, const float* logits, const float* target,
                            const float* weight, int64_t NJ, int64_t h, int64_t w, float lambda, float eps) {
  check_sizes("sar_loss_backward_cuda", NJ, h, w);
  if (NJ == 0 || (!doffsets && !dlogits)) return;
  const dim3 grid(unsigned(NJ), unsigned((h * w + cuda::kThreads - 1) / cuda::kThreads));
  sar_loss_backward_kernel<<<grid, cuda::kThreads, 0, stream()>>>(doffsets, dlogits, dloss, inv_valid, lse, offsets,
                                                                    logits, target, weight, int(h), int(w), lambda,
                                                                    eps);
  CUDA_CHECK_LAUNCH(sar_loss_backward_kernel);
}

}  // namespace sar
