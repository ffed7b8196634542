// batch_norm.cu: batch normalization forward and backward (core/ops/batch_norm.h).
//   mean_c, var_c over the M = N*HW values of channel c; xhat = (x - mean_c) * invstd_c; y = weight_c * xhat + bias_c
//   training: dx = weight_c * invstd_c * (dy - mean dy - xhat * mean(dy * xhat));  eval: dx = weight_c * invstd_c * dy
// Shapes: x, y, dx, dy [N, C, HW]; mean, invstd, weight, bias, dweight, dbias, running stats [C].
// Kernels overwrite, except the running statistics, which are blended in place.
// CPU twins: batch_norm_stats_cpu, batch_norm_forward_cpu, batch_norm_backward_cpu (core/cpu/batch_norm.cpp).
// Tests: tests/test_batch_norm.cpp.
// Parallelism: the per-channel sums (stats, and the backward's sum dy and sum dy * xhat): a
// block per (channel, slice of the batch), threads along the slice's values (coalesced along
// s), block_sum (cuda/block_reduce.cuh), then one thread per channel adds the slices' partials
// in a fixed order; forward and dx: a grid over rows (n, c) and their values.
// Hand-written rather than cuDNN: cuDNN 9 deprecates cudnnBatchNormalization*, and these
// kernels run the CPU twin's two-pass math, so parity compares one algorithm on two devices.
#include <algorithm>

#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// The per-channel sums are split over slices of the batch: block (c, p) sums channel c over
// batch rows [p*N/P, (p+1)*N/P) into partial[c*P + p], and the P partials are added in a fixed
// order (channel_total), so results do not depend on scheduling. With one block per channel a
// ResNet stem's 64 channels would leave half of an H100's 132 SMs idle, each block streaming
// 786k values of a batch of 64 at 256x192 alone; P is chosen so C*P is about kSliceBlocks.
constexpr int64_t kSliceBlocks = 1024;

static int64_t slices_for(int64_t N, int64_t C) {
  return std::max<int64_t>(1, std::min<int64_t>(N, kSliceBlocks / C));
}

// Calls f(j) for this thread's share of channel c's values in batch rows [n0, n1): the slice's
// values k = threadIdx.x, + blockDim.x, ..., at offsets j = (n*C + c)*HW + s, with (n, s)
// advanced by constant steps rather than a 64-bit division per value.
template <typename F>
__device__ void for_channel_slice(int64_t c, int64_t C, int64_t HW, int64_t n0, int64_t n1, F f) {
  const int64_t step_n = blockDim.x / HW, step_s = blockDim.x % HW;
  int64_t n = n0 + threadIdx.x / HW, s = threadIdx.x % HW;
  while (n < n1) {
    f((n * C + c) * HW + s);
    n += step_n;
    s += step_s;
    if (s >= HW) { s -= HW; ++n; }
  }
}

// The first and last batch row of this block's slice (grid: C x P).
static __device__ int64_t slice_begin(int64_t N) { return blockIdx.y * N / gridDim.y; }
static __device__ int64_t slice_end(int64_t N) { return (blockIdx.y + 1) * N / gridDim.y; }

// partial[c*P .. c*P + P) added in order: the same float on every thread that asks.
static __device__ float channel_total(const float* partial, int64_t c, int64_t P) {
  float total = 0.f;
  for (int64_t p = 0; p < P; ++p) total += partial[c * P + p];
  return total;
}

// Stats pass 1: partial[c, p] = sum of x over slice p of channel c.
__global__ void batch_norm_sum_kernel(float* partial, const float* x, int64_t N, int64_t C, int64_t HW) {
  const int64_t c = blockIdx.x;
  float sum = 0.f;
  for_channel_slice(c, C, HW, slice_begin(N), slice_end(N), [&](int64_t j) { sum += x[j]; });
  sum = block_sum(sum);
  if (threadIdx.x == 0) partial[c * gridDim.y + blockIdx.y] = sum;
}

// Stats pass 2: squares[c, p] = sum of (x - mean_c)^2 over slice p: the biased variance from
// deviations (no cancellation, unlike E[x^2] - mu^2), as the CPU twin.
__global__ void batch_norm_squares_kernel(float* squares, const float* sums, const float* x, int64_t N, int64_t C,
                                          int64_t HW) {
  const int64_t c = blockIdx.x;
  const float mu = channel_total(sums, c, gridDim.y) / float(N * HW);
  float acc = 0.f;
  for_channel_slice(c, C, HW, slice_begin(N), slice_end(N), [&](int64_t j) {
    const float d = x[j] - mu;
    acc += d * d;
  });
  acc = block_sum(acc);
  if (threadIdx.x == 0) squares[c * gridDim.y + blockIdx.y] = acc;
}

