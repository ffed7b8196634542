// memory.cpp: fill, dtype conversion and the axis-block copy (CPU twins of cuda/memory.cu).
#include <cstring>

#include "core/cpu/kernels_cpu.h"
#include "core/error.h"

namespace sar {

template <typename T>
void fill_cpu(T* x, int64_t n, T value) {
  for (int64_t i = 0; i < n; ++i) x[i] = value;
}

template <typename Dst, typename Src>
static void convert(Dst* dst, const Src* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<Dst>(src[i]);
}

template <typename Src>
static void convert_from(void* dst, DType dst_dtype, const Src* src, int64_t n) {
  switch (dst_dtype) {
    case DType::F32: convert(static_cast<float*>(dst), src, n); return;
    case DType::F64: convert(static_cast<double*>(dst), src, n); return;
    case DType::I64: convert(static_cast<int64_t*>(dst), src, n); return;
    default: SAR_THROW("cast: to ", dtype_name(dst_dtype), " is not implemented");
  }
}

void cast_cpu(void* dst, DType dst_dtype, const void* src, DType src_dtype, int64_t n) {
  switch (src_dtype) {
    case DType::F32: convert_from(dst, dst_dtype, static_cast<const float*>(src), n); return;
    case DType::F64: convert_from(dst, dst_dtype, static_cast<const double*>(src), n); return;
    case DType::I64: convert_from(dst, dst_dtype, static_cast<const int64_t*>(src), n); return;
    default: SAR_THROW("cast: from ", dtype_name(src_dtype), " is not implemented");
  }
}

void axis_copy_cpu(void* dst, int64_t dst_len, int64_t dst_start, const void* src, int64_t src_len,
                   int64_t src_start, int64_t outer, int64_t len, int64_t inner_bytes) {
  // Each outer index copies one contiguous run of len rows.
  for (int64_t o = 0; o < outer; ++o) {
    char* d = static_cast<char*>(dst) + (o * dst_len + dst_start) * inner_bytes;
    const char* s = static_cast<const char*>(src) + (o * src_len + src_start) * inner_bytes;
    std::memcpy(d, s, len * inner_bytes);
  }
}

template void fill_cpu<float>(float*, int64_t, float);
template void fill_cpu<double>(double*, int64_t, double);
template void fill_cpu<int64_t>(int64_t*, int64_t, int64_t);

}  // namespace sar
