// shape_ops.cu: permute, and gather with its scatter-add backward (concat and slice are axis_copy_cuda;
// flip is permute with the flipped axis' stride negated and `in` at its last row).
//   permute: out[j] = in[sum_d coord_d(j) * in_strides[d]];   gather: out[o, r, i] = x[o, index[o, r, i], i]
// Shapes: permute in, out: [n], out walked by out_dims; gather x, dx: [outer, Rx, inner], index, out, dout:
//   [outer, Ri, inner]. Forwards overwrite; gather backward ACCUMULATES into a zeroed dx (atomicAdd).
// CPU twins: permute_cpu, gather_forward_cpu, gather_backward_cpu (core/cpu/shape_ops.cpp).
// Tests: tests/test_shape_ops.cpp. Parallelism: one thread per output element, grid-stride loop.
#include "core/index_math.h"
#include "core/shape.h"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

// ---- permute ----

// Passed by value, so the kernel reads the dims from constant parameter memory.
struct PermuteIndex {
  int64_t out_dims[Shape::kMaxDims];
  int64_t in_strides[Shape::kMaxDims];
  int ndim;
};

// Word: an unsigned type of the element's size; the bytes are moved, never interpreted.
template <typename Word>
__global__ void permute_kernel(Word* out, const Word* in, PermuteIndex p, int64_t n) {
  GRID_STRIDE_LOOP(j, n) out[j] = in[permute_source_offset(j, p.out_dims, p.in_strides, p.ndim)];
}

void permute_cuda(void* out, const void* in, int elem_bytes, const int64_t* out_dims, const int64_t* in_strides,
                  int ndim, int64_t n) {
  SAR_CHECK(0 <= ndim && ndim <= Shape::kMaxDims, "permute_cuda: ndim ", ndim, " is outside [0, ", Shape::kMaxDims,
            "]");
  if (n == 0) return;
  PermuteIndex p{};
  for (int d = 0; d < ndim; ++d) {
    p.out_dims[d] = out_dims[d];
    p.in_strides[d] = in_strides[d];
  }
  p.ndim = ndim;
  if (elem_bytes == 4) {
    permute_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(
        static_cast<uint32_t*>(out), static_cast<const uint32_t*>(in), p, n);
  } else if (elem_bytes == 8) {
    permute_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(
        static_cast<uint64_t*>(out), static_cast<const uint64_t*>(in), p, n);
  } else {
    SAR_THROW("permute_cuda: elements of ", elem_bytes, " bytes are not supported (4 or 8)");
  }
  CUDA_CHECK_LAUNCH(permute_kernel);
}

// ---- gather ----

// Set by gather_forward_kernel on an index outside [0, Rx): a kernel cannot throw, so the
// launcher reads this back and throws. `value` is the bad index of the first thread to see one.
struct GatherError {
  int flagged;
  int64_t value;
};
__device__ GatherError gather_error;

// The flat offset in x of the element that output j picks: x[o, k, i], with (o, i) from j.
__device__ inline int64_t gathered_offset(int64_t j, int64_t k, int64_t Rx, int64_t Ri, int64_t inner) {
  const int64_t o = j / (Ri * inner), i = j % inner;
  return (o * Rx + k) * inner + i;
}

__global__ void gather_forward_kernel(float* out, const float* x, const int64_t* index, int64_t Rx, int64_t Ri,
                                      int64_t inner, int64_t n) {
  GRID_STRIDE_LOOP(j, n) {
    const int64_t k = index[j];
    if (0 <= k && k < Rx) {
      out[j] = x[gathered_offset(j, k, Rx, Ri, inner)];
    } else {
      if (atomicExch(&gather_error.flagged, 1) == 0) gather_error.value = k;
      out[j] = 0.f;
    }
  }
}

__global__ void gather_backward_kernel(float* dx, const float* dout, const int64_t* index, int64_t Rx, int64_t Ri,
                                       int64_t inner, int64_t n) {
  GRID_STRIDE_LOOP(j, n) {
    const int64_t k = index[j];
    // The forward already refused bad indices; this guard only keeps memory safe if index
    // was changed in place since.
    if (0 <= k && k < Rx) atomicAdd(&dx[gathered_offset(j, k, Rx, Ri, inner)], dout[j]);
  }
}

void gather_forward_cuda(float* out, const float* x, const int64_t* index, int64_t outer, int64_t Rx, int64_t Ri,
                         int64_t inner) {
  const int64_t n = outer * Ri * inner;
  if (n == 0) return;
  void* error = nullptr;
  CUDA_CHECK(cudaGetSymbolAddress(&error, gather_error));
  CUDA_CHECK(cudaMemsetAsync(error, 0, sizeof(GatherError), stream()));
  gather_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(out, x, index, Rx, Ri, inner, n);
  CUDA_CHECK_LAUNCH(gather_forward_kernel);
  // Reading the flag waits for the kernel: the price of reporting a bad index as an error
  // at the op that received it, instead of returning zeros.
  GatherError host{};
  CUDA_CHECK(cudaMemcpyAsync(&host, error, sizeof(GatherError), cudaMemcpyDeviceToHost, stream()));
  CUDA_CHECK(cudaStreamSynchronize(stream()));
  SAR_CHECK(!host.flagged, "gather: index value ", host.value, " is out of range [0, ", Rx, ")");
}

void gather_backward_cuda(float* dx, const float* dout, const int64_t* index, int64_t outer, int64_t Rx, int64_t Ri,
                          int64_t inner) {
  const int64_t n = outer * Ri * inner;
  if (n == 0) return;
  gather_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(dx, dout, index, Rx, Ri, inner, n);
  CUDA_CHECK_LAUNCH(gather_backward_kernel);
}

}  // namespace sar
