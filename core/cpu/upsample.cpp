// upsample.cpp: CPU twins of cuda/upsample.cu. x is [NC, H, W] and y [NC, Ho, Wo]: one
// plane p per (n, c); OpenMP splits the planes, so no two threads write the same element.
#include <algorithm>

#include "core/cpu/kernels_cpu.h"
#include "core/index_math.h"

namespace sar {

// Row by row, with no division per element (they took most of the time): input row h widened
// into output row h * scale, which the next scale - 1 rows copy.
template <typename T>
void upsample_nearest2d_forward_cpu(T* y, const T* x, int64_t NC, int64_t H, int64_t W, int scale) {
  const int64_t Ho = H * scale, Wo = W * scale;
#pragma omp parallel for if (NC * Ho * Wo >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p)
    for (int64_t h = 0; h < H; ++h) {
      const T* src = x + (p * H + h) * W;
      T* row = y + (p * Ho + h * scale) * Wo;
      for (int64_t w = 0; w < W; ++w)
        for (int k = 0; k < scale; ++k) row[w * scale + k] = src[w];
      for (int r = 1; r < scale; ++r) std::copy(row, row + Wo, row + r * Wo);
    }
}

// dx[p, h, w] = the sum of the scale x scale block of dy that copied x[p, h, w], added row by
// row of the block and left to right in each: the CUDA kernel's order, so the same bits.
template <typename T>
void upsample_nearest2d_backward_cpu(T* dx, const T* dy, int64_t NC, int64_t H, int64_t W, int scale) {
  const int64_t Ho = H * scale, Wo = W * scale;
#pragma omp parallel for if (NC * Ho * Wo >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p)
    for (int64_t h = 0; h < H; ++h) {
      T* out = dx + (p * H + h) * W;
      std::fill(out, out + W, T(0));
      for (int64_t i = h * scale; i < (h + 1) * scale; ++i) {
        const T* d = dy + (p * Ho + i) * Wo;
        for (int64_t w = 0; w < W; ++w)
          for (int k = 0; k < scale; ++k) out[w] += d[w * scale + k];
      }
    }
}

// Calls visit(p, k, taps) for every output k = (p, i, j); the planes p are split across
// threads, so a visit may write anywhere in its own plane. The taps (bilinear_source,
// BilinearTaps) are core/index_math.h, shared with the CUDA twin; a row's are computed once.
template <typename T, typename Visit>
static void for_each_bilinear_output(int64_t NC, int64_t H, int64_t W, int64_t Ho, int64_t Wo, bool align_corners,
                                     Visit visit) {
#pragma omp parallel for if (NC * Ho * Wo >= kParallelMin)
  for (int64_t p = 0; p < NC; ++p)
    for (int64_t i = 0; i < Ho; ++i) {
      BilinearTaps<T> t;
      bilinear_source(i, H, Ho, align_corners, &t.h0, &t.h1, &t.lh);
      for (int64_t j = 0; j < Wo; ++j) {
        bilinear_source(j, W, Wo, align_corners, &t.w0, &t.w1, &t.lw);
        visit(p, (p * Ho + i) * Wo + j, t);
      }
    }
}

template <typename T>
void upsample_bilinear2d_forward_cpu(T* y, const T* x, int64_t NC, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                     bool align_corners) {
  for_each_bilinear_output<T>(NC, H, W, Ho, Wo, align_corners, [&](int64_t p, int64_t k, const BilinearTaps<T>& t) {
    const T* xp = x + p * H * W;
    y[k] = (T(1) - t.lh) * ((T(1) - t.lw) * xp[t.h0 * W + t.w0] + t.lw * xp[t.h0 * W + t.w1]) +
           t.lh * ((T(1) - t.lw) * xp[t.h1 * W + t.w0] + t.lw * xp[t.h1 * W + t.w1]);
  });
}

// A scatter: each output adds dy, times the forward's 4 weights, into its neighbours.
template <typename T>
void upsample_bilinear2d_backward_cpu(T* dx, const T* dy, int64_t NC, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                      bool align_corners) {
  std::fill(dx, dx + NC * H * W, T(0));
  for_each_bilinear_output<T>(NC, H, W, Ho, Wo, align_corners, [&](int64_t p, int64_t k, const BilinearTaps<T>& t) {
    T* dxp = dx + p * H * W;
    dxp[t.h0 * W + t.w0] += (T(1) - t.lh) * (T(1) - t.lw) * dy[k];
    dxp[t.h0 * W + t.w1] += (T(1) - t.lh) * t.lw * dy[k];
    dxp[t.h1 * W + t.w0] += t.lh * (T(1) - t.lw) * dy[k];
    dxp[t.h1 * W + t.w1] += t.lh * t.lw * dy[k];
  });
}

#define SAR_INSTANTIATE(T)                                                                                         \
  template void upsample_nearest2d_forward_cpu<T>(T*, const T*, int64_t, int64_t, int64_t, int);                   \
  template void upsample_nearest2d_backward_cpu<T>(T*, const T*, int64_t, int64_t, int64_t, int);                  \
  template void upsample_bilinear2d_forward_cpu<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, bool); \
  template void upsample_bilinear2d_backward_cpu<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, bool);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
