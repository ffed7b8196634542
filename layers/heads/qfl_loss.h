// qfl_loss.h: the quality focal loss of SAR's auxiliary heatmap branch (SAR_SPEC.md §2b;
// the official recipe trains it with weight 1, the paper does not mention it).
//
// With z the heatmap logits, p = sigmoid(z) and y the Gaussian targets in [0, 1]:
//   per cell   BCE_with_logits(z, y) * (y - p)^2
//              (for y = 0 this is BCE(z, 0) * p^2: the focal down-weighting of easy negatives)
//   loss       sum over every cell of every valid row (weight[n, j] > 0) / num_pos,
//   num_pos    the number of valid cells with y > 0.7 (about 9 per keypoint for sigma 2).
// The official code divides by num_pos unguarded (a division by zero when a batch has no
// positive cell); here num_pos is clamped to at least 1.
// BCE_with_logits(z, y) = max(z, 0) - z y + log(1 + exp(-|z|)), which never overflows.
// Composed from elementwise and reduce ops, so its gradient is the tape's; shapes: logits and
// targets [N, J, h, w], weight [N, J] -> a 0-dim loss.
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor quality_focal_loss(const Tensor& logits, const Tensor& targets, const Tensor& weight,
                          double positive_threshold = 0.7);

}  // namespace sar
