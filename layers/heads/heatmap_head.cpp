// heatmap_head.cpp: SimpleBaseline's heatmap head: its 1x1 conv, the weighted MSE loss and the
// decode of layers/heads/heatmap_codec.h scaled to input pixels.
#include "layers/heads/heatmap_head.h"

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "layers/heads/head_util.h"
#include "layers/heads/heatmap_codec.h"

namespace sar {

static constexpr const char* kName = "HeatmapHead";

HeatmapHead::HeatmapHead(const HeatmapHeadConfig& config, Generator& gen)
    : KeypointHead(config.head),
      final_layer(check_head_config(kName, config.head, config.in_channels), config.head.num_keypoints, 1, 1, 0, true,
                  gen),
      in_channels_(config.in_channels) {
  init_output_layer(final_layer.weight, final_layer.bias, 0.001, 0.0, gen);
  register_module("final_layer", &final_layer);
}

Tensor HeatmapHead::forward(const Tensor& features) {
  check_features(kName, features, in_channels_);
  return final_layer(features);  // [N, J, h, w]
}

Tensor HeatmapHead::confidence_maps(const Tensor& features) {
  NoGrad no_grad;
  return clamp_unit(forward(features));  // [N, J, h, w]
}

Tensor HeatmapHead::loss(const Tensor& features, const KeypointTargets& targets) {
  Tensor heatmaps = forward(features);  // [N, J, h, w]
  KeypointTargets t = prepare_targets(kName, targets, features, config_.num_keypoints, true);
  return heatmap_mse_loss(heatmaps, t.heatmaps, t.weight);
}

KeypointPredictions HeatmapHead::predict(const Tensor& features) {
  NoGrad no_grad;
  Tensor heatmaps = forward(features);  // [N, J, h, w]
  HeatmapPeaks peaks = decode_heatmaps(heatmaps);
  const CellStride s = cell_stride(config_, heatmaps.size(2), heatmaps.size(3));
  // The decode runs on the CPU; the predictions go back to the features' dtype and device.
  KeypointPredictions p;
  p.coords = scale_xy(to_like(peaks.coords, features), s.x, s.y);  // [N, J, 2] input pixels
  p.scores = to_like(peaks.scores, features);                      // [N, J]
  return p;
}

Tensor heatmap_mse_loss(const Tensor& heatmaps, const Tensor& targets, const Tensor& weight) {
  const int64_t N = heatmaps.size(0), J = heatmaps.size(1);
  Tensor d = heatmaps - targets;             // [N, J, h, w]
  Tensor w = reshape(weight, {N, J, 1, 1});  // [N, J, 1, 1]
  return mean(d * d * w);
}

}  // namespace sar
