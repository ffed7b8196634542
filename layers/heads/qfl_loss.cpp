// qfl_loss.cpp: the quality focal loss of layers/heads/qfl_loss.h, composed of existing ops.
#include "layers/heads/qfl_loss.h"

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"

namespace sar {

Tensor quality_focal_loss(const Tensor& logits, const Tensor& targets, const Tensor& weight, double positive_threshold) {
  SAR_CHECK(logits.ndim() == 4, "quality_focal_loss: logits must be [N, J, h, w], got ", logits.shape());
  SAR_CHECK(targets.shape() == logits.shape(), "quality_focal_loss: targets must have the logits' shape ",
            logits.shape(), ", got ", targets.shape());
  SAR_CHECK(weight.shape() == Shape({logits.size(0), logits.size(1)}), "quality_focal_loss: weight must be [N, J] = [",
            logits.size(0), ", ", logits.size(1), "], got ", weight.shape());
  const Tensor& z = logits;
  const Tensor& y = targets;
  // rows of invalid keypoints are dropped: [N, J, 1, 1] masks of 0/1
  Tensor valid = reshape(greater(weight, 0.0), {weight.size(0), weight.size(1), 1, 1});
  Tensor p = sigmoid(z);
  Tensor bce = softplus(z) - z * y;                         // [N, J, h, w], log(1 + e^z) - z y
  Tensor per_cell = bce * pow(y - p, 2.0);                  // [N, J, h, w]
  Tensor num_pos = sum(greater(y, positive_threshold) * valid);
  return sum(per_cell * valid) / clamp_min(num_pos, 1.0);
}

}  // namespace sar
