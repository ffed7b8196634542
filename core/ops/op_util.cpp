// op_util.cpp: the argument checks of core/ops/op_util.h that every op function starts with.
#include "core/ops/op_util.h"

namespace sar {

void check_float(const Tensor& x, const char* op, const char* arg) {
  SAR_CHECK(x.defined(), op, ": ", arg, " is an undefined tensor");
  SAR_CHECK(x.dtype() == DType::F32 || x.dtype() == DType::F64, op, ": ", arg, " must be float32 or float64, got ",
            dtype_name(x.dtype()));
  check_cuda_float32(x, op, arg);
}

void check_same(const Tensor& a, const Tensor& b, const char* op, const char* arg_a, const char* arg_b) {
  SAR_CHECK(a.device() == b.device(), op, ": ", arg_a, " is on ", device_name(a.device()), " but ", arg_b, " is on ",
            device_name(b.device()), "; move one with .to(Device::...)");
  SAR_CHECK(a.dtype() == b.dtype(), op, ": ", arg_a, " is ", dtype_name(a.dtype()), " but ", arg_b, " is ",
            dtype_name(b.dtype()), "; convert one with .to(DType::...)");
}

void check_cuda_float32(const Tensor& x, const char* op, const char* arg) {
  SAR_CHECK(!x.is_cuda() || x.dtype() == DType::F32, op, ": CUDA kernels take float32, but ", arg, " is ",
            dtype_name(x.dtype()), "; float64 runs on the CPU (the gradient-check reference)");
}

}  // namespace sar
