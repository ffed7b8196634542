// memory.cu: fill, dtype conversion and the axis-block copy on the device:
//   fill: x[i] = value;  cast: dst[i] = Dst(src[i]);
//   axis copy: dst[o, dst_start + r, :] = src[o, src_start + r, :] for r < len.
// CPU twins: fill_cpu, cast_cpu, axis_copy_cpu (core/cpu/memory.cpp). Tests: tests/test_tensor.cpp.
// Parallelism: one thread per element, grid-stride loops; the axis copy is one cudaMemcpy2D.
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

template <typename T>
__global__ void fill_kernel(T* x, int64_t n, T value) {
  GRID_STRIDE_LOOP(i, n) x[i] = value;
}

template <typename Dst, typename Src>
__global__ void cast_kernel(Dst* dst, const Src* src, int64_t n) {
  GRID_STRIDE_LOOP(i, n) dst[i] = static_cast<Dst>(src[i]);
}

void fill_cuda(void* x, DType dtype, int64_t n, double value) {
  if (n == 0) return;
  cudaStream_t s = static_cast<cudaStream_t>(cuda::stream());
  unsigned blocks = cuda::blocks_for(n);
  switch (dtype) {
    case DType::F32: fill_kernel<<<blocks, cuda::kThreads, 0, s>>>(static_cast<float*>(x), n, float(value)); break;
    case DType::F64: fill_kernel<<<blocks, cuda::kThreads, 0, s>>>(static_cast<double*>(x), n, value); break;
    case DType::I64: fill_kernel<<<blocks, cuda::kThreads, 0, s>>>(static_cast<int64_t*>(x), n, int64_t(value)); break;
    default: SAR_THROW("fill_cuda: ", dtype_name(dtype), " is not implemented");
  }
  CUDA_CHECK_LAUNCH(fill_kernel);
}

template <typename Src>
static void cast_from(void* dst, DType dst_dtype, const Src* src, int64_t n) {
  cudaStream_t s = static_cast<cudaStream_t>(cuda::stream());
  unsigned blocks = cuda::blocks_for(n);
  switch (dst_dtype) {
    case DType::F32: cast_kernel<<<blocks, cuda::kThreads, 0, s>>>(static_cast<float*>(dst), src, n); break;
    case DType::F64: cast_kernel<<<blocks, cuda::kThreads, 0, s>>>(static_cast<double*>(dst), src, n); break;
    case DType::I64: cast_kernel<<<blocks, cuda::kThreads, 0, s>>>(static_cast<int64_t*>(dst), src, n); break;
    default: SAR_THROW("cast_cuda: to ", dtype_name(dst_dtype), " is not implemented");
  }
  CUDA_CHECK_LAUNCH(cast_kernel);
}

void cast_cuda(void* dst, DType dst_dtype, const void* src, DType src_dtype, int64_t n) {
  if (n == 0) return;
  switch (src_dtype) {
    case DType::F32: cast_from(dst, dst_dtype, static_cast<const float*>(src), n); return;
    case DType::F64: cast_from(dst, dst_dtype, static_cast<const double*>(src), n); return;
    case DType::I64: cast_from(dst, dst_dtype, static_cast<const int64_t*>(src), n); return;
    default: SAR_THROW("cast_cuda: from ", dtype_name(src_dtype), " is not implemented");
  }
}

void axis_copy_cuda(void* dst, int64_t dst_len, int64_t dst_start, const void* src, int64_t src_len,
                    int64_t src_start, int64_t outer, int64_t len, int64_t inner_bytes) {
  if (outer == 0 || len == 0 || inner_bytes == 0) return;
  // A strided 2-D copy: `outer` rows of len*inner_bytes, with each side's own pitch.
  char* d = static_cast<char*>(dst) + dst_start * inner_bytes;
  const char* s = static_cast<const char*>(src) + src_start * inner_bytes;
  const auto stream = static_cast<cudaStream_t>(cuda::stream());
  // One row (a slice or concat along dim 0): a plain copy. cudaMemcpy2D refuses pitches above
  // the device's memPitch (2 GiB), and this row's pitch is the whole tensor.
  if (outer == 1) {
    CUDA_CHECK(cudaMemcpyAsync(d, s, size_t(len * inner_bytes), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  CUDA_CHECK(cudaMemcpy2DAsync(d, dst_len * inner_bytes, s, src_len * inner_bytes, len * inner_bytes, outer,
                               cudaMemcpyDeviceToDevice, stream));
}

}  // namespace sar
