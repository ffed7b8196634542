// elementwise.h: arithmetic with NumPy broadcasting, scalar variants, and the pointwise
// functions. Each is one tape node; the per-element math (value and derivative) is in
// core/scalar_math.h, shared by core/cpu/elementwise.cpp and cuda/elementwise.cu.
//
//   out = a (+ - * /) b     shapes broadcast ([2,3] with [3] or [2,1]); backward sums the
//                           gradient over the broadcast dims back to each input's shape
//   y = f(x)                neg, exp, log, sigmoid, softplus, relu, abs, pow(x, p), x + s, x * s,
//                           clamp_min(x, s), greater(x, s)
//
// Inputs: float32/float64 on CPU, float32 on CUDA; both operands on one device and dtype.
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

Tensor add(const Tensor& x, double s);  // x + s
Tensor sub(const Tensor& x, double s);  // x - s
Tensor mul(const Tensor& x, double s);  // x * s
Tensor div(const Tensor& x, double s);  // x / s
Tensor rsub(double s, const Tensor& x); // s - x

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sigmoid(const Tensor& x);   // 1 / (1 + exp(-x)), without overflow for large |x|
Tensor softplus(const Tensor& x);  // log(1 + exp(x)), without overflow; softplus' = sigmoid
Tensor relu(const Tensor& x);      // relu'(0) = 0; relu(NaN) = NaN
Tensor abs(const Tensor& x);       // abs'(0) = 0
Tensor pow(const Tensor& x, double p);
Tensor clamp_min(const Tensor& x, double s);  // max(x, s); gradient 1 where x > s, else 0
Tensor greater(const Tensor& x, double s);    // 1 where x > s, else 0 (a mask: zero gradient)

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& x, double s) { return add(x, s); }
inline Tensor operator-(const Tensor& x, double s) { return sub(x, s); }
inline Tensor operator*(const Tensor& x, double s) { return mul(x, s); }
inline Tensor operator/(const Tensor& x, double s) { return div(x, s); }
inline Tensor operator+(double s, const Tensor& x) { return add(x, s); }
inline Tensor operator-(double s, const Tensor& x) { return rsub(s, x); }
inline Tensor operator*(double s, const Tensor& x) { return mul(x, s); }
inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace sar
