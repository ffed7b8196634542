// heatmap_offset_head.cpp: the heatmap + offset baseline: its convs, the MSE + windowed L1 loss
// and the peak-plus-offset decode.
#include "layers/heads/heatmap_offset_head.h"

#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "layers/heads/head_util.h"
#include "layers/heads/heatmap_head.h"

namespace sar {

static constexpr const char* kName = "HeatmapOffsetHead";

HeatmapOffsetHead::HeatmapOffsetHead(const HeatmapOffsetHeadConfig& config, Generator& gen)
    : KeypointHead(config.head),
      heatmap_conv(check_head_config(kName, config.head, config.in_channels), config.head.num_keypoints, 1, 1, 0, true,
                   gen),
      offset_conv(config.in_channels, 2 * config.head.num_keypoints, 1, 1, 0, true, gen),
      offset_config_(config) {
  SAR_CHECK(config.offset_radius >= 0, kName, ": offset_radius must be >= 0, got ", config.offset_radius);
  init_output_layer(heatmap_conv.weight, heatmap_conv.bias, 0.001, 0.0, gen);
  init_output_layer(offset_conv.weight, offset_conv.bias, 0.001, 0.0, gen);
  register_module("heatmap_conv", &heatmap_conv);
  register_module("offset_conv", &offset_conv);
}

HeatmapOffsetOutputs HeatmapOffsetHead::forward(const Tensor& features) {
  check_features(kName, features, offset_config_.in_channels);
  HeatmapOffsetOutputs out;
  out.heatmaps = heatmap_conv(features);  // [N, J, h, w]
  out.offsets = offset_conv(features);    // [N, 2J, h, w]
  return out;
}

Tensor HeatmapOffsetHead::loss(const Tensor& features, const KeypointTargets& targets) {
  HeatmapOffsetOutputs out = forward(features);
  const int64_t N = features.size(0), J = config_.num_keypoints, h = features.size(2), w = features.size(3);
  KeypointTargets t = prepare_targets(kName, targets, features, J, true);
  Tensor heatmap_loss = heatmap_mse_loss(out.heatmaps, t.heatmaps, t.weight);

  // Offset targets: the keypoint minus each column k (x) and each row i (y), in cell units.
  const CellStride s = cell_stride(config_, h, w);
  Tensor xy = scale_xy(t.xy, 1.0 / s.x, 1.0 / s.y);  // [N, J, 2] cells
  Tensor columns = reshape(Tensor::arange(w, features.dtype(), features.device()), {1, 1, 1, w});  // [1, 1, 1, w] k
  Tensor rows = reshape(Tensor::arange(h, features.dtype(), features.device()), {1, 1, h, 1});     // [1, 1, h, 1] i
  Tensor tx = reshape(slice(xy, 2, 0, 1), {N, J, 1, 1}) - columns;  // [N, J, 1, w]
  Tensor ty = reshape(slice(xy, 2, 1, 2), {N, J, 1, 1}) - rows;     // [N, J, h, 1]

  // Supervised cells: within r + 0.5 cells of the keypoint along both axes, in valid rows.
  const double reach = offset_config_.offset_radius + 0.5;
  Tensor near = greater(reach - abs(tx), 0.0) * greater(reach - abs(ty), 0.0);  // [N, J, h, w]
  Tensor mask = near * reshape(greater(t.weight, 0.0), {N, J, 1, 1});           // [N, J, h, w]

  Tensor o = reshape(out.offsets, {N, J, 2, h, w});      // [N, J, 2, h, w]
  Tensor ox = reshape(slice(o, 2, 0, 1), {N, J, h, w});  // [N, J, h, w]
  Tensor oy = reshape(slice(o, 2, 1, 2), {N, J, h, w});  // [N, J, h, w]
  Tensor l1 = abs(ox - tx) + abs(oy - ty);               // [N, J, h, w]
  Tensor offset_loss = sum(l1 * mask) / double(N * J * h * w);
  return heatmap_loss + offset_loss * offset_config_.offset_weight;
}

Tensor HeatmapOffsetHead::confidence_maps(const Tensor& features) {
  NoGrad no_grad;
  check_features(kName, features, offset_config_.in_channels);
  return clamp_unit(heatmap_conv(features));  // [N, J, h, w]; the offsets are not needed
}

KeypointPredictions HeatmapOffsetHead::predict(const Tensor& features) {
  NoGrad no_grad;
  HeatmapOffsetOutputs out = forward(features);
  const int64_t N = features.size(0), J = config_.num_keypoints, h = features.size(2), w = features.size(3);
  const int64_t G = h * w;
  Tensor flat = reshape(out.heatmaps, {N, J, G});  // [N, J, G]
  Tensor peak = argmax(flat, 2);                   // [N, J] int64: cell t = i * w + k

  // The peak cells' (k, i) and the index that picks both offset channels of the peak cell.
  const std::vector<double> t = peak.to_vector();
  std::vector<double> cell(N * J * 2), pick(N * J * 2);
  for (int64_t r = 0; r < N * J; ++r) {
    cell[2 * r] = double(int64_t(t[r]) % w);
    cell[2 * r + 1] = double(int64_t(t[r]) / w);
    pick[2 * r] = pick[2 * r + 1] = t[r];
  }
  Tensor index = Tensor::from_vector(pick, {N, J, 2, 1}, DType::I64, features.device());
  Tensor offset = gather(reshape(out.offsets, {N, J, 2, G}), 3, index);  // [N, J, 2, 1]
  Tensor xy = Tensor::from_vector(cell, {N, J, 2}, features.dtype(), features.device()) +
              reshape(offset, {N, J, 2});  // [N, J, 2] cells

  const CellStride s = cell_stride(config_, h, w);
  KeypointPredictions p;
  p.coords = scale_xy(xy, s.x, s.y);  // [N, J, 2] input pixels
  p.scores = max(flat, 2);            // [N, J]
  return p;
}

}  // namespace sar
