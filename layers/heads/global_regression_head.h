// global_regression_head.h: direct coordinate regression from the pooled feature, the paper's
// "Regression" baseline (Table 1, ResNet-50, 256x192; SAR_SPEC.md does not record its AP).
// It is SAR with a single grid cell and no location prior: the comparison Table 1 makes.
//
//   f^g  = mean over (h, w) of F          F [N, C, h, w] -> f^g [N, C]
//   u    = fc(f^g) = f^g W^T + b          [N, 2J] viewed as [N, J, 2]: u[n, j] = (x / input_w, y / input_h)
// Parameters (mmpose RegressionHead's names): fc.weight [2J, C], fc.bias [2J].
// Init (mmpose RegressionHead): weight ~ N(0, 0.01), bias 0.
//
// loss = sum over the valid rows (weight[n, j] > 0) of |u_x - x*/input_w| + |u_y - y*/input_h|,
//        divided by the number of valid rows. Other rows are masked out, so their targets must be
//        finite (0 * NaN is NaN); no valid row gives loss 0 with a zero gradient. L1 in normalized
//        units, the distance SAR's r_t uses (Eq. 8), so the two differ only in the representation.
// predict: (u_x * input_w, u_y * input_h) in input-crop pixels; score 1 for every keypoint (the
//          head has no confidence, and COCO's rescoring then uses the detector's score alone).
#pragma once

#include "core/rng.h"
#include "layers/heads/head.h"
#include "layers/linear.h"

namespace sar {

struct GlobalRegressionHeadConfig {
  HeadConfig head;
  int64_t in_channels = 2048;  // C: ResNet-50's C5, pooled
};

class GlobalRegressionHead : public KeypointHead {
 public:
  GlobalRegressionHead(const GlobalRegressionHeadConfig& config, Generator& gen);

  // features [N, C, h, w] -> normalized coordinates [N, J, 2] (x / input_w, y / input_h).
  Tensor forward(const Tensor& features);
  Tensor loss(const Tensor& features, const KeypointTargets& targets) override;
  KeypointPredictions predict(const Tensor& features) override;

  Linear fc;

 private:
  int64_t in_channels_;
};

}  // namespace sar
