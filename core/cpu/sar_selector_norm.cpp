// sar_selector_norm.cpp: CPU twins of cuda/sar_selector_norm.cu, w_t = c_t / sum_t c_t (Eq. 9)
// over each row of logits [rows, G]. The math of a cell is core/sar_math.h.
#include "core/cpu/kernels_cpu.h"
#include "core/sar_math.h"

namespace sar {

template <typename T>
void sar_selector_norm_forward_cpu(T* w, const T* logits, int64_t rows, int64_t G) {
#pragma omp parallel for if (rows * G >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = logits + r * G;
    // pass 1: lse_c = log sum_t c_t
    LogSumExp<T> sum_c;
    for (int64_t t = 0; t < G; ++t) sum_c.add(log_sigmoid(s[t]));
    // pass 2: w_t = exp(log c_t - lse_c)
    const T lse_c = sum_c.value();
    for (int64_t t = 0; t < G; ++t) w[r * G + t] = selector_weight(s[t], lse_c);
  }
}

template <typename T>
void sar_selector_norm_backward_cpu(T* dlogits, const T* dw, const T* w, const T* logits, int64_t rows, int64_t G) {
#pragma omp parallel for if (rows * G >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t begin = r * G;
    // pass 1: dot = sum_t g_t w_t
    T dot = T(0);
    for (int64_t t = begin; t < begin + G; ++t) dot += dw[t] * w[t];
    // pass 2: ds_t = w_t (1 - c_t) (g_t - dot)
    for (int64_t t = begin; t < begin + G; ++t) dlogits[t] = selector_norm_grad(logits[t], w[t], dw[t], dot);
  }
}

#define SAR_INSTANTIATE(T)                                                                         \
  template void sar_selector_norm_forward_cpu<T>(T*, const T*, int64_t, int64_t);                  \
  template void sar_selector_norm_backward_cpu<T>(T*, const T*, const T*, const T*, int64_t, int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
