// matmul.cu: C = alpha * op(A) @ op(B) + beta * C with cuBLAS, on row-major data.
//   cuBLAS is column-major, and a row-major [M, N] matrix read column-major is its
//   transpose [N, M]. So we ask for C^T = op(B)^T @ op(A)^T: B goes first, M and N swap,
//   and each operand keeps its own transpose flag and its row-major leading dimension.
// Shapes: C: [M, N]; A: [M, K] ([K, M] when trans_a); B: [K, N] ([N, K] when trans_b).
// CPU twin: gemm_cpu (core/cpu/matmul.cpp, OpenBLAS). Tests: tests/test_matmul.cpp.
// Parallelism: cuBLAS's own, on the handle bound to cuda::stream(). Float32 math unless
//   set_tf32_math (core/device.h) allows TF32 tensor cores.
#include <climits>

#include "core/device.h"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

void gemm_cuda(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool trans_a,
               bool trans_b, float alpha, float beta) {
  SAR_CHECK(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX, "gemm_cuda: cuBLAS takes int sizes, got M = ", M,
            ", N = ", N, ", K = ", K);
  if (M == 0 || N == 0) return;
  auto handle = static_cast<cublasHandle_t>(cuda::cublas_handle());
  // An empty sum: C = beta * C. cuBLAS would refuse the leading dimension 0, and beta == 0
  // must give zeros even where C holds NaN (it is fresh, uninitialized memory).
  if (K == 0) {
    if (beta == 0.f) {
      CUDA_CHECK(cudaMemsetAsync(C, 0, size_t(M * N) * sizeof(float), static_cast<cudaStream_t>(cuda::stream())));
    } else {
      SAR_CHECK(M * N <= INT_MAX, "gemm_cuda: cuBLAS scales at most INT_MAX elements, C has ", M * N);
      CUBLAS_CHECK(cublasSscal(handle, int(M * N), &beta, C, 1));
    }
    return;
  }
  // TF32 tensor cores only when asked (core/device.h); the default math multiplies in float32.
  CUBLAS_CHECK(cublasSetMathMode(handle, tf32_math() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  // Row-major leading dimension = the stored row length.
  const int lda = int(trans_a ? M : K), ldb = int(trans_b ? K : N);
  CUBLAS_CHECK(cublasSgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, int(N),
                           int(M), int(K), &alpha, B, ldb, A, lda, &beta, C, int(N)));
}

}  // namespace sar
