// dtype.h: element types a Tensor can hold.
//   F32, F64  floating point; every differentiable op supports them on CPU (CUDA: F32).
//   I64       indices (gather, max's arg-max, safetensors I64); never differentiable.
//   BF16      storage only for now (checkpoints): stored, copied, converted on the CPU; ops refuse it.
#pragma once

#include <cstddef>
#include <string>

namespace sar {

enum class DType { F32, F64, I64, BF16 };

size_t dtype_size(DType dt);        // bytes per element
const char* dtype_name(DType dt);   // "float32", "float64", "int64", "bfloat16"
bool is_floating(DType dt);         // F32, F64 or BF16

}  // namespace sar
