// scalar_math.h: the per-element math of the elementwise ops, written once for both
// devices (SAR_HD = __host__ __device__ under nvcc). The CPU kernels in core/cpu/ and the
// CUDA kernels in cuda/ both call these, so the two backends cannot drift apart; the
// gradient checks still test the derivatives here against central differences.
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define SAR_HD __host__ __device__ inline
#else
#define SAR_HD inline
#endif

namespace sar {

// y = f(x); alpha is the scalar of the three scalar ops.
enum class UnaryOp { Neg, Exp, Log, Sigmoid, Softplus, Relu, Abs, Pow, AddScalar, MulScalar, MaxScalar, GreaterScalar };

// out = a (op) b, elementwise after broadcasting.
enum class BinaryOp { Add, Sub, Mul, Div };

template <typename T>
SAR_HD T sigmoid_of(T x) {
  using std::exp;
  // Two branches so exp never overflows: for x << 0, 1 / (1 + exp(-x)) would hit inf.
  if (x >= T(0)) return T(1) / (T(1) + exp(-x));
  T e = exp(x);
  return e / (T(1) + e);
}

// softplus(x) = log(1 + e^x), without overflow for large x; log1p keeps e^x for very negative x,
// where 1 + e^x rounds to 1. Its derivative is sigmoid(x), 1/2 at 0 (relu(x) + log(1 + e^-|x|)
// composed of ops would get 0 there: relu'(0) and abs'(0) are 0 by convention).
template <typename T>
SAR_HD T softplus_of(T x) {
  using std::exp; using std::log1p; using std::fabs;
  return (x > T(0) ? x : T(0)) + log1p(exp(-fabs(x)));
}

template <typename T>
SAR_HD T unary_value(UnaryOp op, T x, T alpha) {
  using std::exp; using std::log; using std::pow; using std::fabs;
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return exp(x);
    case UnaryOp::Log: return log(x);
    case UnaryOp::Sigmoid: return sigmoid_of(x);
    case UnaryOp::Softplus: return softplus_of(x);
    case UnaryOp::Relu: return !(x <= T(0)) ? x : T(0);  // NaN stays NaN, as in PyTorch
    case UnaryOp::Abs: return fabs(x);
    case UnaryOp::Pow: return pow(x, alpha);
    case UnaryOp::AddScalar: return x + alpha;
    case UnaryOp::MulScalar: return x * alpha;
    case UnaryOp::MaxScalar: return !(x <= alpha) ? x : alpha;
    case UnaryOp::GreaterScalar: return x > alpha ? T(1) : T(0);
  }
  return x;
}

// The one tensor y = f(x)'s derivative is computed from, and so the one its tape node keeps
// alive until backward: the output where f' is a function of y (exp, sigmoid, and relu and
// max(x, s), whose y > 0 / y > s says x > 0 / x > s), the input where it needs x, else nothing.
enum class UnarySaves { Nothing, Input, Output };

SAR_HD constexpr UnarySaves unary_saves(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Sigmoid: case UnaryOp::Relu: case UnaryOp::MaxScalar:
      return UnarySaves::Output;
    case UnaryOp::Log: case UnaryOp::Softplus: case UnaryOp::Abs: case UnaryOp::Pow:
      return UnarySaves::Input;
    default:
      return UnarySaves::Nothing;
  }
}

// dy/dx from s, the saved value of unary_saves(op) (x or y = f(x); ignored when nothing is saved).
// relu'(0) = 0, abs'(0) = 0 and max(x, s)' = 0 at x = s, as PyTorch does; a NaN output passes
// the gradient through (PyTorch's threshold_backward).
template <typename T>
SAR_HD T unary_derivative(UnaryOp op, T s, T alpha) {
  using std::pow;
  switch (op) {
    case UnaryOp::Neg: return T(-1);
    case UnaryOp::Exp: return s;                                   // s = y = e^x
    case UnaryOp::Log: return T(1) / s;                            // s = x
    case UnaryOp::Sigmoid: return s * (T(1) - s);                  // s = y
    case UnaryOp::Softplus: return sigmoid_of(s);                  // s = x
    case UnaryOp::Relu: return !(s <= T(0)) ? T(1) : T(0);         // s = y
    case UnaryOp::Abs: return s > T(0) ? T(1) : (s < T(0) ? T(-1) : T(0));  // s = x
    case UnaryOp::Pow: return alpha == T(0) ? T(0) : alpha * pow(s, alpha - T(1));  // s = x
    case UnaryOp::AddScalar: return T(1);
    case UnaryOp::MulScalar: return alpha;
    case UnaryOp::MaxScalar: return !(s <= alpha) ? T(1) : T(0);   // s = y
    case UnaryOp::GreaterScalar: return T(0);  // a step: zero almost everywhere
  }
  return T(0);
}

// The order of the max reductions (max, argmax: core/cpu/reduce.cpp, cuda/reduce.cu): a NaN
// ranks before every number (it propagates, as in PyTorch), then the larger value; among equal
// values, and among NaNs, the lower index. A strict total order over a row's elements, so every
// device and every reduction tree picks the same element.
template <typename T>
SAR_HD bool max_ranks_before(T a, int64_t index_a, T b, int64_t index_b) {
  using std::isnan;
  if (isnan(a) != isnan(b)) return isnan(a);
  return a > b || ((a == b || isnan(a)) && index_a < index_b);
}

template <typename T>
SAR_HD T binary_value(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return a;
}

// d(a op b)/da and d(a op b)/db.
template <typename T>
SAR_HD T binary_derivative_a(BinaryOp op, T a, T b) {
  (void)a;
  switch (op) {
    case BinaryOp::Add: return T(1);
    case BinaryOp::Sub: return T(1);
    case BinaryOp::Mul: return b;
    case BinaryOp::Div: return T(1) / b;
  }
  return T(0);
}

template <typename T>
SAR_HD T binary_derivative_b(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return T(1);
    case BinaryOp::Sub: return T(-1);
    case BinaryOp::Mul: return a;
    case BinaryOp::Div: return -(a / b) / b;  // not -a / b^2: b^2 over- or underflows first
  }
  return T(0);
}

// Where element i of a broadcast output reads its two inputs. Dims are right-aligned to
// the output's 5 slots; a broadcast input dim has stride 0.
struct BroadcastIndex {
  int64_t out_dims[5];
  int64_t a_strides[5];
  int64_t b_strides[5];

  SAR_HD void offsets(int64_t i, int64_t* a_off, int64_t* b_off) const {
    int64_t oa = 0, ob = 0;
    for (int d = 4; d >= 0; --d) {
      int64_t coord = i % out_dims[d];
      i /= out_dims[d];
      oa += coord * a_strides[d];
      ob += coord * b_strides[d];
    }
    *a_off = oa;
    *b_off = ob;
  }

  // Both operands have the output's shape: element i of each is element i, and the kernels skip
  // offsets' five divisions per element.
  bool flat() const {
    int64_t stride = 1;
    for (int d = 4; d >= 0; --d) {
      if (out_dims[d] != 1 && (a_strides[d] != stride || b_strides[d] != stride)) return false;
      stride *= out_dims[d];
    }
    return true;
  }
};

}  // namespace sar
