// memory.cpp: fill, dtype conversion and the axis-block copy (CPU twins of cuda/memory.cu).
#include <cstring>
#include <vector>

#include "core/cpu/kernels_cpu.h"

namespace sar {

template <typename T>
void fill_cpu(T* x, int64_t n, T value) {
  for (int64_t i = 0; i < n; ++i) x[i] = value;
}

template <typename Dst, typename Src>
static void convert(Dst* dst, const Src* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<Dst>(src[i]);
}

// bfloat16 is the top half of a float32: widening is a shift; narrowing rounds to
// nearest, ties to even (NaN stays NaN).
static float bf16_to_float(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

template <typename Src>
static void convert_from(void* dst, DType dst_dtype, const Src* src, int64_t n) {
  switch (dst_dtype) {
    case DType::F32: convert(static_cast<float*>(dst), src, n); return;
    case DType::F64: convert(static_cast<double*>(dst), src, n); return;
    case DType::I64: convert(static_cast<int64_t*>(dst), src, n); return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = float_to_bf16(float(src[i]));
      return;
  }
}

void cast_cpu(void* dst, DType dst_dtype, const void* src, DType src_dtype, int64_t n) {
  switch (src_dtype) {
    case DType::F32: convert_from(dst, dst_dtype, static_cast<const float*>(src), n); return;
    case DType::F64: convert_from(dst, dst_dtype, static_cast<const double*>(src), n); return;
    case DType::I64: convert_from(dst, dst_dtype, static_cast<const int64_t*>(src), n); return;
    case DType::BF16: {
      std::vector<float> wide(n);
      for (int64_t i = 0; i < n; ++i) wide[i] = bf16_to_float(static_cast<const uint16_t*>(src)[i]);
      convert_from(dst, dst_dtype, wide.data(), n);
      return;
    }
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
