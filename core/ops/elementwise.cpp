// elementwise.cpp: the op functions of core/ops/elementwise.h: check, allocate, dispatch
// by device, record one tape node.
#include "core/ops/elementwise.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

// ---- y = f(x) ----

static void unary_forward(UnaryOp op, double alpha, const Tensor& y, const Tensor& x) {
  if (x.is_cuda()) {
    SAR_ON_CUDA("unary op", unary_forward_cuda(op, y.data<float>(), x.data<float>(), x.numel(), float(alpha)));
    return;
  }
  dispatch_float(x.dtype(), "unary op", [&](auto zero) {
    using T = decltype(zero);
    unary_forward_cpu<T>(op, y.data<T>(), x.data<T>(), x.numel(), T(alpha));
  });
}

// saved: x or y as unary_saves(op) says (dy itself where the op saves nothing: it is not read).
static void unary_backward(UnaryOp op, double alpha, const Tensor& dx, const Tensor& dy, const Tensor& saved) {
  if (dx.is_cuda()) {
    SAR_ON_CUDA("unary op backward", unary_backward_cuda(op, dx.data<float>(), dy.data<float>(), saved.data<float>(),
                                                         dx.numel(), float(alpha)));
    return;
  }
  dispatch_float(dx.dtype(), "unary op backward", [&](auto zero) {
    using T = decltype(zero);
    unary_backward_cpu<T>(op, dx.data<T>(), dy.data<T>(), saved.data<T>(), dx.numel(), T(alpha));
  });
}

static Tensor unary(const char* name, UnaryOp op, const Tensor& x, double alpha = 0.0) {
  check_float(x, name, "x");
  Tensor y = Tensor::empty_like(x);
  unary_forward(op, alpha, y, x);
  const UnarySaves saves = unary_saves(op);
  Tensor saved = saves == UnarySaves::Input ? x : saves == UnarySaves::Output ? y : Tensor();
  tape().record(name, {x}, {y}, [op, alpha, saved](const TensorList& dy) -> TensorList {
    Tensor dx = Tensor::empty_like(dy[0]);
    unary_backward(op, alpha, dx, dy[0], saved.defined() ? saved : dy[0]);
    return {dx};
  });
  return y;
}

Tensor neg(const Tensor& x) { return unary("neg", UnaryOp::Neg, x); }
Tensor exp(const Tensor& x) { return unary("exp", UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary("log", UnaryOp::Log, x); }
Tensor sigmoid(const Tensor& x) { return unary("sigmoid", UnaryOp::Sigmoid, x); }
Tensor softplus(const Tensor& x) { return unary("softplus", UnaryOp::Softplus, x); }
Tensor relu(const Tensor& x) { return unary("relu", UnaryOp::Relu, x); }
Tensor abs(const Tensor& x) { return unary("abs", UnaryOp::Abs, x); }
Tensor pow(const Tensor& x, double p) { return unary("pow", UnaryOp::Pow, x, p); }
Tensor clamp_min(const Tensor& x, double s) { return unary("clamp_min", UnaryOp::MaxScalar, x, s); }
Tensor greater(const Tensor& x, double s) { return unary("greater", UnaryOp::GreaterScalar, x, s); }
Tensor add(const Tensor& x, double s) { return unary("add_scalar", UnaryOp::AddScalar, x, s); }
Tensor sub(const Tensor& x, double s) { return unary("add_scalar", UnaryOp::AddScalar, x, -s); }
Tensor mul(const Tensor& x, double s) { return unary("mul_scalar", UnaryOp::MulScalar, x, s); }
Tensor div(const Tensor& x, double s) { return unary("mul_scalar", UnaryOp::MulScalar, x, 1.0 / s); }
Tensor rsub(double s, const Tensor& x) { return add(neg(x), s); }

// ---- out = a (op) b with broadcasting ----

// Right-aligns a and b to the output's 5 slots; broadcast dims get stride 0.
static BroadcastIndex broadcast_index(const Shape& out, const Shape& a, const Shape& b) {
  BroadcastIndex bi;
  auto sa = a.strides(), sb = b.strides();
  for (int slot = 0; slot < 5; ++slot) {
    int d_out = out.ndim() - 5 + slot, d_a = a.ndim() - 5 + slot, d_b = b.ndim() - 5 + slot;
    bi.out_dims[slot] = d_out >= 0 ? out[d_out] : 1;
    bi.a_strides[slot] = d_a >= 0 && a[d_a] != 1 ? sa[d_a] : 0;
    bi.b_strides[slot] = d_b >= 0 && b[d_b] != 1 ? sb[d_b] : 0;
  }
  return bi;
}

static Tensor binary(const char* name, BinaryOp op, const Tensor& a, const Tensor& b) {
  check_float(a, name, "a");
  check_float(b, name, "b");
  check_same(a, b, name, "a", "b");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  BroadcastIndex bi = broadcast_index(shape, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  if (a.is_cuda()) {
    SAR_ON_CUDA(name, binary_forward_cuda(op, out.data<float>(), a.data<float>(), b.data<float>(), bi, out.numel()));
  } else {
    dispatch_float(a.dtype(), name, [&](auto zero) {
      using T = decltype(zero);
      binary_forward_cpu<T>(op, out.data<T>(), a.data<T>(), b.data<T>(), bi, out.numel());
    });
  }

  // Add and sub pass dout through (negated for sub's b): only the broadcast sum, and nothing
  // of a and b is kept for backward. Mul and div need both values.
  const bool linear = op == BinaryOp::Add || op == BinaryOp::Sub;
  const Shape a_shape = a.shape(), b_shape = b.shape();
  const bool a_grad = a.requires_grad(), b_grad = b.requires_grad();
  Tensor a_saved = linear ? Tensor() : a, b_saved = linear ? Tensor() : b;
  tape().record(name, {a, b}, {out}, [name, op, linear, a_shape, b_shape, a_grad, b_grad, a_saved, b_saved,
                                      bi](const TensorList& douts) -> TensorList {
    const Tensor& dout = douts[0];
    if (linear)
      return {a_grad ? sum_to(dout, a_shape) : Tensor(),
              b_grad ? sum_to(op == BinaryOp::Sub ? neg(dout) : dout, b_shape) : Tensor()};
    Tensor da = a_grad ? Tensor::empty_like(dout) : Tensor();
    Tensor db = b_grad ? Tensor::empty_like(dout) : Tensor();
    if (dout.is_cuda()) {
      SAR_ON_CUDA(name, binary_backward_cuda(op, optional_data<float>(da), optional_data<float>(db), dout.data<float>(),
                                             a_saved.data<float>(), b_saved.data<float>(), bi, dout.numel()));
    } else {
      dispatch_float(dout.dtype(), name, [&](auto zero) {
        using T = decltype(zero);
        binary_backward_cpu<T>(op, optional_data<T>(da), optional_data<T>(db), dout.data<T>(), a_saved.data<T>(),
                               b_saved.data<T>(), bi, dout.numel());
      });
    }
    return {da.defined() ? sum_to(da, a_shape) : Tensor(), db.defined() ? sum_to(db, b_shape) : Tensor()};
  });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary("add", BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary("sub", BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary("mul", BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary("div", BinaryOp::Div, a, b); }

}  // namespace sar
