// softmax.cpp: the op functions of core/ops/softmax.h; the two ops differ only in the
// kernels' `log` flag.
#include "core/ops/softmax.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static Tensor softmax_along(const char* name, const Tensor& x, int axis_arg, bool log) {
  check_float(x, name, "x");
  const int axis = x.shape().axis(axis_arg, name);
  const int64_t outer = x.shape().outer(axis), R = x.shape()[axis], inner = x.shape().inner(axis);
  Tensor y = Tensor::empty_like(x);
  if (x.is_cuda()) {
    SAR_ON_CUDA(name, softmax_forward_cuda(y.data<float>(), x.data<float>(), outer, R, inner, log));
  } else {
    dispatch_float(x.dtype(), name, [&](auto zero) {
      using T = decltype(zero);
      softmax_forward_cpu<T>(y.data<T>(), x.data<T>(), outer, R, inner, log);
    });
  }

  // The backward reads only the output y (formulas in softmax.h).
  tape().record(name, {x}, {y}, [name, y, outer, R, inner, log](const TensorList& dy) -> TensorList {
    Tensor dx = Tensor::empty_like(y);
    if (y.is_cuda()) {
      SAR_ON_CUDA(name, softmax_backward_cuda(dx.data<float>(), dy[0].data<float>(), y.data<float>(), outer, R,
                                              inner, log));
    } else {
      dispatch_float(y.dtype(), name, [&](auto zero) {
        using T = decltype(zero);
        softmax_backward_cpu<T>(dx.data<T>(), dy[0].data<T>(), y.data<T>(), outer, R, inner, log);
      });
    }
    return {dx};
  });
  return y;
}

Tensor softmax(const Tensor& x, int axis) { return softmax_along("softmax", x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_along("log_softmax", x, axis, true); }

}  // namespace sar
