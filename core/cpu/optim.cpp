// optim.cpp: CPU twins of cuda/optim.cu: the fused Adam and SGD-momentum updates (one pass
// reads a parameter, its gradient and its state, and writes the parameter and the state) and the
// sum of squares behind the global gradient norm. The per-element math is core/optim_math.h.
#include <algorithm>
#include <vector>

#include "core/cpu/kernels_cpu.h"

namespace sar {

// The coefficients are copied into a local first: stores to the tensors could otherwise alias
// them, and the compiler would reload them every element and keep the loops scalar. Vectorized,
// each element still gets the same IEEE operations in the same order (sqrt and division are
// correctly rounded in SIMD too), so results do not change; see also optim.o's flags in the
// Makefile.
template <typename T>
void adam_update_cpu(T* p, T* m, T* v, const T* g, int64_t n, const AdamCoefficients<T>& coefficients) {
  const AdamCoefficients<T> c = coefficients;
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) adam_update_element(p[i], m[i], v[i], g[i], c);
}

template <typename T>
void sgd_update_cpu(T* p, T* buf, const T* g, int64_t n, const SgdCoefficients<T>& coefficients) {
  const SgdCoefficients<T> c = coefficients;
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) sgd_update_element(p[i], buf[i], g[i], c);
}

template <typename T>
void sum_squares_cpu(double* out, const T* x, int64_t n) {
  // pass 1: one partial sum per fixed-size chunk, in parallel; an OpenMP reduction would add the
  // threads' sums in whatever order they finish, and the norm would change from run to run
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(chunks, 0.0);
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t end = std::min(n, (k + 1) * kChunk);
    double sum = 0;
    for (int64_t i = k * kChunk; i < end; ++i) sum += double(x[i]) * double(x[i]);
    partial[k] = sum;
  }
  // pass 2: the chunks in order
  double total = 0;
  for (double s : partial) total += s;
  *out = total;
}

#define SAR_INSTANTIATE(T)                                                                          \
  template void adam_update_cpu<T>(T*, T*, T*, const T*, int64_t, const AdamCoefficients<T>&);       \
  template void sgd_update_cpu<T>(T*, T*, const T*, int64_t, const SgdCoefficients<T>&);             \
  template void sum_squares_cpu<T>(double*, const T*, int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
