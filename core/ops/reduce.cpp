// reduce.cpp: the op functions of core/ops/reduce.h.
#include "core/ops/reduce.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_util.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

// The output shape of reducing `axis`: the axis removed, or kept as 1.
static Shape reduced_shape(const Shape& s, int axis, bool keepdim) {
  std::vector<int64_t> dims;
  for (int d = 0; d < s.ndim(); ++d) {
    if (d != axis) dims.push_back(s[d]);
    else if (keepdim) dims.push_back(1);
  }
  return Shape(dims);
}

// out = scale * sum over axis (scale 1 for sum, 1/R for mean).
static Tensor sum_or_mean(const char* name, const Tensor& x, int axis_arg, bool keepdim, bool is_mean) {
  check_float(x, name, "x");
  int axis = x.shape().axis(axis_arg, name);
  const int64_t outer = x.shape().outer(axis), R = x.shape()[axis], inner = x.shape().inner(axis);
  const double scale = is_mean ? 1.0 / double(R) : 1.0;
  Tensor out = Tensor::empty(reduced_shape(x.shape(), axis, keepdim), x.dtype(), x.device());
  if (x.is_cuda()) {
    SAR_ON_CUDA(name, sum_axis_cuda(out.data<float>(), x.data<float>(), outer, R, inner));
  } else {
    dispatch_float(x.dtype(), name, [&](auto zero) {
      using T = decltype(zero);
      sum_axis_cpu<T>(out.data<T>(), x.data<T>(), outer, R, inner);
    });
  }
  if (is_mean) {
    NoGrad no_grad;  // the scaling is part of this op's node, not a node of its own
    out = mul(out, scale);
  }
  const Shape x_shape = x.shape();  // backward needs x's shape, not its values
  tape().record(name, {x}, {out}, [x_shape, outer, R, inner, scale](const TensorList& dout) -> TensorList {
    Tensor dx = Tensor::empty(x_shape, dout[0].dtype(), dout[0].device());
    if (dx.is_cuda()) {
      SAR_ON_CUDA("sum backward",
                  broadcast_axis_cuda(dx.data<float>(), dout[0].data<float>(), outer, R, inner, float(scale)));
    } else {
      dispatch_float(dx.dtype(), "sum backward", [&](auto zero) {
        using T = decltype(zero);
        broadcast_axis_cpu<T>(dx.data<T>(), dout[0].data<T>(), outer, R, inner, T(scale));
      });
    }
    return {dx};
  });
  return out;
}

Tensor sum(const Tensor& x, int axis, bool keepdim) { return sum_or_mean("sum", x, axis, keepdim, false); }
Tensor mean(const Tensor& x, int axis, bool keepdim) { return sum_or_mean("mean", x, axis, keepdim, true); }

// All-element forms: view as [numel] and reduce axis 0 (a view, so no copy).
static Tensor flat(const Tensor& x) { return reshape(x, {x.numel()}); }
Tensor sum(const Tensor& x) { return sum(flat(x), 0); }
Tensor mean(const Tensor& x) { return mean(flat(x), 0); }
Tensor max(const Tensor& x) { return max(flat(x), 0); }

// Forward of max: values and the arg-max they came from.
static void max_forward(const char* name, const Tensor& out, const Tensor& index, const Tensor& x, int64_t outer,
                        int64_t R, int64_t inner) {
  SAR_CHECK(R > 0, name, ": cannot take the max over an empty axis of shape ", x.shape());
  if (x.is_cuda()) {
    SAR_ON_CUDA(name, max_axis_cuda(out.data<float>(), index.data<int64_t>(), x.data<float>(), outer, R, inner));
  } else {
    dispatch_float(x.dtype(), name, [&](auto zero) {
      using T = decltype(zero);
      max_axis_cpu<T>(out.data<T>(), index.data<int64_t>(), x.data<T>(), outer, R, inner);
    });
  }
}

Tensor max(const Tensor& x, int axis_arg, bool keepdim) {
  check_float(x, "max", "x");
  int axis = x.shape().axis(axis_arg, "max");
  const int64_t outer = x.shape().outer(axis), R = x.shape()[axis], inner = x.shape().inner(axis);
  Shape shape = reduced_shape(x.shape(), axis, keepdim);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  Tensor index = Tensor::empty(shape, DType::I64, x.device());
  max_forward("max", out, index, x, outer, R, inner);
  const Shape x_shape = x.shape();  // backward needs x's shape and the arg-max, not x's values
  tape().record("max", {x}, {out}, [x_shape, index, outer, R, inner](const TensorList& dout) -> TensorList {
    Tensor dx = Tensor::empty(x_shape, dout[0].dtype(), dout[0].device());
    if (dx.is_cuda()) {
      SAR_ON_CUDA("max backward", max_axis_backward_cuda(dx.data<float>(), dout[0].data<float>(),
                                                         index.data<int64_t>(), outer, R, inner));
    } else {
      dispatch_float(dx.dtype(), "max backward", [&](auto zero) {
        using T = decltype(zero);
        max_axis_backward_cpu<T>(dx.data<T>(), dout[0].data<T>(), index.data<int64_t>(), outer, R, inner);
      });
    }
    return {dx};
  });
  return out;
}

Tensor argmax(const Tensor& x, int axis_arg, bool keepdim) {
  check_float(x, "argmax", "x");
  int axis = x.shape().axis(axis_arg, "argmax");
  Shape shape = reduced_shape(x.shape(), axis, keepdim);
  Tensor values = Tensor::empty(shape, x.dtype(), x.device());
  Tensor index = Tensor::empty(shape, DType::I64, x.device());
  max_forward("argmax", values, index, x, x.shape().outer(axis), x.shape()[axis], x.shape().inner(axis));
  return index;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const Shape& s = x.shape();
  SAR_CHECK(broadcast_shapes(shape, s, "sum_to") == s, "sum_to: ", s, " is not a broadcast of ", shape);
  // Sum away the leading dims that the broadcast added, then each dim it stretched from 1.
  Tensor out = x;
  for (int d = 0; d < s.ndim() - shape.ndim(); ++d) out = sum(out, 0);
  for (int d = 0; d < shape.ndim(); ++d)
    if (shape[d] == 1 && out.shape()[d] != 1) out = sum(out, d, /*keepdim=*/true);
  return out;
}

}  // namespace sar
