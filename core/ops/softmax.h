// softmax.h: softmax and log-softmax along one axis, viewing x as [outer, R, inner]
// (R = the axis' size); every (o, i) is one distribution over r.
//
//   softmax(x)[o, r, i]     = exp(x[o, r, i] - m) / s
//   log_softmax(x)[o, r, i] = x[o, r, i] - m - log(s)
//       with m = max_r x[o, r, i] and s = sum_r exp(x[o, r, i] - m)
//
// Subtracting the max m changes nothing mathematically but keeps every exp() in (0, 1],
// so logits of +-1000 give finite outputs and gradients. Backward uses only the output y:
//   softmax:      dx = y * (dy - sum_r dy * y)
//   log_softmax:  dx = dy - exp(y) * sum_r dy
// log_softmax is not log(softmax(x)): that would give log(0) = -inf where exp underflows.
//
// Inputs: float32/float64 on CPU, float32 on CUDA; axis may be negative (-1 = last).
// Throws, e.g. "softmax: axis 2 is out of range for shape [2, 3]".
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor softmax(const Tensor& x, int axis);
Tensor log_softmax(const Tensor& x, int axis);

}  // namespace sar
