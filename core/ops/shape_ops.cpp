// shape_ops.cpp: the op functions of core/ops/shape_ops.h. Each backward is itself a
// shape op (permute back, slice apart, pad into zeros, scatter-add, flip back), so the kernels
// below are few: permute's strided copy (which flip reuses with a negative stride), gather and
// the axis-block copy of core/cpu/memory.cpp.
#include "core/ops/shape_ops.h"

#include <array>
#include <numeric>
#include <string>
#include <utility>

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static void check_defined(const Tensor& x, const char* op, const char* arg) {
  SAR_CHECK(x.defined(), op, ": ", arg, " is an undefined tensor");
}

Tensor reshape(const Tensor& x, const std::vector<int64_t>& dims) {
  check_defined(x, "reshape", "x");
  // Resolve one -1 from the element count.
  std::vector<int64_t> resolved = dims;
  int infer = -1;
  int64_t known = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == -1) {
      SAR_CHECK(infer < 0, "reshape: only one dim may be -1");
      infer = int(d);
    } else {
      SAR_CHECK(dims[d] >= 0, "reshape: dims must be >= 0 or -1, got ", dims[d]);
      known *= dims[d];
    }
  }
  if (infer >= 0) {
    SAR_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer the -1 dim of ", x.numel(),
              " elements with the other dims' product ", known);
    resolved[infer] = x.numel() / known;
  }
  Tensor y = x.view_as_shape(Shape(resolved));
  tape().record("reshape", {x}, {y}, [x_shape = x.shape()](const TensorList& dy) -> TensorList {
    return {dy[0].view_as_shape(x_shape)};
  });
  return y;
}

// ---- permute, transpose, flip ----

// out[j] = x[first + sum_d coord_d(j) * in_strides[d]], j walked over out's dims: the kernel of
// permute (strides reordered) and of flip (one stride negated, first at that axis's last row).
static void strided_copy(const Tensor& out, const Tensor& x, int64_t first, const int64_t* in_strides,
                         const char* op) {
  SAR_CHECK(x.dtype() != DType::BF16, op, ": bfloat16 is not implemented; use float32, float64 or int64");
  const std::vector<int64_t> out_dims = out.shape().to_vector();
  const int ndim = out.ndim();
  const int64_t n = out.numel();
  if (x.is_cuda()) {
    [[maybe_unused]] const char* in = static_cast<const char*>(x.raw_data()) + first * int64_t(dtype_size(x.dtype()));
    SAR_ON_CUDA(op, permute_cuda(out.raw_data(), in, int(dtype_size(x.dtype())), out_dims.data(), in_strides, ndim,
                                 n));
  } else if (x.dtype() == DType::I64) {
    permute_cpu<int64_t>(out.data<int64_t>(), x.data<int64_t>() + first, out_dims.data(), in_strides, ndim, n);
  } else {
    dispatch_float(x.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      permute_cpu<T>(out.data<T>(), x.data<T>() + first, out_dims.data(), in_strides, ndim, n);
    });
  }
}

Tensor permute(const Tensor& x, const std::vector<int>& order_arg) {
  check_defined(x, "permute", "x");
  const int ndim = x.ndim();
  // Resolve negative entries, then require each dim exactly once.
  std::vector<int> order(order_arg);
  std::vector<bool> seen(ndim, false);
  bool valid = int(order.size()) == ndim;
  for (int& d : order) {
    if (d < 0) d += ndim;
    valid = valid && d >= 0 && d < ndim && !seen[d];
    if (valid) seen[d] = true;
  }
  if (!valid) {
    std::string given;
    for (int d : order_arg) given += (given.empty() ? "" : ", ") + std::to_string(d);
    SAR_THROW("permute: order [", given, "] is not a permutation of ", ndim, " dims (x has shape ", x.shape(), ")");
  }
  // Output dim d walks input dim order[d]: its size and its input stride.
  std::vector<int64_t> out_dims(ndim), in_strides(ndim);
  auto strides = x.shape().strides();
  for (int d = 0; d < ndim; ++d) {
    out_dims[d] = x.shape()[order[d]];
    in_strides[d] = strides[order[d]];
  }
  Tensor out = Tensor::empty(Shape(out_dims), x.dtype(), x.device());
  strided_copy(out, x, 0, in_strides.data(), "permute");

  tape().record("permute", {x}, {out}, [order](const TensorList& dout) -> TensorList {
    // Output dim d came from input dim order[d], so the inverse sends it back there.
    std::vector<int> inverse(order.size());
    for (size_t d = 0; d < order.size(); ++d) inverse[order[d]] = int(d);
    return {permute(dout[0], inverse)};
  });
  return out;
}

