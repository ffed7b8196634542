// sar_head.cpp: the SAR head of layers/heads/sar_head.h: its three 1x1 convs and init, sar_loss +
// quality focal loss, the top-1 decode and the confidence maps.
#include "layers/heads/sar_head.h"

#include "core/ops/elementwise.h"
#include "core/ops/sar_decode.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "layers/heads/head_util.h"
#include "layers/heads/qfl_loss.h"

namespace sar {

SarHead::SarHead(const SarHeadConfig& config, Generator& gen)
    : KeypointHead(config.head),
      offset_conv(check_head_config("SarHead", config.head, config.in_channels), 2 * config.head.num_keypoints, 1, 1,
                  0, true, gen),
      logit_conv(config.in_channels, config.head.num_keypoints, 1, 1, 0, true, gen),
      sar_config_(config) {
  // the official head: N(0, 0.001) weights; bias 0 for offsets, the p = 0.01 prior for logits
  init_output_layer(offset_conv.weight, offset_conv.bias, 0.001, 0.0, gen);
  init_output_layer(logit_conv.weight, logit_conv.bias, 0.001, kSarLogitPrior, gen);
  register_module("offset_conv", &offset_conv);
  register_module("logit_conv", &logit_conv);
  if (config.with_heatmap) {
    heatmap_conv = std::make_unique<Conv2d>(config.in_channels, config.head.num_keypoints, 1, 1, 0, true, gen);
    init_output_layer(heatmap_conv->weight, heatmap_conv->bias, 0.001, kSarLogitPrior, gen);
    register_module("heatmap_conv", heatmap_conv.get());
  }
}

SarOutputs SarHead::forward(const Tensor& features) {
  check_features("SarHead", features, sar_config_.in_channels);
  SarOutputs out;
  out.offsets = offset_conv(features);  // [N, 2J, h, w]
  out.logits = logit_conv(features);    // [N, J, h, w]
  if (heatmap_conv) out.heatmap_logits = (*heatmap_conv)(features);  // [N, J, h, w]
  return out;
}

Tensor SarHead::loss(const Tensor& features, const KeypointTargets& targets) {
  SarOutputs out = forward(features);
  KeypointTargets t =
      prepare_targets("SarHead", targets, features, config_.num_keypoints, sar_config_.with_heatmap);
  // K* in map-normalized units: pixels / input size (= cells / map size).
  Tensor target = scale_xy(t.xy, 1.0 / config_.input_w, 1.0 / config_.input_h);  // [N, J, 2]
  Tensor loss = sar_loss(out.offsets, out.logits, target, t.weight, sar_config_.loss);
  if (heatmap_conv) loss = loss + quality_focal_loss(out.heatmap_logits, t.heatmaps, t.weight);
  return loss;
}

Tensor SarHead::confidence_maps(const Tensor& features) {
  NoGrad no_grad;
  check_features("SarHead", features, sar_config_.in_channels);
  return sigmoid(logit_conv(features));  // [N, J, h, w] c_t
}

KeypointPredictions SarHead::predict(const Tensor& features) {
  NoGrad no_grad;
  SarOutputs out = forward(features);
  const int64_t N = features.size(0), J = config_.num_keypoints, h = features.size(2), w = features.size(3);
  const CellStride stride = cell_stride(config_, h, w);
  SAR_CHECK(stride.x == stride.y, "SarHead predict: the ", h, "x", w, " map must have one stride along both axes for an ",
            config_.input_h, "x", config_.input_w, " input");
  SarDecodeOptions options;
  options.stride = stride.x;
  SarDecoded d = sar_decode_topm(out.offsets, out.logits, options);
  return {reshape(d.coords, {N, J, 2}), reshape(d.scores, {N, J})};
}

}  // namespace sar
