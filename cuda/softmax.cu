// softmax.cu: softmax and log-softmax along an axis, and their backwards.
//   y = exp(x - m) / s, or x - m - log(s), with m = max_r x and s = sum_r exp(x - m)
//   softmax: dx = y * (dy - sum_r dy * y)    log-softmax: dx = dy - exp(y) * sum_r dy
// Shapes: x, y, dx, dy: [outer, R, inner]; the sums run over r. Kernels overwrite.
// CPU twins: softmax_forward_cpu / softmax_backward_cpu (core/cpu/softmax.cpp).
// Tests: tests/test_softmax.cpp.
// Parallelism: inner == 1 (the last axis): one block per row, threads stride over R, and
// block_max / block_sum (cuda/block_reduce.cuh) combine the threads' partial results;
// inner > 1: one thread per (o, i), looping over R, which reads coalesced across i.
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// One block per row o: x[o, 0..R).
__global__ void softmax_rows_forward_kernel(float* y, const float* x, int64_t R, bool log) {
  const float* xo = x + blockIdx.x * R;
  float* yo = y + blockIdx.x * R;
  // pass 1: the row max, so that every exp below is of a number <= 0
  float m = -INFINITY;
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x) m = fmaxf(m, xo[r]);
  m = block_max(m);
  // pass 2: the normaliser s = sum exp(x - m)
  float s = 0.f;
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x) s += expf(xo[r] - m);
  s = block_sum(s);
  // pass 3: write exp(x - m) / s, or its log
  const float log_s = logf(s);
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x) yo[r] = log ? xo[r] - m - log_s : expf(xo[r] - m) / s;
}

// One thread per (o, i): the three passes of the rows kernel, serially over r.
__global__ void softmax_strided_forward_kernel(float* y, const float* x, int64_t outer, int64_t R, int64_t inner,
                                               bool log) {
  GRID_STRIDE_LOOP(j, outer * inner) {
    const int64_t start = (j / inner) * R * inner + j % inner;  // element [o, 0, i]
    const float* xj = x + start;
    float* yj = y + start;
    float m = -INFINITY;
    for (int64_t r = 0; r < R; ++r) m = fmaxf(m, xj[r * inner]);
    float s = 0.f;
    for (int64_t r = 0; r < R; ++r) s += expf(xj[r * inner] - m);
    const float log_s = logf(s);
    for (int64_t r = 0; r < R; ++r) yj[r * inner] = log ? xj[r * inner] - m - log_s : expf(xj[r * inner] - m) / s;
  }
}

// One block per row o.
__global__ void softmax_rows_backward_kernel(float* dx, const float* dy, const float* y, int64_t R, bool log) {
  const float* dyo = dy + blockIdx.x * R;
  const float* yo = y + blockIdx.x * R;
  float* dxo = dx + blockIdx.x * R;
  // pass 1: softmax needs sum dy * y, log-softmax sum dy
  float dot = 0.f;
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x) dot += log ? dyo[r] : dyo[r] * yo[r];
  dot = block_sum(dot);
  // pass 2: dx = y * (dy - dot), or dy - softmax * dot (exp(y) is the softmax)
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x)
    dxo[r] = log ? dyo[r] - expf(yo[r]) * dot : yo[r] * (dyo[r] - dot);
}

// One thread per (o, i): the two passes of the rows kernel, serially over r.
__global__ void softmax_strided_backward_kernel(float* dx, const float* dy, const float* y, int64_t outer, int64_t R,
                                                int64_t inner, bool log) {
  GRID_STRIDE_LOOP(j, outer * inner) {
    const int64_t start = (j / inner) * R * inner + j % inner;
    const float* dyj = dy + start;
    const float* yj = y + start;
    float* dxj = dx + start;
    float dot = 0.f;
    for (int64_t r = 0; r < R; ++r) dot += log ? dyj[r * inner] : dyj[r * inner] * yj[r * inner];
    for (int64_t r = 0; r < R; ++r) {
      const int64_t k = r * inner;
      dxj[k] = log ? dyj[k] - expf(yj[k]) * dot : yj[k] * (dyj[k] - dot);
    }
  }
}

void softmax_forward_cuda(float* y, const float* x, int64_t outer, int64_t R, int64_t inner, bool log) {
  if (outer * R * inner == 0) return;
  if (inner == 1) {
    SAR_CHECK(outer < (int64_t(1) << 31), "softmax_forward_cuda: too many rows (", outer, ")");
    softmax_rows_forward_kernel<<<unsigned(outer), cuda::kThreads, 0, stream()>>>(y, x, R, log);
    CUDA_CHECK_LAUNCH(softmax_rows_forward_kernel);
  } else {
    softmax_strided_forward_kernel<<<cuda::blocks_for(outer * inner), cuda::kThreads, 0, stream()>>>(
        y, x, outer, R, inner, log);
    CUDA_CHECK_LAUNCH(softmax_strided_forward_kernel);
  }
}

void softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t outer, int64_t R, int64_t inner,
                           bool log) {
  if (outer * R * inner == 0) return;
  if (inner == 1) {
    SAR_CHECK(outer < (int64_t(1) << 31), "softmax_backward_cuda: too many rows (", outer, ")");
    softmax_rows_backward_kernel<<<unsigned(outer), cuda::kThreads, 0, stream()>>>(dx, dy, y, R, log);
    CUDA_CHECK_LAUNCH(softmax_rows_backward_kernel);
  } else {
    softmax_strided_backward_kernel<<<cuda::blocks_for(outer * inner), cuda::kThreads, 0, stream()>>>(
        dx, dy, y, outer, R, inner, log);
    CUDA_CHECK_LAUNCH(softmax_strided_backward_kernel);
  }
}

}  // namespace sar
