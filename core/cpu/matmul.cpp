// matmul.cpp: CPU twin of cuda/matmul.cu. The product itself is OpenBLAS's gemm on the
// row-major data; this file only maps our arguments onto the CBLAS call.
#include <cblas.h>

#include <climits>

#include "core/cpu/kernels_cpu.h"
#include "core/error.h"

namespace sar {

static void gemm_blas(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                      const float* B, int ldb, float beta, float* C) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
              alpha, A, lda, B, ldb, beta, C, N);
}

static void gemm_blas(bool trans_a, bool trans_b, int M, int N, int K, double alpha, const double* A, int lda,
                      const double* B, int ldb, double beta, double* C) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
              alpha, A, lda, B, ldb, beta, C, N);
}

// C: [M, N]; A: [M, K], or [K, M] when trans_a; B: [K, N], or [N, K] when trans_b.
template <typename T>
void gemm_cpu(T* C, const T* A, const T* B, int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, T alpha,
              T beta) {
  SAR_CHECK(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX, "gemm_cpu: BLAS takes int sizes, got M = ", M, ", N = ", N,
            ", K = ", K);
  if (M == 0 || N == 0) return;
  // An empty sum: C = beta * C. BLAS would refuse the leading dimension 0, and beta == 0
  // must give zeros even where C holds NaN (it is fresh, uninitialized memory).
  if (K == 0) {
    for (int64_t i = 0; i < M * N; ++i) C[i] = beta == T(0) ? T(0) : beta * C[i];
    return;
  }
  // Row-major leading dimension = the stored row length.
  const int lda = int(trans_a ? M : K), ldb = int(trans_b ? K : N);
  gemm_blas(trans_a, trans_b, int(M), int(N), int(K), alpha, A, lda, B, ldb, beta, C);
}

template void gemm_cpu<float>(float*, const float*, const float*, int64_t, int64_t, int64_t, bool, bool, float,
                              float);
template void gemm_cpu<double>(double*, const double*, const double*, int64_t, int64_t, int64_t, bool, bool, double,
                               double);

}  // namespace sar
