// upsample.cu: nearest (integer scale) and bilinear upsampling, forward and backward (core/ops/upsample.h).
//   nearest:  y[p, i, j] = x[p, i / s, j / s];  dx[p, h, w] = sum of dy over its s x s block
//   bilinear: y[p, i, j] = sum of the 4 neighbours of (src(i), src(j)) times their weights, with
//             PyTorch's src: i * (H-1)/(Ho-1) (align_corners) or max((i + 0.5) * H/Ho - 0.5, 0)
// Shapes: x, dx [NC, H, W]; y, dy [NC, Ho, Wo]. Kernels overwrite; the bilinear backward's
// launcher zeroes dx, then its kernel atomically adds into it.
// CPU twins: upsample_{nearest,bilinear}2d_{forward,backward}_cpu (core/cpu/upsample.cpp).
// Tests: tests/test_upsample.cpp.
// Parallelism: one thread per output element, except the nearest backward: one thread per
// input, gathering its block. The bilinear backward scatters with atomicAdd, as PyTorch does:
// the inputs an output reads depend on rounding, so a gather would have to search for them.
// The source indices and weights (bilinear_source, BilinearTaps) are core/index_math.h, shared with the CPU.
#include "core/index_math.h"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

__global__ void upsample_nearest2d_forward_kernel(float* y, const float* x, int64_t NC, int64_t H, int64_t W,
                                                  int scale) {
  const int64_t Ho = H * scale, Wo = W * scale;
  GRID_STRIDE_LOOP(k, NC * Ho * Wo) {
    const int64_t j = k % Wo, i = (k / Wo) % Ho, p = k / (Ho * Wo);
    y[k] = x[(p * H + i / scale) * W + j / scale];
  }
}

__global__ void upsample_nearest2d_backward_kernel(float* dx, const float* dy, int64_t NC, int64_t H, int64_t W,
                                                   int scale) {
  const int64_t Ho = H * scale, Wo = W * scale;
  GRID_STRIDE_LOOP(k, NC * H * W) {
    const int64_t w = k % W, h = (k / W) % H, p = k / (H * W);
    // the scale x scale block of outputs that copied x[p, h, w]
    float sum = 0.f;
    for (int64_t i = h * scale; i < (h + 1) * scale; ++i)
      for (int64_t j = w * scale; j < (w + 1) * scale; ++j) sum += dy[(p * Ho + i) * Wo + j];
    dx[k] = sum;
  }
}

// The 2x2 neighbourhood output (i, j) reads, both axes at once (the CPU twin reuses a row's).
static __device__ BilinearTaps<float> bilinear_taps(int64_t i, int64_t j, int64_t H, int64_t W, int64_t Ho,
                                                    int64_t Wo, bool align_corners) {
  BilinearTaps<float> t;
  bilinear_source(i, H, Ho, align_corners, &t.h0, &t.h1, &t.lh);
  bilinear_source(j, W, Wo, align_corners, &t.w0, &t.w1, &t.lw);
  return t;
}

__global__ void upsample_bilinear2d_forward_kernel(float* y, const float* x, int64_t NC, int64_t H, int64_t W,
                                                   int64_t Ho, int64_t Wo, bool align_corners) {
  GRID_STRIDE_LOOP(k, NC * Ho * Wo) {
    const int64_t j = k % Wo, i = (k / Wo) % Ho, p = k / (Ho * Wo);
    const BilinearTaps<float> t = bilinear_taps(i, j, H, W, Ho, Wo, align_corners);
    const float* xp = x + p * H * W;
    y[k] = (1.f - t.lh) * ((1.f - t.lw) * xp[t.h0 * W + t.w0] + t.lw * xp[t.h0 * W + t.w1]) +
           t.lh * ((1.f - t.lw) * xp[t.h1 * W + t.w0] + t.lw * xp[t.h1 * W + t.w1]);
  }
}

// Accumulates into dx (zeroed by the launcher): neighbouring outputs share inputs.
__global__ void upsample_bilinear2d_backward_kernel(float* dx, const float* dy, int64_t NC, int64_t H, int64_t W,
                                                    int64_t Ho, int64_t Wo, bool align_corners) {
  GRID_STRIDE_LOOP(k, NC * Ho * Wo) {
    const int64_t j = k % Wo, i = (k / Wo) % Ho, p = k / (Ho * Wo);
    const BilinearTaps<float> t = bilinear_taps(i, j, H, W, Ho, Wo, align_corners);
    float* dxp = dx + p * H * W;
    atomicAdd(dxp + t.h0 * W + t.w0, (1.f - t.lh) * (1.f - t.lw) * dy[k]);
    atomicAdd(dxp + t.h0 * W + t.w1, (1.f - t.lh) * t.lw * dy[k]);
    atomicAdd(dxp + t.h1 * W + t.w0, t.lh * (1.f - t.lw) * dy[k]);
    atomicAdd(dxp + t.h1 * W + t.w1, t.lh * t.lw * dy[k]);
  }
}

void upsample_nearest2d_forward_cuda(float* y, const float* x, int64_t NC, int64_t H, int64_t W, int scale) {
  const int64_t n = NC * H * scale * W * scale;
  if (n == 0) return;
  upsample_nearest2d_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(y, x, NC, H, W, scale);
  CUDA_CHECK_LAUNCH(upsample_nearest2d_forward_kernel);
}

void upsample_nearest2d_backward_cuda(float* dx, const float* dy, int64_t NC, int64_t H, int64_t W, int scale) {
  const int64_t n = NC * H * W;
  if (n == 0) return;
  upsample_nearest2d_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(dx, dy, NC, H, W, scale);
  CUDA_CHECK_LAUNCH(upsample_nearest2d_backward_kernel);
}

void upsample_bilinear2d_forward_cuda(float* y, const float* x, int64_t NC, int64_t H, int64_t W, int64_t Ho,
                                      int64_t Wo, bool align_corners) {
  const int64_t n = NC * Ho * Wo;
  if (n == 0) return;
  upsample_bilinear2d_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(y, x, NC, H, W, Ho, Wo,
                                                                                           align_corners);
  CUDA_CHECK_LAUNCH(upsample_bilinear2d_forward_kernel);
}

void upsample_bilinear2d_backward_cuda(float* dx, const float* dy, int64_t NC, int64_t H, int64_t W, int64_t Ho,
                                       int64_t Wo, bool align_corners) {
  if (NC * H * W == 0) return;
  CUDA_CHECK(cudaMemsetAsync(dx, 0, size_t(NC * H * W) * sizeof(float), stream()));
  const int64_t n = NC * Ho * Wo;
  if (n == 0) return;
  upsample_bilinear2d_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(dx, dy, NC, H, W, Ho,
                                                                                            Wo, align_corners);
  CUDA_CHECK_LAUNCH(upsample_bilinear2d_backward_kernel);
}

}  // namespace sar
