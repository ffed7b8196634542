// softmax.cpp: CPU twins of cuda/softmax.cu. x, y, dx, dy are [outer, R, inner]; each
// (o, i) is one distribution over r, whose elements lie `inner` apart.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu/kernels_cpu.h"

namespace sar {

template <typename T>
void softmax_forward_cpu(T* y, const T* x, int64_t outer, int64_t R, int64_t inner, bool log) {
#pragma omp parallel for if (outer * R * inner >= kParallelMin)
  for (int64_t j = 0; j < outer * inner; ++j) {
    const int64_t start = (j / inner) * R * inner + j % inner;  // element [o, 0, i]
    const T* xj = x + start;
    T* yj = y + start;
    // pass 1: the max, so that every exp below is of a number <= 0 and cannot overflow
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < R; ++r) m = std::max(m, xj[r * inner]);
    // pass 2: the normaliser s = sum exp(x - m), at least 1 (the max's own term)
    T s = T(0);
    for (int64_t r = 0; r < R; ++r) s += std::exp(xj[r * inner] - m);
    // pass 3: write exp(x - m) / s, or its log
    const T log_s = std::log(s);
    for (int64_t r = 0; r < R; ++r)
      yj[r * inner] = log ? xj[r * inner] - m - log_s : std::exp(xj[r * inner] - m) / s;
  }
}

template <typename T>
void softmax_backward_cpu(T* dx, const T* dy, const T* y, int64_t outer, int64_t R, int64_t inner, bool log) {
#pragma omp parallel for if (outer * R * inner >= kParallelMin)
  for (int64_t j = 0; j < outer * inner; ++j) {
    const int64_t start = (j / inner) * R * inner + j % inner;
    const T* dyj = dy + start;
    const T* yj = y + start;
    T* dxj = dx + start;
    // pass 1: softmax needs sum dy * y, log-softmax sum dy
    T dot = T(0);
    for (int64_t r = 0; r < R; ++r) dot += log ? dyj[r * inner] : dyj[r * inner] * yj[r * inner];
    // pass 2: dx = y * (dy - dot), or dy - softmax * dot (exp(y) is the softmax)
    for (int64_t r = 0; r < R; ++r) {
      const int64_t k = r * inner;
      dxj[k] = log ? dyj[k] - std::exp(yj[k]) * dot : yj[k] * (dyj[k] - dot);
    }
  }
}

#define SAR_INSTANTIATE(T)                                                                     \
  template void softmax_forward_cpu<T>(T*, const T*, int64_t, int64_t, int64_t, bool);         \
  template void softmax_backward_cpu<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, bool);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
