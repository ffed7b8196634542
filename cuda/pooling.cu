// pooling.cu: 2-D max pooling forward and backward (core/ops/pooling.h).
//   y[p, ho, wo] = max of x[p, h, w] over h in ho*sH - pH + [0, kH), w in wo*sW - pW + [0, kW)
//   (padding never wins; the first maximum in row-major order does, or a NaN); argmax = h*W + w
//   dx[p, h, w] = sum of dy[p, ho, wo] over the windows covering (h, w) whose argmax it is
// Shapes: x, dx [NC, H, W]; y, dy, argmax [NC, Ho, Wo]. Kernels overwrite.
// CPU twins: max_pool2d_forward_cpu / max_pool2d_backward_cpu (core/cpu/pooling.cpp).
// Tests: tests/test_pooling.cpp.
// Parallelism: forward: one thread per output, scanning its window; backward: one thread per
// input, gathering from the windows over it (no atomics, deterministic, the CPU's sum order).
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// [begin, end): the window of output o along one axis, clipped to the input [0, in).
static __device__ void window_in_input(int64_t o, int k, int s, int pad, int64_t in, int64_t* begin, int64_t* end) {
  *begin = max(o * s - pad, int64_t(0));
  *end = min(o * s - pad + k, in);
}

// [begin, end): the outputs whose window covers input i along one axis, i.e. the o with
// o*s - pad <= i < o*s - pad + k, clipped to [0, out).
static __device__ void windows_covering(int64_t i, int k, int s, int pad, int64_t out, int64_t* begin, int64_t* end) {
  *begin = i + pad < k ? 0 : (i + pad - k) / s + 1;
  *end = min((i + pad) / s + 1, out);
}

__global__ void max_pool2d_forward_kernel(float* y, int64_t* argmax, const float* x, int64_t NC, int64_t H,
                                          int64_t W, int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH,
                                          int pW) {
  GRID_STRIDE_LOOP(j, NC * Ho * Wo) {
    const int64_t wo = j % Wo, ho = (j / Wo) % Ho, p = j / (Ho * Wo);
    const float* xp = x + p * H * W;
    int64_t h0, h1, w0, w1;
    window_in_input(ho, kH, sH, pH, H, &h0, &h1);
    window_in_input(wo, kW, sW, pW, W, &w0, &w1);
    // Start from a real element, so a window of -inf values still has an arg-max in x.
    int64_t best = h0 * W + w0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const float v = xp[h * W + w];
        if (v > xp[best] || isnan(v)) best = h * W + w;  // strict: the first maximum wins ties
      }
    y[j] = xp[best];
    argmax[j] = best;
  }
}

__global__ void max_pool2d_backward_kernel(float* dx, const float* dy, const int64_t* argmax, int64_t NC, int64_t H,
                                           int64_t W, int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW,
                                           int pH, int pW) {
  GRID_STRIDE_LOOP(i, NC * H * W) {
    const int64_t w = i % W, h = (i / W) % H, p = i / (H * W);
    int64_t ho0, ho1, wo0, wo1;
    windows_covering(h, kH, sH, pH, Ho, &ho0, &ho1);
    windows_covering(w, kW, sW, pW, Wo, &wo0, &wo1);
    float sum = 0.f;
    for (int64_t ho = ho0; ho < ho1; ++ho)
      for (int64_t wo = wo0; wo < wo1; ++wo) {
        const int64_t j = (p * Ho + ho) * Wo + wo;
        if (argmax[j] == h * W + w) sum += dy[j];
      }
    dx[i] = sum;
  }
}

void max_pool2d_forward_cuda(float* y, int64_t* argmax, const float* x, int64_t NC, int64_t H, int64_t W,
                             int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW) {
  const int64_t n = NC * Ho * Wo;
  if (n == 0) return;
  max_pool2d_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(y, argmax, x, NC, H, W, Ho, Wo,
                                                                                  kH, kW, sH, sW, pH, pW);
  CUDA_CHECK_LAUNCH(max_pool2d_forward_kernel);
}

void max_pool2d_backward_cuda(float* dx, const float* dy, const int64_t* argmax, int64_t NC, int64_t H, int64_t W,
                              int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW) {
  const int64_t n = NC * H * W;
  if (n == 0) return;
  max_pool2d_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(dx, dy, argmax, NC, H, W, Ho, Wo,
                                                                                   kH, kW, sH, sW, pH, pW);
  CUDA_CHECK_LAUNCH(max_pool2d_backward_kernel);
}

}  // namespace sar
