// fg_fc_head.cpp: the f^g + FC head: pooled feature -> per-cell FC -> SAR loss and decode.
#include "layers/heads/fg_fc_head.h"

#include "core/ops/sar_decode.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "layers/heads/head_util.h"
#include "layers/heads/sar_head.h"

namespace sar {

static constexpr const char* kName = "FgFcHead";

// Checks the grid before the layers are sized by it; returns G = gh * gw.
static int64_t grid_cells(const FgFcHeadConfig& config) {
  SAR_CHECK(config.grid_h >= 1 && config.grid_w >= 1, kName, ": grid_h and grid_w must be >= 1, got ", config.grid_h,
            "x", config.grid_w);
  return int64_t(config.grid_h) * config.grid_w;
}

FgFcHead::FgFcHead(const FgFcHeadConfig& config, Generator& gen)
    : KeypointHead(config.head),
      offset_fc(check_head_config(kName, config.head, config.in_channels),
                2 * config.head.num_keypoints * grid_cells(config), true, gen),
      logit_fc(config.in_channels, config.head.num_keypoints * grid_cells(config), true, gen),
      fc_config_(config) {
  init_output_layer(offset_fc.weight, offset_fc.bias, 0.001, 0.0, gen);
  init_output_layer(logit_fc.weight, logit_fc.bias, 0.001, kSarLogitPrior, gen);
  register_module("offset_fc", &offset_fc);
  register_module("logit_fc", &logit_fc);
}

FgFcOutputs FgFcHead::forward(const Tensor& features) {
  check_features(kName, features, fc_config_.in_channels);
  const int64_t N = features.size(0), J = config_.num_keypoints, gh = fc_config_.grid_h, gw = fc_config_.grid_w;
  Tensor g = global_average_pool(features);  // [N, C] f^g
  FgFcOutputs out;
  out.offsets = reshape(offset_fc(g), {N, 2 * J, gh, gw});  // [N, 2J, gh, gw]
  out.logits = reshape(logit_fc(g), {N, J, gh, gw});        // [N, J, gh, gw]
  return out;
}

Tensor FgFcHead::loss(const Tensor& features, const KeypointTargets& targets) {
  FgFcOutputs out = forward(features);
  KeypointTargets t = prepare_targets(kName, targets, features, config_.num_keypoints, false);
  // K* in grid-normalized units: pixels / input size (= cells / grid size).
  Tensor target = scale_xy(t.xy, 1.0 / config_.input_w, 1.0 / config_.input_h);  // [N, J, 2]
  return sar_loss(out.offsets, out.logits, target, t.weight, fc_config_.loss);
}

KeypointPredictions FgFcHead::predict(const Tensor& features) {
  NoGrad no_grad;
  FgFcOutputs out = forward(features);
  const int64_t N = features.size(0), J = config_.num_keypoints;
  // Decoded in cells (stride 1), then scaled per axis: the input need not have one stride.
  SarDecodeOptions options;
  options.stride = 1.0;
  SarDecoded d = sar_decode_topm(out.offsets, out.logits, options);
  const CellStride s = cell_stride(config_, fc_config_.grid_h, fc_config_.grid_w);
  KeypointPredictions p;
  p.coords = scale_xy(reshape(d.coords, {N, J, 2}), s.x, s.y);  // [N, J, 2] input pixels
  p.scores = reshape(d.scores, {N, J});                         // [N, J]
  return p;
}

}  // namespace sar
