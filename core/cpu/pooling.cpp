// pooling.cpp: CPU twins of cuda/pooling.cu. x is [NC, H, W] and y [NC, Ho, Wo]: one plane
// p per (n, c); OpenMP splits the planes. The window of output (ho, wo) covers rows
// ho*sH - pH + [0, kH) and columns wo*sW - pW + [0, kW); the part outside x is padding.
// The window and arg-max math is core/index_math.h, shared with the CUDA twin; backward is a
// scatter here and a gather there, in the same order.
#include <algorithm>

#include "core/cpu/kernels_cpu.h"
#include "core/index_math.h"

namespace sar {

template <typename T>
void max_pool2d_forward_cpu(T* y, int64_t* argmax, const T* x, int64_t NC, int64_t H, int64_t W, int64_t Ho,
                            int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW) {
#pragma omp parallel for if (NC * Ho * Wo * kH * kW >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p) {
    const T* xp = x + p * H * W;
    for (int64_t ho = 0; ho < Ho; ++ho)
      for (int64_t wo = 0; wo < Wo; ++wo) {
        const int64_t best = max_pool2d_window_argmax(xp, H, W, ho, wo, kH, kW, sH, sW, pH, pW);
        const int64_t j = (p * Ho + ho) * Wo + wo;
        y[j] = xp[best];
        argmax[j] = best;
      }
  }
}

// A scatter within each plane: dy of window j goes to its arg-max, windows taken in (ho, wo)
// order. Each input thus sums the same numbers in the same order as the CUDA twin's gather
// (max_pool2d_input_grad, which visits the windows covering an input in that order), so both
// devices agree bit for bit; the scatter reads each dy once, with no window arithmetic per input
// (10-18x faster than the gather on ResNet stems). The window parameters only matter to the gather.
template <typename T>
void max_pool2d_backward_cpu(T* dx, const T* dy, const int64_t* argmax, int64_t NC, int64_t H, int64_t W,
                             int64_t Ho, int64_t Wo, int, int, int, int, int, int) {
#pragma omp parallel for if (NC * H * W >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p) {
    T* dx_p = dx + p * H * W;
    std::fill(dx_p, dx_p + H * W, T(0));
    for (int64_t j = p * Ho * Wo; j < (p + 1) * Ho * Wo; ++j) dx_p[argmax[j]] += dy[j];
  }
}

#define SAR_INSTANTIATE(T)                                                                                          \
  template void max_pool2d_forward_cpu<T>(T*, int64_t*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int, \
                                          int, int, int, int, int);                                                 \
  template void max_pool2d_backward_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t, int64_t,        \
                                           int64_t, int, int, int, int, int, int);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
