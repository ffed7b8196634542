// elementwise.cpp: CPU twins of cuda/elementwise.cu. The math of each element is in
// core/scalar_math.h; these loops only walk the elements (OpenMP over the cores).
//
// Speed: the op is turned into a compile-time constant before the loop (with_unary_op,
// with_binary_op), so the switch inside unary_value & co. folds away and each loop body is
// straight-line code the compiler vectorizes (given the Makefile's -fvect-cost-model=dynamic:
// these loops need a run-time alias check, which -O2 alone declines); and operands of one shape skip the broadcast
// index arithmetic (five divisions per element). Both matter: the residual adds, the tape's
// gradient sums and ReLU are a quarter of a ResNet training step's CPU time without them.
#include <type_traits>

#include "core/cpu/kernels_cpu.h"

namespace sar {

namespace {

template <UnaryOp K>
using UnaryConst = std::integral_constant<UnaryOp, K>;
template <BinaryOp K>
using BinaryConst = std::integral_constant<BinaryOp, K>;

// Calls f(std::integral_constant<UnaryOp, op>{}): the op as a constant inside f.
template <typename F>
void with_unary_op(UnaryOp op, F&& f) {
  switch (op) {
    case UnaryOp::Neg: return f(UnaryConst<UnaryOp::Neg>{});
    case UnaryOp::Exp: return f(UnaryConst<UnaryOp::Exp>{});
    case UnaryOp::Log: return f(UnaryConst<UnaryOp::Log>{});
    case UnaryOp::Sigmoid: return f(UnaryConst<UnaryOp::Sigmoid>{});
    case UnaryOp::Softplus: return f(UnaryConst<UnaryOp::Softplus>{});
    case UnaryOp::Relu: return f(UnaryConst<UnaryOp::Relu>{});
    case UnaryOp::Abs: return f(UnaryConst<UnaryOp::Abs>{});
    case UnaryOp::Pow: return f(UnaryConst<UnaryOp::Pow>{});
    case UnaryOp::AddScalar: return f(UnaryConst<UnaryOp::AddScalar>{});
    case UnaryOp::MulScalar: return f(UnaryConst<UnaryOp::MulScalar>{});
    case UnaryOp::MaxScalar: return f(UnaryConst<UnaryOp::MaxScalar>{});
    case UnaryOp::GreaterScalar: return f(UnaryConst<UnaryOp::GreaterScalar>{});
  }
}

template <typename F>
void with_binary_op(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::Add: return f(BinaryConst<BinaryOp::Add>{});
    case BinaryOp::Sub: return f(BinaryConst<BinaryOp::Sub>{});
    case BinaryOp::Mul: return f(BinaryConst<BinaryOp::Mul>{});
    case BinaryOp::Div: return f(BinaryConst<BinaryOp::Div>{});
  }
}

}  // namespace

template <typename T>
void unary_forward_cpu(UnaryOp op, T* y, const T* x, int64_t n, T alpha) {
  with_unary_op(op, [&](auto k) {
#pragma omp parallel for if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) y[i] = unary_value(k.value, x[i], alpha);
  });
}

template <typename T>
void unary_backward_cpu(UnaryOp op, T* dx, const T* dy, const T* saved, int64_t n, T alpha) {
  with_unary_op(op, [&](auto k) {
#pragma omp parallel for if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * unary_derivative(k.value, saved[i], alpha);
  });
}

template <typename T>
void binary_forward_cpu(BinaryOp op, T* out, const T* a, const T* b, const BroadcastIndex& bi, int64_t n) {
  const bool flat = bi.flat();
  with_binary_op(op, [&](auto k) {
    if (flat) {
#pragma omp parallel for if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) out[i] = binary_value(k.value, a[i], b[i]);
      return;
    }
#pragma omp parallel for if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      int64_t ia, ib;
      bi.offsets(i, &ia, &ib);
      out[i] = binary_value(k.value, a[ia], b[ib]);
    }
  });
}

template <typename T>
void binary_backward_cpu(BinaryOp op, T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastIndex& bi,
                         int64_t n) {
  const bool flat = bi.flat();
  with_binary_op(op, [&](auto k) {
#pragma omp parallel for if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      int64_t ia = i, ib = i;
      if (!flat) bi.offsets(i, &ia, &ib);
      if (da) da[i] = dout[i] * binary_derivative_a(k.value, a[ia], b[ib]);
      if (db) db[i] = dout[i] * binary_derivative_b(k.value, a[ia], b[ib]);
    }
  });
}

#define SAR_INSTANTIATE(T)                                                                                 \
  template void unary_forward_cpu<T>(UnaryOp, T*, const T*, int64_t, T);                                   \
  template void unary_backward_cpu<T>(UnaryOp, T*, const T*, const T*, int64_t, T);                        \
  template void binary_forward_cpu<T>(BinaryOp, T*, const T*, const T*, const BroadcastIndex&, int64_t);   \
  template void binary_backward_cpu<T>(BinaryOp, T*, T*, const T*, const T*, const T*, const BroadcastIndex&, \
                                       int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
