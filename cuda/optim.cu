// optim.cu: the fused optimizer updates and the sum of squares of a gradient (train/optimizer.h).
//   Adam (torch.optim.Adam): g' = g + wd p; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
//        p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   SGD with momentum (torch.optim.SGD): g' = g + wd p; buf = momentum buf + g'; p -= lr buf
//   sum of squares: out = sum_i x_i^2 in double (the global gradient norm, the non-finite guard)
// Shapes: p, m, v, buf, g, x [n]. The updates are IN PLACE: one read of p, g and the state and one
// write of p and the state per element. CPU twins: adam_update_cpu / sgd_update_cpu /
// sum_squares_cpu (core/cpu/optim.cpp); the per-element math is core/optim_math.h.
// Tests: tests/test_optimizer.cpp. Parallelism: updates, one thread per element (grid-stride);
// sum of squares, a grid that depends on n only writes one partial per block and a single block
// adds them, so the sum (and a clipped gradient) is the same in every run.
#include <algorithm>
#include <memory>

#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// At most this many partial sums: enough blocks to fill a GPU, few enough for one block to add.
constexpr int kSumSquaresMaxBlocks = 512;

__global__ void adam_update_kernel(float* __restrict__ p, float* __restrict__ m, float* __restrict__ v,
                                   const float* __restrict__ g, int64_t n, AdamCoefficients<float> c) {
  GRID_STRIDE_LOOP(i, n) adam_update_element(p[i], m[i], v[i], g[i], c);
}

__global__ void sgd_update_kernel(float* __restrict__ p, float* __restrict__ buf, const float* __restrict__ g,
                                  int64_t n, SgdCoefficients<float> c) {
  GRID_STRIDE_LOOP(i, n) sgd_update_element(p[i], buf[i], g[i], c);
}

// The sum of v over the block, valid in thread 0. Double, unlike block_sum (cuda/block_reduce.cuh):
// squares of float gradients above ~1.8e19 overflow float, and the guard must not call them Inf.
__device__ double block_sum_double(double v) {
  __shared__ double per_warp[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // step 1: each warp folds its 32 values into lane 0
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  if (lane == 0) per_warp[warp] = v;
  __syncthreads();
  // step 2: the first warp folds the per-warp sums
  if (warp != 0) return 0.0;
  v = lane < int(blockDim.x / 32) ? per_warp[lane] : 0.0;
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// pass 1: partial[block] = the sum of x_i^2 over the block's grid-stride elements
__global__ void sum_squares_partial_kernel(double* __restrict__ partial, const float* __restrict__ x, int64_t n) {
  double sum = 0;
  GRID_STRIDE_LOOP(i, n) sum += double(x[i]) * double(x[i]);
  sum = block_sum_double(sum);
  if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// pass 2 (one block): out[0] = the sum of the partials
__global__ void sum_partials_kernel(double* __restrict__ out, const double* __restrict__ partial, int blocks) {
  double sum = 0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) sum += partial[b];
  sum = block_sum_double(sum);
  if (threadIdx.x == 0) out[0] = sum;
}

void adam_update_cuda(float* p, float* m, float* v, const float* g, int64_t n, const AdamCoefficients<float>& c) {
  if (n == 0) return;
  adam_update_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(p, m, v, g, n, c);
  CUDA_CHECK_LAUNCH(adam_update_kernel);
}

void sgd_update_cuda(float* p, float* buf, const float* g, int64_t n, const SgdCoefficients<float>& c) {
  if (n == 0) return;
  sgd_update_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(p, buf, g, n, c);
  CUDA_CHECK_LAUNCH(sgd_update_kernel);
}

void sum_squares_cuda(double* out, const float* x, int64_t n) {
  const int blocks = static_cast<int>(std::min<unsigned>(cuda::blocks_for(n), kSumSquaresMaxBlocks));
  // the partials live in a block of the caching allocator, released after the launches: the
  // one stream orders any later user of that block after pass 2
  std::unique_ptr<void, void (*)(void*)> partial(cuda::allocator().allocate(blocks * sizeof(double)),
                                                 [](void* ptr) { cuda::allocator().release(ptr); });
  double* partial_sums = static_cast<double*>(partial.get());
  sum_squares_partial_kernel<<<blocks, cuda::kThreads, 0, stream()>>>(partial_sums, x, n);
  CUDA_CHECK_LAUNCH(sum_squares_partial_kernel);
  sum_partials_kernel<<<1, cuda::kThreads, 0, stream()>>>(out, partial_sums, blocks);
  CUDA_CHECK_LAUNCH(sum_partials_kernel);
}

}  // namespace sar