Tensor transpose(const Tensor& x, int dim0, int dim1) {
  check_defined(x, "transpose", "x");
  std::vector<int> order(x.ndim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[x.shape().axis(dim0, "transpose")], order[x.shape().axis(dim1, "transpose")]);
  return permute(x, order);
}

Tensor flip(const Tensor& x, int axis_arg) {
  check_defined(x, "flip", "x");
  const int axis = x.shape().axis(axis_arg, "flip");
  // Row r of the output reads row R - 1 - r: start at the last row and walk the axis backwards.
  std::array<int64_t, Shape::kMaxDims> in_strides = x.shape().strides();
  const int64_t first = (x.shape()[axis] - 1) * in_strides[axis];
  in_strides[axis] = -in_strides[axis];
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.numel() > 0) strided_copy(out, x, first, in_strides.data(), "flip");

  tape().record("flip", {x}, {out}, [axis](const TensorList& dout) -> TensorList { return {flip(dout[0], axis)}; });
  return out;
}

// ---- concat, slice: blocks of rows along one axis ----

// dst[o, dst_start + r, :] = src[o, src_start + r, :] for r < len; dst and src have the
// same dims except along axis, and the same dtype and device.
static void copy_rows(const Tensor& dst, int64_t dst_start, const Tensor& src, int64_t src_start, int axis,
                      int64_t len) {
  const int64_t dst_len = dst.shape()[axis], src_len = src.shape()[axis], outer = src.shape().outer(axis);
  const int64_t inner_bytes = src.shape().inner(axis) * int64_t(dtype_size(src.dtype()));
  if (src.is_cuda()) {
    SAR_ON_CUDA("axis copy", axis_copy_cuda(dst.raw_data(), dst_len, dst_start, src.raw_data(), src_len, src_start,
                                            outer, len, inner_bytes));
  } else {
    axis_copy_cpu(dst.raw_data(), dst_len, dst_start, src.raw_data(), src_len, src_start, outer, len, inner_bytes);
  }
}

Tensor concat(const std::vector<Tensor>& xs, int axis_arg) {
  SAR_CHECK(!xs.empty(), "concat: needs at least one tensor, got an empty list");
  check_defined(xs[0], "concat", "input 0");
  const int axis = xs[0].shape().axis(axis_arg, "concat");
  Shape shape = xs[0].shape();
  shape[axis] = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    const std::string name = "input " + std::to_string(k);
    check_defined(xs[k], "concat", name.c_str());
    check_same(xs[k], xs[0], "concat", name.c_str(), "input 0");
    bool match = xs[k].ndim() == shape.ndim();
    for (int d = 0; match && d < shape.ndim(); ++d) match = d == axis || xs[k].shape()[d] == shape[d];
    SAR_CHECK(match, "concat: ", name, " has shape ", xs[k].shape(), " but input 0 has ", xs[0].shape(),
              "; all dims but axis ", axis, " must match");
    shape[axis] += xs[k].shape()[axis];
  }

  Tensor out = Tensor::empty(shape, xs[0].dtype(), xs[0].device());
  int64_t start = 0;
  for (const Tensor& x : xs) {
    copy_rows(out, start, x, 0, axis, x.shape()[axis]);
    start += x.shape()[axis];
  }

  std::vector<int64_t> sizes;  // of each input along axis: backward needs no more of them
  std::vector<bool> needs_grad;
  for (const Tensor& x : xs) {
    sizes.push_back(x.shape()[axis]);
    needs_grad.push_back(x.requires_grad());
  }
  tape().record("concat", xs, {out}, [sizes, needs_grad, axis](const TensorList& dout) -> TensorList {
    // Each input's gradient is its own block of dout.
    TensorList dxs;
    int64_t begin = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      const int64_t end = begin + sizes[i];
      dxs.push_back(needs_grad[i] ? slice(dout[0], axis, begin, end) : Tensor());
      begin = end;
    }
    return dxs;
  });
  return out;
}

