// optim_math.h: the per-element math of the optimizer updates (train/optimizer.h), written once
// for both devices (SAR_HD, as in core/scalar_math.h). core/cpu/optim.cpp and cuda/optim.cu
// call these, so the two backends update a parameter with the same operations in the same order.
//
// The operation order is PyTorch 1.13's single-tensor (non-foreach, non-fused) loop, so float64
// results agree with torch.optim to rounding: weight decay g + wd p (grad.add(param, alpha=wd)),
// moments m b1 + (1 - b1) g and v b2 + ((1 - b2) g) g (mul_ then add_ / addcmul_), and the step
// p - (step_size m) / (sqrt(v) / sqrt(bc2) + eps) (addcdiv_ with value = -step_size).
#pragma once

#include <cmath>

#include "core/scalar_math.h"

namespace sar {

// One Adam step's scalars, computed in double by the optimizer (bias corrections bc1 = 1 - b1^t,
// bc2 = 1 - b2^t at step t, from 1), then rounded to the parameter's type as PyTorch does.
template <typename T>
struct AdamCoefficients {
  T beta1, one_minus_beta1;  // m = beta1 m + (1 - beta1) g
  T beta2, one_minus_beta2;  // v = beta2 v + (1 - beta2) g^2
  T step_size;               // lr / bc1
  T bc2_sqrt;                // sqrt(bc2)
  T eps;                     // added to sqrt(v) / sqrt(bc2), not to v
  T weight_decay;            // L2: g += weight_decay * p (0: none)
};

// One SGD-with-momentum step's scalars.
template <typename T>
struct SgdCoefficients {
  T lr, momentum, weight_decay;
};

// p, m, v: one element of the parameter and its two moments, updated in place; g: its gradient.
template <typename T>
SAR_HD void adam_update_element(T& p, T& m, T& v, T g, const AdamCoefficients<T>& c) {
  using std::sqrt;
  g = c.weight_decay != T(0) ? g + c.weight_decay * p : g;  // a select, not a branch: CPU loops vectorize
  m = m * c.beta1 + c.one_minus_beta1 * g;
  v = v * c.beta2 + c.one_minus_beta2 * g * g;
  p = p - c.step_size * m / (sqrt(v) / c.bc2_sqrt + c.eps);
}

// p, buf: one element of the parameter and its momentum buffer, updated in place. PyTorch sets
// buf = g at the first step; the buffer starts at zero here, and momentum * 0 + g is that g.
template <typename T>
SAR_HD void sgd_update_element(T& p, T& buf, T g, const SgdCoefficients<T>& c) {
  g = c.weight_decay != T(0) ? g + c.weight_decay * p : g;
  buf = buf * c.momentum + g;
  p = p - c.lr * buf;
}

}  // namespace sar
