// pooling.cpp: CPU twins of cuda/pooling.cu. x is [NC, H, W] and y [NC, Ho, Wo]: one plane
// p per (n, c); OpenMP splits the planes. The window of output (ho, wo) covers rows
// ho*sH - pH + [0, kH) and columns wo*sW - pW + [0, kW); the part outside x is padding.
#include <algorithm>
#include <cmath>

#include "core/cpu/kernels_cpu.h"

namespace sar {

// [begin, end): the window of output o along one axis, clipped to the input [0, in).
static void window_in_input(int64_t o, int k, int s, int pad, int64_t in, int64_t* begin, int64_t* end) {
  *begin = std::max<int64_t>(o * s - pad, 0);
  *end = std::min<int64_t>(o * s - pad + k, in);
}

// [begin, end): the outputs whose window covers input i along one axis, i.e. the o with
// o*s - pad <= i < o*s - pad + k, clipped to [0, out).
static void windows_covering(int64_t i, int k, int s, int pad, int64_t out, int64_t* begin, int64_t* end) {
  *begin = i + pad < k ? 0 : (i + pad - k) / s + 1;
  *end = std::min<int64_t>((i + pad) / s + 1, out);
}

template <typename T>
void max_pool2d_forward_cpu(T* y, int64_t* argmax, const T* x, int64_t NC, int64_t H, int64_t W, int64_t Ho,
                            int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW) {
#pragma omp parallel for if (NC * Ho * Wo * kH * kW >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p) {
    const T* xp = x + p * H * W;
    for (int64_t ho = 0; ho < Ho; ++ho)
      for (int64_t wo = 0; wo < Wo; ++wo) {
        int64_t h0, h1, w0, w1;
        window_in_input(ho, kH, sH, pH, H, &h0, &h1);
        window_in_input(wo, kW, sW, pW, W, &w0, &w1);
        // Start from a real element, so a window of -inf values still has an arg-max in x.
        int64_t best = h0 * W + w0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const T v = xp[h * W + w];
            if (v > xp[best] || std::isnan(v)) best = h * W + w;  // strict: the first maximum wins ties
          }
        const int64_t j = (p * Ho + ho) * Wo + wo;
        y[j] = xp[best];
        argmax[j] = best;
      }
  }
}

// A gather, the same loop as the CUDA twin: each input sums dy over the windows it wins,
// in the same (ho, wo) order, so both devices add the same numbers in the same order.
template <typename T>
void max_pool2d_backward_cpu(T* dx, const T* dy, const int64_t* argmax, int64_t NC, int64_t H, int64_t W,
                             int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW) {
#pragma omp parallel for if (NC * H * W >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        int64_t ho0, ho1, wo0, wo1;
        windows_covering(h, kH, sH, pH, Ho, &ho0, &ho1);
        windows_covering(w, kW, sW, pW, Wo, &wo0, &wo1);
        T sum = T(0);
        for (int64_t ho = ho0; ho < ho1; ++ho)
          for (int64_t wo = wo0; wo < wo1; ++wo) {
            const int64_t j = (p * Ho + ho) * Wo + wo;
            if (argmax[j] == h * W + w) sum += dy[j];
          }
        dx[(p * H + h) * W + w] = sum;
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