Tensor slice(const Tensor& x, int axis_arg, int64_t begin, int64_t end) {
  check_defined(x, "slice", "x");
  const int axis = x.shape().axis(axis_arg, "slice");
  const int64_t size = x.shape()[axis];
  SAR_CHECK(begin >= 0 && end >= 0, "slice: negative bounds are not supported, got [", begin, ", ", end,
            "); count from 0 (axis ", axis, " has size ", size, ")");
  SAR_CHECK(begin <= end && end <= size, "slice: [", begin, ", ", end, ") out of range for axis ", axis,
            " of size ", size);

  // Rows of dim 0 are contiguous, so that slice shares x's storage; other axes copy.
  Tensor out;
  if (axis == 0) {
    out = x.view_rows(begin, end);
  } else {
    Shape shape = x.shape();
    shape[axis] = end - begin;
    out = Tensor::empty(shape, x.dtype(), x.device());
    copy_rows(out, 0, x, begin, axis, end - begin);
  }

  tape().record("slice", {x}, {out}, [x_shape = x.shape(), axis, begin, end](const TensorList& dout) -> TensorList {
    // Rows outside [begin, end) did not reach the output: their gradient is zero.
    Tensor dx = Tensor::zeros(x_shape, dout[0].dtype(), dout[0].device());
    copy_rows(dx, begin, dout[0], 0, axis, end - begin);
    return {dx};
  });
  return out;
}

// ---- gather ----

static void gather_forward(const Tensor& out, const Tensor& x, const Tensor& index, int64_t outer, int64_t Rx,
                           int64_t Ri, int64_t inner) {
  if (x.is_cuda()) {
    SAR_ON_CUDA("gather", gather_forward_cuda(out.data<float>(), x.data<float>(), index.data<int64_t>(), outer, Rx,
                                              Ri, inner));
    return;
  }
  dispatch_float(x.dtype(), "gather", [&](auto zero) {
    using T = decltype(zero);
    gather_forward_cpu<T>(out.data<T>(), x.data<T>(), index.data<int64_t>(), outer, Rx, Ri, inner);
  });
}

static void gather_backward(const Tensor& dx, const Tensor& dout, const Tensor& index, int64_t outer, int64_t Rx,
                            int64_t Ri, int64_t inner) {
  if (dx.is_cuda()) {
    SAR_ON_CUDA("gather backward", gather_backward_cuda(dx.data<float>(), dout.data<float>(), index.data<int64_t>(),
                                                        outer, Rx, Ri, inner));
    return;
  }
  dispatch_float(dx.dtype(), "gather backward", [&](auto zero) {
    using T = decltype(zero);
    gather_backward_cpu<T>(dx.data<T>(), dout.data<T>(), index.data<int64_t>(), outer, Rx, Ri, inner);
  });
}

Tensor gather(const Tensor& x, int axis_arg, const Tensor& index) {
  check_float(x, "gather", "x");
  check_defined(index, "gather", "index");
  SAR_CHECK(index.dtype() == DType::I64, "gather: index must be int64, got ", dtype_name(index.dtype()));
  SAR_CHECK(index.device() == x.device(), "gather: x is on ", device_name(x.device()), " but index is on ",
            device_name(index.device()), "; move one with .to(Device::...)");
  const int axis = x.shape().axis(axis_arg, "gather");
  bool match = index.ndim() == x.ndim();
  for (int d = 0; match && d < x.ndim(); ++d) match = d == axis || index.shape()[d] == x.shape()[d];
  SAR_CHECK(match, "gather: index has shape ", index.shape(), " but x has ", x.shape(), "; all dims but axis ", axis,
            " must match");

  const int64_t outer = x.shape().outer(axis), Rx = x.shape()[axis], Ri = index.shape()[axis];
  const int64_t inner = x.shape().inner(axis);
  Tensor out = Tensor::empty(index.shape(), x.dtype(), x.device());
  gather_forward(out, x, index, outer, Rx, Ri, inner);

  const Shape x_shape = x.shape();  // backward needs x's shape and the index, not x's values
  tape().record("gather", {x}, {out}, [x_shape, index, outer, Rx, Ri, inner](const TensorList& dout) -> TensorList {
    // An element of x picked k times receives the sum of its k gradients; never picked, zero.
    Tensor dx = Tensor::zeros(x_shape, dout[0].dtype(), dout[0].device());
    gather_backward(dx, dout[0], index, outer, Rx, Ri, inner);
    return {dx};
  });
  return out;
}

}  // namespace sar
