// reduce.cu: sum and max over one axis, and their backwards.
//   out[o, i] = sum_r x[o, r, i]    |    out[o, i] = max_r x[o, r, i], argmax = first r reaching it
// Shapes: x, dx: [outer, R, inner]; out, dout, argmax: [outer, inner]. Kernels overwrite.
// CPU twins: sum_axis_cpu, max_axis_cpu, broadcast_axis_cpu, max_axis_backward_cpu
// (core/cpu/reduce.cpp). Tests: tests/test_reduce.cpp.
// Parallelism: inner == 1 (reducing the last axis): one block per row, threads stride over R,
// then a shared-memory tree; inner > 1: one thread per (o, i), looping over R, which reads
// coalesced across i.
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// The tree reductions below halve the active threads each step: exact only for a power of two.
static_assert((cuda::kThreads & (cuda::kThreads - 1)) == 0, "reduce.cu's tree reductions need a power of two");

// One block per row o: x[o, 0..R). Block size kThreads (a power of two).
__global__ void sum_rows_kernel(float* out, const float* x, int64_t R) {
  __shared__ float partial[cuda::kThreads];
  const float* row = x + blockIdx.x * R;
  float acc = 0.f;
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x) acc += row[r];
  partial[threadIdx.x] = acc;
  __syncthreads();
  // tree reduction in shared memory: halve the active threads each step
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

__global__ void sum_strided_kernel(float* out, const float* x, int64_t outer, int64_t R, int64_t inner) {
  GRID_STRIDE_LOOP(j, outer * inner) {
    int64_t o = j / inner, i = j % inner;
    const float* xi = x + o * R * inner + i;
    float acc = 0.f;
    for (int64_t r = 0; r < R; ++r) acc += xi[r * inner];
    out[j] = acc;
  }
}

// Same loops as sum; each thread's scan and the tree rank elements by max_ranks_before
// (core/scalar_math.h), as max_axis_cpu does: the first NaN, else the largest, ties to the lower index.
__global__ void max_rows_kernel(float* out, int64_t* argmax, const float* x, int64_t R) {
  __shared__ float best_value[cuda::kThreads];
  __shared__ int64_t best_index[cuda::kThreads];
  const float* row = x + blockIdx.x * R;
  float value = -INFINITY;
  int64_t index = R;  // "none yet": larger than any real index
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x)
    if (index == R || max_ranks_before(row[r], r, value, index)) { value = row[r]; index = r; }
  best_value[threadIdx.x] = value;
  best_index[threadIdx.x] = index;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      float v = best_value[threadIdx.x + half];
      int64_t k = best_index[threadIdx.x + half];
      // take the other candidate if it ranks first
      bool take = k < R && (best_index[threadIdx.x] == R ||
                            max_ranks_before(v, k, best_value[threadIdx.x], best_index[threadIdx.x]));
      if (take) { best_value[threadIdx.x] = v; best_index[threadIdx.x] = k; }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) { out[blockIdx.x] = best_value[0]; argmax[blockIdx.x] = best_index[0]; }
}

__global__ void max_strided_kernel(float* out, int64_t* argmax, const float* x, int64_t outer, int64_t R,
                                   int64_t inner) {
  GRID_STRIDE_LOOP(j, outer * inner) {
    int64_t o = j / inner, i = j % inner;
    const float* xi = x + o * R * inner + i;
    int64_t best = 0;
    for (int64_t r = 1; r < R; ++r)
      if (max_ranks_before(xi[r * inner], r, xi[best * inner], best)) best = r;
    out[j] = xi[best * inner];
    argmax[j] = best;
  }
}

__global__ void broadcast_axis_kernel(float* dx, const float* dout, int64_t outer, int64_t R, int64_t inner,
                                      float scale) {
  GRID_STRIDE_LOOP(j, outer * R * inner) {
    int64_t i = j % inner, o = j / (R * inner);
    dx[j] = scale * dout[o * inner + i];
  }
}

__global__ void max_axis_backward_kernel(float* dx, const float* dout, const int64_t* argmax, int64_t outer,
                                         int64_t R, int64_t inner) {
  GRID_STRIDE_LOOP(j, outer * R * inner) {
    int64_t i = j % inner, r = (j / inner) % R, o = j / (R * inner);
    dx[j] = argmax[o * inner + i] == r ? dout[o * inner + i] : 0.f;
  }
}

void sum_axis_cuda(float* out, const float* x, int64_t outer, int64_t R, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1) {
    SAR_CHECK(outer < (int64_t(1) << 31), "sum_axis_cuda: too many rows (", outer, ")");
    sum_rows_kernel<<<unsigned(outer), cuda::kThreads, 0, stream()>>>(out, x, R);
    CUDA_CHECK_LAUNCH(sum_rows_kernel);
  } else {
    sum_strided_kernel<<<cuda::blocks_for(outer * inner), cuda::kThreads, 0, stream()>>>(out, x, outer, R, inner);
    CUDA_CHECK_LAUNCH(sum_strided_kernel);
  }
}

void max_axis_cuda(float* out, int64_t* argmax, const float* x, int64_t outer, int64_t R, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1) {
    SAR_CHECK(outer < (int64_t(1) << 31), "max_axis_cuda: too many rows (", outer, ")");
    max_rows_kernel<<<unsigned(outer), cuda::kThreads, 0, stream()>>>(out, argmax, x, R);
    CUDA_CHECK_LAUNCH(max_rows_kernel);
  } else {
    max_strided_kernel<<<cuda::blocks_for(outer * inner), cuda::kThreads, 0, stream()>>>(out, argmax, x, outer, R,
                                                                                          inner);
    CUDA_CHECK_LAUNCH(max_strided_kernel);
  }
}

void broadcast_axis_cuda(float* dx, const float* dout, int64_t outer, int64_t R, int64_t inner, float scale) {
  int64_t n = outer * R * inner;
  if (n == 0) return;
  broadcast_axis_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(dx, dout, outer, R, inner, scale);
  CUDA_CHECK_LAUNCH(broadcast_axis_kernel);
}

void max_axis_backward_cuda(float* dx, const float* dout, const int64_t* argmax, int64_t outer, int64_t R,
                            int64_t inner) {
  int64_t n = outer * R * inner;
  if (n == 0) return;
  max_axis_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(dx, dout, argmax, outer, R, inner);
  CUDA_CHECK_LAUNCH(max_axis_backward_kernel);
}

}  // namespace sar
