// shape_ops.h: ops that move elements without arithmetic.
//
//   reshape(x, s)          same elements, new shape (a view: no copy)
//   permute(x, order)      out dim d = x dim order[d] (a copy); backward permutes back
//   transpose(x, d0, d1)   permute that swaps two dims
//   concat(xs, axis)       joins along axis; backward slices the gradient apart
//   slice(x, axis, b, e)   elements [b, e) of axis (a view when axis is 0); backward pads with zeros
//   gather(x, axis, idx)   out[.., r, ..] = x[.., idx[.., r, ..], ..] (torch.gather); idx is int64 with
//                          x's shape except along axis; backward scatter-adds into zeros
//   flip(x, axis)          out[.., r, ..] = x[.., R - 1 - r, ..] (torch.flip, one axis; a copy): the
//                          flip test's mirrored crop; backward flips back
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace sar {

Tensor reshape(const Tensor& x, const std::vector<int64_t>& dims);  // one dim may be -1: inferred
Tensor permute(const Tensor& x, const std::vector<int>& order);
Tensor transpose(const Tensor& x, int dim0, int dim1);
Tensor concat(const std::vector<Tensor>& xs, int axis);
Tensor slice(const Tensor& x, int axis, int64_t begin, int64_t end);
Tensor gather(const Tensor& x, int axis, const Tensor& index);
Tensor flip(const Tensor& x, int axis);

}  // namespace sar