// A thread per channel: mean, invstd and the running statistics from the partials.
__global__ void batch_norm_stats_finish_kernel(float* mean, float* invstd, float* running_mean, float* running_var,
                                               const float* sums, const float* squares, int64_t C, int64_t P,
                                               int64_t M, float momentum, float eps) {
  GRID_STRIDE_LOOP(c, C) {
    const float mu = channel_total(sums, c, P) / float(M), var = channel_total(squares, c, P) / float(M);
    mean[c] = mu;
    invstd[c] = 1.f / sqrtf(var + eps);
    // running statistics: the unbiased variance, as PyTorch keeps it
    if (running_mean) running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mu;
    if (running_var) running_var[c] = (1.f - momentum) * running_var[c] + momentum * var * float(M) / float(M - 1);
  }
}

// y over rows r = n*C + c (grid y) and their HW values (grid x, see row_grid).
__global__ void batch_norm_forward_kernel(float* y, const float* mean, const float* invstd, const float* x,
                                          const float* weight, const float* bias, int64_t rows, int64_t C,
                                          int64_t HW) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const int64_t c = r % C;
    const float mu = mean[c], scale = invstd[c] * (weight ? weight[c] : 1.f), shift = bias ? bias[c] : 0.f;
    for (int64_t s = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; s < HW; s += int64_t(gridDim.x) * blockDim.x)
      y[r * HW + s] = (x[r * HW + s] - mu) * scale + shift;
  }
}

// Backward pass 1: sum dy and sum dy * xhat over slice p of channel c, for dbias, dweight and
// the training dx.
__global__ void batch_norm_backward_sums_kernel(float* sum_dy, float* sum_dy_xhat, const float* dy, const float* mean,
                                                const float* invstd, const float* x, int64_t N, int64_t C,
                                                int64_t HW) {
  const int64_t c = blockIdx.x;
  const float mu = mean[c], is = invstd[c];
  float a = 0.f, b = 0.f;
  for_channel_slice(c, C, HW, slice_begin(N), slice_end(N), [&](int64_t j) {
    a += dy[j];
    b += dy[j] * (x[j] - mu) * is;
  });
  a = block_sum(a);
  b = block_sum(b);
  if (threadIdx.x == 0) {
    sum_dy[c * gridDim.y + blockIdx.y] = a;
    sum_dy_xhat[c * gridDim.y + blockIdx.y] = b;
  }
}

// A thread per channel: the partials added into dbias and dweight; the two means dx needs
// then replace the channel's first partials (sum_dy[c*P], sum_dy_xhat[c*P]: batch_norm_dx_kernel).
__global__ void batch_norm_backward_finish_kernel(float* dweight, float* dbias, float* sum_dy, float* sum_dy_xhat,
                                                  int64_t C, int64_t P, int64_t M) {
  GRID_STRIDE_LOOP(c, C) {
    const float a = channel_total(sum_dy, c, P), b = channel_total(sum_dy_xhat, c, P);
    if (dbias) dbias[c] = a;
    if (dweight) dweight[c] = b;
    sum_dy[c * P] = a / float(M);
    sum_dy_xhat[c * P] = b / float(M);
  }
}

// dx over rows r = n*C + c (grid y) and their HW values (grid x, see row_grid). Training: the
// direct term dy, minus the paths through the mean (mean dy) and through the variance
// (xhat * mean(dy * xhat)); eval (mean_dy null): the direct term only.
__global__ void batch_norm_dx_kernel(float* dx, const float* dy, const float* mean, const float* invstd,
                                     const float* x, const float* weight, const float* mean_dy,
                                     const float* mean_dy_xhat, int64_t P, int64_t rows, int64_t C, int64_t HW) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const int64_t c = r % C;
    const float mu = mean[c], is = invstd[c], scale = (weight ? weight[c] : 1.f) * is;
    const float a = mean_dy ? mean_dy[c * P] : 0.f, b = mean_dy ? mean_dy_xhat[c * P] : 0.f;
    for (int64_t s = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; s < HW; s += int64_t(gridDim.x) * blockDim.x) {
      const int64_t j = r * HW + s;
      dx[j] = mean_dy ? scale * (dy[j] - a - (x[j] - mu) * is * b) : scale * dy[j];
    }
  }
}

