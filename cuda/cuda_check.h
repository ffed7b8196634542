// cuda_check.h: the CUDA, cuBLAS and cuDNN calls whose failure is an error go through these
// macros (allocation and device discovery handle theirs where they happen: an out-of-memory
// retries after emptying the cache, no device means the CPU). A failure throws sar::Error naming
// the call (or the kernel), the library's own error string and file:line:
//   launch of softmax_rows_forward_kernel failed: invalid configuration argument (cuda/softmax.cu:88)
// Included only by .cu files.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/error.h"

#define CUDA_CHECK(call)                                                                   \
  do {                                                                                     \
    cudaError_t status_ = (call);                                                          \
    if (status_ != cudaSuccess) SAR_THROW(#call " failed: ", cudaGetErrorString(status_)); \
  } while (0)

#define CUBLAS_CHECK(call)                                                                      \
  do {                                                                                          \
    cublasStatus_t status_ = (call);                                                            \
    if (status_ != CUBLAS_STATUS_SUCCESS) SAR_THROW(#call " failed: ", cublasGetStatusString(status_)); \
  } while (0)

#define CUDNN_CHECK(call)                                                                     \
  do {                                                                                        \
    cudnnStatus_t status_ = (call);                                                           \
    if (status_ != CUDNN_STATUS_SUCCESS) SAR_THROW(#call " failed: ", cudnnGetErrorString(status_)); \
  } while (0)

// After every kernel launch: catches bad launch configurations at the launch site, by name.
#define CUDA_CHECK_LAUNCH(kernel_name)                                                                   \
  do {                                                                                                   \
    cudaError_t status_ = cudaGetLastError();                                                            \
    if (status_ != cudaSuccess) SAR_THROW("launch of " #kernel_name " failed: ", cudaGetErrorString(status_)); \
  } while (0)

// for (i = this thread's first element; i < n; i += all threads of the grid)
#define GRID_STRIDE_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

namespace sar::cuda {
constexpr int kThreads = 256;  // default block size of the elementwise kernels
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 65535 * 32 ? (b > 0 ? b : 1) : 65535 * 32);  // grid-stride loops cover the rest
}
}  // namespace sar::cuda
