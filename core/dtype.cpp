// dtype.cpp: the size, name and kind of each element type of core/dtype.h.
#include "core/dtype.h"

namespace sar {

size_t dtype_size(DType dt) {
  switch (dt) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I64: return 8;
    case DType::BF16: return 2;
  }
  return 0;
}

const char* dtype_name(DType dt) {
  switch (dt) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I64: return "int64";
    case DType::BF16: return "bfloat16";
  }
  return "?";
}

bool is_floating(DType dt) { return dt != DType::I64; }

}  // namespace sar
