// reduce.h: sum, mean and max over one axis or over all elements.
//
//   sum(x, axis)   out[o, i] = sum_r x[o, r, i]       backward: dx[o, r, i] = dout[o, i]
//   mean(x, axis)  sum / R                             backward: dout / R
//   max(x, axis)   out[o, i] = max_r x[o, r, i]        backward: dout goes to the arg-max only
//                  (ties: the lowest index wins, on every device; a NaN propagates: the
//                  first NaN is the max and gets the gradient, as in PyTorch)
//   sum_to(x, s)   sums x down to shape s, undoing a broadcast (the backward of add & co.)
//
// With keepdim the reduced axis stays as size 1. The all-element forms return shape [].
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, int axis, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int axis, bool keepdim = false);
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, int axis, bool keepdim = false);

// The arg-max along an axis (int64, no gradient); the same index max() routes its gradient to.
Tensor argmax(const Tensor& x, int axis, bool keepdim = false);

// Reduces x to `shape` by summing the dims a broadcast expanded (x's shape must be a
// broadcast of `shape`). Returns x itself when the shapes are equal.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace sar