// Device scratch for the partials, from the caching allocator; released when the launcher
// returns, which the single stream makes safe (later kernels run after these).
struct Partials {
  explicit Partials(int64_t n)
      : data(static_cast<float*>(cuda::allocator().allocate(size_t(2 * n) * sizeof(float)))), n(n) {}
  ~Partials() { cuda::allocator().release(data); }
  float* first() const { return data; }       // [C, P]
  float* second() const { return data + n; }  // [C, P]
  float* data;
  int64_t n;
};

// The elementwise kernels' grid: enough blocks along x to cover a row's HW values, the N*C rows
// strided over at most 65535 blocks along y; a row's channel is then one division per row.
static dim3 row_grid(int64_t rows, int64_t HW) {
  return dim3(unsigned((HW + cuda::kThreads - 1) / cuda::kThreads), unsigned(std::min<int64_t>(rows, 65535)));
}

static dim3 slice_grid(const char* launcher, int64_t C, int64_t P) {
  SAR_CHECK(C < (int64_t(1) << 31), launcher, ": too many channels (", C, ")");
  return dim3(unsigned(C), unsigned(P));
}

void batch_norm_stats_cuda(float* mean, float* invstd, float* running_mean, float* running_var, const float* x,
                           int64_t N, int64_t C, int64_t HW, float momentum, float eps) {
  if (C == 0 || N * HW == 0) return;
  const int64_t P = slices_for(N, C);
  const Partials partial(C * P);
  const dim3 grid = slice_grid("batch_norm_stats_cuda", C, P);
  batch_norm_sum_kernel<<<grid, cuda::kThreads, 0, stream()>>>(partial.first(), x, N, C, HW);
  CUDA_CHECK_LAUNCH(batch_norm_sum_kernel);
  batch_norm_squares_kernel<<<grid, cuda::kThreads, 0, stream()>>>(partial.second(), partial.first(), x, N, C, HW);
  CUDA_CHECK_LAUNCH(batch_norm_squares_kernel);
  batch_norm_stats_finish_kernel<<<cuda::blocks_for(C), cuda::kThreads, 0, stream()>>>(
      mean, invstd, running_mean, running_var, partial.first(), partial.second(), C, P, N * HW, momentum, eps);
  CUDA_CHECK_LAUNCH(batch_norm_stats_finish_kernel);
}

void batch_norm_forward_cuda(float* y, const float* mean, const float* invstd, const float* x, const float* weight,
                             const float* bias, int64_t N, int64_t C, int64_t HW) {
  if (N * C * HW == 0) return;
  batch_norm_forward_kernel<<<row_grid(N * C, HW), cuda::kThreads, 0, stream()>>>(y, mean, invstd, x, weight, bias,
                                                                                  N * C, C, HW);
  CUDA_CHECK_LAUNCH(batch_norm_forward_kernel);
}

void batch_norm_backward_cuda(float* dx, float* dweight, float* dbias, const float* dy, const float* mean,
                              const float* invstd, const float* x, const float* weight, int64_t N, int64_t C,
                              int64_t HW, bool training) {
  if (C == 0) return;
  if (N * HW == 0) {  // sums over nothing: the CPU writes zeros, and the op allocates these uninitialized
    if (dweight) CUDA_CHECK(cudaMemsetAsync(dweight, 0, C * sizeof(float), stream()));
    if (dbias) CUDA_CHECK(cudaMemsetAsync(dbias, 0, C * sizeof(float), stream()));
    return;
  }
  const int64_t P = slices_for(N, C);
  const Partials partial(C * P);
  const bool sums = training || dweight || dbias;
  if (sums) {
    batch_norm_backward_sums_kernel<<<slice_grid("batch_norm_backward_cuda", C, P), cuda::kThreads, 0, stream()>>>(
        partial.first(), partial.second(), dy, mean, invstd, x, N, C, HW);
    CUDA_CHECK_LAUNCH(batch_norm_backward_sums_kernel);
    batch_norm_backward_finish_kernel<<<cuda::blocks_for(C), cuda::kThreads, 0, stream()>>>(
        dweight, dbias, partial.first(), partial.second(), C, P, N * HW);
    CUDA_CHECK_LAUNCH(batch_norm_backward_finish_kernel);
  }
  if (!dx) return;
  batch_norm_dx_kernel<<<row_grid(N * C, HW), cuda::kThreads, 0, stream()>>>(
      dx, dy, mean, invstd, x, weight, training ? partial.first() : nullptr, training ? partial.second() : nullptr, P,
      N * C, C, HW);
  CUDA_CHECK_LAUNCH(batch_norm_dx_kernel);
}

}  // namespace sar
