// batch_norm.cu: batch normalization forward and backward (core/ops/batch_norm.h).
//   mean_c, var_c over the M = N*HW values of channel c; xhat = (x - mean_c) * invstd_c; y = weight_c * xhat + bias_c
//   training: dx = weight_c * invstd_c * (dy - mean dy - xhat * mean(dy * xhat));  eval: dx = weight_c * invstd_c * dy
// Shapes: x, y, dx, dy [N, C, HW]; mean, invstd, weight, bias, dweight, dbias, running stats [C].
// Kernels overwrite, except the running statistics, which are blended in place.
// CPU twins: batch_norm_stats_cpu, batch_norm_forward_cpu, batch_norm_backward_cpu (core/cpu/batch_norm.cpp).
// Tests: tests/test_batch_norm.cpp.
// Parallelism: stats and backward: one block per channel, threads stride over its M values
// (k -> n = k / HW, s = k % HW, coalesced along s), block_sum (cuda/block_reduce.cuh);
// forward: one thread per element.
// Hand-written rather than cuDNN: cuDNN 9 deprecates cudnnBatchNormalization*, and these
// kernels run the CPU twin's two-pass math, so parity compares one algorithm on two devices.
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// Offset of value k of channel c in x [N, C, HW].
static __device__ int64_t channel_offset(int64_t k, int64_t c, int64_t C, int64_t HW) {
  return ((k / HW) * C + c) * HW + k % HW;
}

// One block per channel c.
__global__ void batch_norm_stats_kernel(float* mean, float* invstd, float* running_mean, float* running_var,
                                        const float* x, int64_t N, int64_t C, int64_t HW, float momentum, float eps) {
  const int64_t c = blockIdx.x, M = N * HW;
  // pass 1: the mean
  float sum = 0.f;
  for (int64_t k = threadIdx.x; k < M; k += blockDim.x) sum += x[channel_offset(k, c, C, HW)];
  const float mu = block_sum(sum) / float(M);
  // pass 2: the biased variance, from deviations (no cancellation, unlike E[x^2] - mu^2)
  float squares = 0.f;
  for (int64_t k = threadIdx.x; k < M; k += blockDim.x) {
    const float d = x[channel_offset(k, c, C, HW)] - mu;
    squares += d * d;
  }
  const float var = block_sum(squares) / float(M);
  if (threadIdx.x == 0) {
    mean[c] = mu;
    invstd[c] = 1.f / sqrtf(var + eps);
    // running statistics: the unbiased variance, as PyTorch keeps it
    if (running_mean) running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mu;
    if (running_var) running_var[c] = (1.f - momentum) * running_var[c] + momentum * var * float(M) / float(M - 1);
  }
}

__global__ void batch_norm_forward_kernel(float* y, const float* mean, const float* invstd, const float* x,
                                          const float* weight, const float* bias, int64_t N, int64_t C, int64_t HW) {
  GRID_STRIDE_LOOP(i, N * C * HW) {
    const int64_t c = (i / HW) % C;
    const float scale = invstd[c] * (weight ? weight[c] : 1.f), shift = bias ? bias[c] : 0.f;
    y[i] = (x[i] - mean[c]) * scale + shift;
  }
}

// One block per channel c.
__global__ void batch_norm_backward_kernel(float* dx, float* dweight, float* dbias, const float* dy,
                                           const float* mean, const float* invstd, const float* x,
                                           const float* weight, int64_t N, int64_t C, int64_t HW, bool training) {
  const int64_t c = blockIdx.x, M = N * HW;
  const float mu = mean[c], is = invstd[c];
  // pass 1: sum dy and sum dy * xhat, for dbias, dweight and the training dx. The condition
  // is the same for the whole block, so every thread reaches the block sums or none does.
  float sum_dy = 0.f, sum_dy_xhat = 0.f;
  if (training || dweight || dbias) {
    for (int64_t k = threadIdx.x; k < M; k += blockDim.x) {
      const int64_t j = channel_offset(k, c, C, HW);
      sum_dy += dy[j];
      sum_dy_xhat += dy[j] * (x[j] - mu) * is;
    }
    sum_dy = block_sum(sum_dy);
    sum_dy_xhat = block_sum(sum_dy_xhat);
  }
  if (threadIdx.x == 0) {
    if (dbias) dbias[c] = sum_dy;
    if (dweight) dweight[c] = sum_dy_xhat;
  }
  if (!dx) return;
  // pass 2: dx. Training: the direct term dy, minus the paths through the mean (mean dy)
  // and through the variance (xhat * mean(dy * xhat)); eval: the direct term only.
  const float scale = (weight ? weight[c] : 1.f) * is;
  const float mean_dy = sum_dy / float(M), mean_dy_xhat = sum_dy_xhat / float(M);
  for (int64_t k = threadIdx.x; k < M; k += blockDim.x) {
    const int64_t j = channel_offset(k, c, C, HW);
    dx[j] = training ? scale * (dy[j] - mean_dy - (x[j] - mu) * is * mean_dy_xhat) : scale * dy[j];
  }
}

// The per-channel kernels launch one block per channel.
static unsigned channel_blocks(const char* launcher, int64_t C) {
  SAR_CHECK(C < (int64_t(1) << 31), launcher, ": too many channels (", C, ")");
  return unsigned(C);
}

void batch_norm_stats_cuda(float* mean, float* invstd, float* running_mean, float* running_var, const float* x,
                           int64_t N, int64_t C, int64_t HW, float momentum, float eps) {
  if (C == 0) return;
  batch_norm_stats_kernel<<<channel_blocks("batch_norm_stats_cuda", C), cuda::kThreads, 0, stream()>>>(
      mean, invstd, running_mean, running_var, x, N, C, HW, momentum, eps);
  CUDA_CHECK_LAUNCH(batch_norm_stats_kernel);
}

void batch_norm_forward_cuda(float* y, const float* mean, const float* invstd, const float* x, const float* weight,
                             const float* bias, int64_t N, int64_t C, int64_t HW) {
  const int64_t n = N * C * HW;
  if (n == 0) return;
  batch_norm_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(y, mean, invstd, x, weight, bias,
                                                                                  N, C, HW);
  CUDA_CHECK_LAUNCH(batch_norm_forward_kernel);
}

void batch_norm_backward_cuda(float* dx, float* dweight, float* dbias, const float* dy, const float* mean,
                              const float* invstd, const float* x, const float* weight, int64_t N, int64_t C,
                              int64_t HW, bool training) {
  if (C == 0) return;
  batch_norm_backward_kernel<<<channel_blocks("batch_norm_backward_cuda", C), cuda::kThreads, 0, stream()>>>(
      dx, dweight, dbias, dy, mean, invstd, x, weight, N, C, HW, training);
  CUDA_CHECK_LAUNCH(batch_norm_backward_kernel);
}

}  // namespace sar
