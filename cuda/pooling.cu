// pooling.cu: 2-D max pooling forward and backward (core/ops/pooling.h).
//   y[p, ho, wo] = max of x[p, h, w] over h in ho*sH - pH + [0, kH), w in wo*sW - pW + [0, kW)
//   (padding never wins; the first maximum in row-major order does, or a NaN); argmax = h*W + w
//   dx[p, h, w] = sum of dy[p, ho, wo] over the windows covering (h, w) whose argmax it is
// Shapes: x, dx [NC, H, W]; y, dy, argmax [NC, Ho, Wo]. Kernels overwrite.
// CPU twins: max_pool2d_forward_cpu / max_pool2d_backward_cpu (core/cpu/pooling.cpp).
// Tests: tests/test_pooling.cpp.
// Parallelism: forward: one thread per output, scanning its window; backward: one thread per
// input, gathering from the windows over it (no atomics, deterministic, the order of the CPU's
// scatter). The per-element math (window, arg-max, gathered gradient) is core/index_math.h.
#include "core/index_math.h"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

__global__ void max_pool2d_forward_kernel(float* y, int64_t* argmax, const float* x, int64_t NC, int64_t H,
                                          int64_t W, int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH,
                                          int pW) {
  GRID_STRIDE_LOOP(j, NC * Ho * Wo) {
    const int64_t wo = j % Wo, ho = (j / Wo) % Ho, p = j / (Ho * Wo);
    const float* xp = x + p * H * W;
    const int64_t best = max_pool2d_window_argmax(xp, H, W, ho, wo, kH, kW, sH, sW, pH, pW);
    y[j] = xp[best];
    argmax[j] = best;
  }
}

__global__ void max_pool2d_backward_kernel(float* dx, const float* dy, const int64_t* argmax, int64_t NC, int64_t H,
                                           int64_t W, int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW,
                                           int pH, int pW) {
  GRID_STRIDE_LOOP(i, NC * H * W) {
    const int64_t w = i % W, h = (i / W) % H, p = i / (H * W);
    dx[i] = max_pool2d_input_grad(dy + p * Ho * Wo, argmax + p * Ho * Wo, h, w, W, Ho, Wo, kH, kW, sH, sW, pH, pW);
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
