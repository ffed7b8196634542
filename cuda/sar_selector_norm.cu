// sar_selector_norm.cu: the selector's normalized weights and their gradient (paper Eq. 9).
//   c_t = sigmoid(s_t), w_t = c_t / sum_t c_t = exp(log c_t - log sum_t c_t)
//   backward: ds_t = w_t (1 - c_t) (dw_t - sum_u dw_u w_u)
// Shapes: logits, w, dw, dlogits [rows, G] (rows = N*J, G = h*w). Kernels overwrite.
// CPU twins: sar_selector_norm_forward_cpu / _backward_cpu (core/cpu/sar_selector_norm.cpp); the
// cell math is core/sar_math.h. Tests: tests/test_sar_selector_norm.cpp.
// Parallelism: one block per row, threads stride over G; forward: an online log-sum-exp per
// thread, combined by block_max and block_sum (cuda/block_reduce.cuh); backward: block_sum of dw * w.
#include "core/sar_math.h"
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// One block per row.
__global__ void sar_selector_norm_forward_kernel(float* __restrict__ w, const float* __restrict__ logits, int64_t G) {
  const float* s = logits + blockIdx.x * G;
  float* wr = w + blockIdx.x * G;
  // pass 1: each thread's log sum c over its cells, then the block's, combined at the block max
  LogSumExp<float> sum_c;
  for (int64_t t = threadIdx.x; t < G; t += blockDim.x) sum_c.add(log_sigmoid(s[t]));
  const float max_c = block_max(sum_c.max);
  const float lse_c = max_c + logf(block_sum(sum_c.sum_at(max_c)));
  // pass 2: w_t = exp(log c_t - lse_c)
  for (int64_t t = threadIdx.x; t < G; t += blockDim.x) wr[t] = selector_weight(s[t], lse_c);
}

// One block per row.
__global__ void sar_selector_norm_backward_kernel(float* __restrict__ dlogits, const float* __restrict__ dw,
                                                  const float* __restrict__ w, const float* __restrict__ logits,
                                                  int64_t G) {
  const int64_t begin = blockIdx.x * G;
  // pass 1: dot = sum_t dw_t w_t
  float dot = 0.f;
  for (int64_t t = begin + threadIdx.x; t < begin + G; t += blockDim.x) dot += dw[t] * w[t];
  dot = block_sum(dot);
  // pass 2: ds_t = w_t (1 - c_t) (dw_t - dot)
  for (int64_t t = begin + threadIdx.x; t < begin + G; t += blockDim.x)
    dlogits[t] = selector_norm_grad(logits[t], w[t], dw[t], dot);
}

void sar_selector_norm_forward_cuda(float* w, const float* logits, int64_t rows, int64_t G) {
  if (rows * G == 0) return;
  SAR_CHECK(rows < (int64_t(1) << 31), "sar_selector_norm_forward_cuda: too many rows (", rows, ")");
  sar_selector_norm_forward_kernel<<<unsigned(rows), cuda::kThreads, 0, stream()>>>(w, logits, G);
  CUDA_CHECK_LAUNCH(sar_selector_norm_forward_kernel);
}

void sar_selector_norm_backward_cuda(float* dlogits, const float* dw, const float* w, const float* logits,
                                     int64_t rows, int64_t G) {
  if (rows * G == 0) return;
  SAR_CHECK(rows < (int64_t(1) << 31), "sar_selector_norm_backward_cuda: too many rows (", rows, ")");
  sar_selector_norm_backward_kernel<<<unsigned(rows), cuda::kThreads, 0, stream()>>>(dlogits, dw, w, logits, G);
  CUDA_CHECK_LAUNCH(sar_selector_norm_backward_kernel);
}

}  // namespace sar
