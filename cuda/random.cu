// random.cu: uniform, normal and Bernoulli draws from Philox-4x32-10 (core/philox.h).
//   out[i] = philox_sample(kind, seed, offset + i, a, b): counter-based, so every thread
//   computes its element alone and the result equals the CPU's for the same (seed, offset).
// Shapes: out: [n]. CPU twin: random_fill_cpu (core/cpu/random.cpp). Tests: tests/test_rng.cpp.
// Parallelism: one thread per element, grid-stride loop.
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

__global__ void random_fill_kernel(float* out, int64_t n, RandomKind kind, uint64_t seed, uint64_t offset, double a,
                                   double b) {
  GRID_STRIDE_LOOP(i, n) out[i] = philox_sample<float>(kind, seed, offset + uint64_t(i), a, b);
}

void random_fill_cuda(float* out, int64_t n, RandomKind kind, uint64_t seed, uint64_t offset, double a, double b) {
  if (n == 0) return;
  random_fill_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, static_cast<cudaStream_t>(cuda::stream())>>>(
      out, n, kind, seed, offset, a, b);
  CUDA_CHECK_LAUNCH(random_fill_kernel);
}

}  // namespace sar
