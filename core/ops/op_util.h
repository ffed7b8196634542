// op_util.h: the checks every op function starts with, and the dtype switch of the CPU
// branch. Messages name the op and the argument: "matmul: a must be float32 or float64 ...".
#pragma once

#include "core/tensor.h"

namespace sar {

// x is defined and float32/float64 (the dtypes the CPU kernels are instantiated for).
void check_float(const Tensor& x, const char* op, const char* arg);
// a and b live on the same device and have the same dtype.
void check_same(const Tensor& a, const Tensor& b, const char* op, const char* arg_a, const char* arg_b);
// On CUDA, the kernels take float32: say so instead of failing inside a kernel.
void check_cuda_float32(const Tensor& x, const char* op, const char* arg);

// The raw data of an optional tensor, or nullptr when it is undefined: kernels take
// nullptr for an absent input (no affine, no running statistics) or an unwanted gradient.
template <typename T>
T* optional_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Calls f(float{}) or f(double{}) by dtype, so a CPU branch is written once:
//   dispatch_float(x.dtype(), "exp", [&](auto zero) { using T = decltype(zero); ... });
template <typename F>
void dispatch_float(DType dtype, const char* op, F&& f) {
  if (dtype == DType::F32) f(float{});
  else if (dtype == DType::F64) f(double{});
  else SAR_THROW(op, ": CPU kernels take float32 or float64, got ", dtype_name(dtype));
}

}  // namespace sar
