// index_math.h: where an element of the shape, pooling and upsampling ops reads from,
// written once for both devices (SAR_HD, as in core/scalar_math.h, which keeps the
// elementwise ops' BroadcastIndex). The CPU kernels in core/cpu/ and their twins in cuda/
// both call these, so the two backends walk the same indices in the same order; parity
// tests catch a mistake here, gradcheck one in the math around it.
// No std::min/max: they are not device functions without nvcc's --expt-relaxed-constexpr.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/scalar_math.h"

namespace sar {

// ---- permute ----

// The input offset that permute's output element j reads: j's coordinates, peeled off from
// the last of the ndim out_dims, each times its input stride.
SAR_HD int64_t permute_source_offset(int64_t j, const int64_t* out_dims, const int64_t* in_strides, int ndim) {
  int64_t src = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    src += j % out_dims[d] * in_strides[d];
    j /= out_dims[d];
  }
  return src;
}

// ---- max pooling: x [H, W] -> y [Ho, Wo] per plane ----
// The window of output (ho, wo) covers rows ho*sH - pH + [0, kH) and columns
// wo*sW - pW + [0, kW); the part outside x is padding.

// [begin, end): the window of output o along one axis, clipped to the input [0, in).
SAR_HD void pool_window_in_input(int64_t o, int k, int s, int pad, int64_t in, int64_t* begin, int64_t* end) {
  const int64_t first = o * s - pad;
  *begin = first < 0 ? 0 : first;
  *end = first + k < in ? first + k : in;
}

// [begin, end): the outputs whose window covers input i along one axis, i.e. the o with
// o*s - pad <= i < o*s - pad + k, clipped to [0, out).
SAR_HD void pool_windows_covering(int64_t i, int k, int s, int pad, int64_t out, int64_t* begin, int64_t* end) {
  const int64_t last = (i + pad) / s + 1;
  *begin = i + pad < k ? 0 : (i + pad - k) / s + 1;
  *end = last < out ? last : out;
}

// The arg-max h*W + w over the window of output (ho, wo) in the plane xp [H, W]: padding
// never wins; the first maximum in row-major order does, or, in a window holding NaNs, the
// last NaN (the maximum is NaN either way).
template <typename T>
SAR_HD int64_t max_pool2d_window_argmax(const T* xp, int64_t H, int64_t W, int64_t ho, int64_t wo, int kH, int kW,
                                        int sH, int sW, int pH, int pW) {
  using std::isnan;
  int64_t h0, h1, w0, w1;
  pool_window_in_input(ho, kH, sH, pH, H, &h0, &h1);
  pool_window_in_input(wo, kW, sW, pW, W, &w0, &w1);
  // Start from a real element, so a window of -inf values still has an arg-max in x.
  int64_t best = h0 * W + w0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) {
      const T v = xp[h * W + w];
      if (v > xp[best] || isnan(v)) best = h * W + w;  // strict: the first maximum wins ties
    }
  return best;
}

// dx at input (h, w) of a plane: the sum of dy over the windows covering it whose arg-max
// it is, in (ho, wo) order. dy_p, argmax_p: that plane's [Ho, Wo]. A gather, so the CUDA
// kernel needs no atomics; the CPU's scatter in window order adds the same numbers in the same
// order (tests/test_pooling.cpp checks the two bit for bit).
template <typename T>
SAR_HD T max_pool2d_input_grad(const T* dy_p, const int64_t* argmax_p, int64_t h, int64_t w, int64_t W, int64_t Ho,
                               int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW) {
  int64_t ho0, ho1, wo0, wo1;
  pool_windows_covering(h, kH, sH, pH, Ho, &ho0, &ho1);
  pool_windows_covering(w, kW, sW, pW, Wo, &wo0, &wo1);
  T sum = T(0);
  for (int64_t ho = ho0; ho < ho1; ++ho)
    for (int64_t wo = wo0; wo < wo1; ++wo) {
      const int64_t j = ho * Wo + wo;
      if (argmax_p[j] == h * W + w) sum += dy_p[j];
    }
  return sum;
}

// ---- bilinear upsampling ----

// PyTorch's source coordinate of output index d along an axis of size in -> out
// (area_pixel_compute_source_index, scale computed first as PyTorch does): the neighbours
// i0 <= i1 (clamped to the edge) and lambda, the weight of i1.
template <typename T>
SAR_HD void bilinear_source(int64_t d, int64_t in, int64_t out, bool align_corners, int64_t* i0, int64_t* i1,
                            T* lambda) {
  T src;
  if (align_corners) {
    const T scale = out > 1 ? T(in - 1) / T(out - 1) : T(0);
    src = scale * T(d);
  } else {
    const T scale = T(in) / T(out);
    src = scale * (T(d) + T(0.5)) - T(0.5);
    if (src < T(0)) src = T(0);  // the clamp keeps the first half-pixel on x[0]
  }
  const int64_t below = int64_t(src);  // src >= 0, so truncation is the floor
  *i0 = below < in - 1 ? below : in - 1;
  *i1 = *i0 + 1 < in - 1 ? *i0 + 1 : in - 1;
  *lambda = src - T(*i0);
}

// The 2x2 neighbourhood one output reads: rows h0, h1 with weights 1 - lh, lh; columns
// w0, w1 with weights 1 - lw, lw. Indices are within the input's plane [H, W].
template <typename T>
struct BilinearTaps {
  int64_t h0, h1, w0, w1;
  T lh, lw;
};

}  // namespace sar
