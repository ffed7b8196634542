// reduce.cpp: CPU twins of cuda/reduce.cu. x is viewed as [outer, R, inner].
#include "core/cpu/kernels_cpu.h"

namespace sar {

template <typename T>
void sum_axis_cpu(T* out, const T* x, int64_t outer, int64_t R, int64_t inner) {
#pragma omp parallel for if (outer * R * inner >= kParallelMin)
  for (int64_t o = 0; o < outer; ++o) {
    T* row = out + o * inner;
    for (int64_t i = 0; i < inner; ++i) row[i] = T(0);
    // r outside, i inside: walks x contiguously.
    for (int64_t r = 0; r < R; ++r) {
      const T* xr = x + (o * R + r) * inner;
      for (int64_t i = 0; i < inner; ++i) row[i] += xr[i];
    }
  }
}

template <typename T>
void max_axis_cpu(T* out, int64_t* argmax, const T* x, int64_t outer, int64_t R, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* xi = x + o * R * inner + i;
      int64_t best = 0;
      for (int64_t r = 1; r < R; ++r)
        if (max_ranks_before(xi[r * inner], r, xi[best * inner], best)) best = r;
      out[o * inner + i] = xi[best * inner];
      argmax[o * inner + i] = best;
    }
  }
}

template <typename T>
void broadcast_axis_cpu(T* dx, const T* dout, int64_t outer, int64_t R, int64_t inner, T scale) {
#pragma omp parallel for if (outer * R * inner >= kParallelMin)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t i = 0; i < inner; ++i) dx[(o * R + r) * inner + i] = scale * dout[o * inner + i];
}

template <typename T>
void max_axis_backward_cpu(T* dx, const T* dout, const int64_t* argmax, int64_t outer, int64_t R, int64_t inner) {
  for (int64_t j = 0; j < outer * R * inner; ++j) dx[j] = T(0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) dx[(o * R + argmax[o * inner + i]) * inner + i] = dout[o * inner + i];
}

#define SAR_INSTANTIATE(T)                                                                   \
  template void sum_axis_cpu<T>(T*, const T*, int64_t, int64_t, int64_t);                    \
  template void max_axis_cpu<T>(T*, int64_t*, const T*, int64_t, int64_t, int64_t);          \
  template void broadcast_axis_cpu<T>(T*, const T*, int64_t, int64_t, int64_t, T);           \
  template void max_axis_backward_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
