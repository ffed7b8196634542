// global_regression_head.cpp: the Regression baseline: pooled feature -> FC -> coordinates, an L1
// loss over the visible keypoints, and the coordinates scaled back to input pixels.
#include "layers/heads/global_regression_head.h"

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "layers/heads/head_util.h"

namespace sar {

static constexpr const char* kName = "GlobalRegressionHead";

GlobalRegressionHead::GlobalRegressionHead(const GlobalRegressionHeadConfig& config, Generator& gen)
    : KeypointHead(config.head),
      fc(check_head_config(kName, config.head, config.in_channels), 2 * config.head.num_keypoints, true, gen),
      in_channels_(config.in_channels) {
  init_output_layer(fc.weight, fc.bias, 0.01, 0.0, gen);
  register_module("fc", &fc);
}

Tensor GlobalRegressionHead::forward(const Tensor& features) {
  check_features(kName, features, in_channels_);
  Tensor g = global_average_pool(features);                             // [N, C]
  return reshape(fc(g), {features.size(0), config_.num_keypoints, 2});  // [N, J, 2]
}

Tensor GlobalRegressionHead::loss(const Tensor& features, const KeypointTargets& targets) {
  Tensor u = forward(features);  // [N, J, 2]
  KeypointTargets t = prepare_targets(kName, targets, features, config_.num_keypoints, false);
  Tensor target = scale_xy(t.xy, 1.0 / config_.input_w, 1.0 / config_.input_h);  // [N, J, 2]
  Tensor row = sum(abs(u - target), 2);                                          // [N, J] |dx| + |dy|
  Tensor valid = greater(t.weight, 0.0);                                         // [N, J]
  // Dividing by at least 1 makes "no valid row" a 0 loss instead of 0 / 0.
  return sum(row * valid) / clamp_min(sum(valid), 1.0);
}

KeypointPredictions GlobalRegressionHead::predict(const Tensor& features) {
  NoGrad no_grad;
  Tensor u = forward(features);  // [N, J, 2]
  KeypointPredictions p;
  p.coords = scale_xy(u, config_.input_w, config_.input_h);                            // [N, J, 2]
  p.scores = Tensor::ones({u.size(0), config_.num_keypoints}, u.dtype(), u.device());  // [N, J]
  return p;
}

}  // namespace sar
