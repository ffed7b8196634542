// heatmap_head.h: SimpleBaseline's heatmap head (Xiao et al. 2018), the heatmap baseline of the
// paper's Table 1. SimpleBaseline reports 70.4 AP for ResNet-50 at 256x192 on COCO val (mmpose's
// recipe, which SAR's builds on, gets 71.8); SAR_SPEC.md does not record the paper's own row.
// The deconv stack belongs to the model (as for SAR); this head is mmpose HeatmapHead's final layer.
//
//   P = final_layer(F)                   1x1 conv: F [N, C, h, w] -> heatmaps P [N, J, h, w]
// Parameters (mmpose HeatmapHead's names): final_layer.weight [J, C, 1, 1], final_layer.bias [J].
// Init (mmpose HeatmapHead): weight ~ N(0, 0.001), bias 0.
//
// loss = mean over all N*J*h*w cells of weight[n, j] * (P - Y)^2, with Y the Gaussian targets
//        (targets.heatmaps, layers/heads/heatmap_codec.h): mmpose 1.3.1's KeypointMSELoss with
//        use_target_weight (the weight multiplies the squared error; for the 0/1 weights of
//        head.h that equals mean((weight * (P - Y))^2)). Rows of weight 0 count in the mean.
// predict: decode_heatmaps (arg-max cell + quarter-cell shift toward the higher neighbour, score
//          = the peak value), then cells -> input pixels: x = x_cell * input_w / w, y likewise
//          (cell k is pixel k * stride: the pixel-index convention, no +0.5, as mmpose).
// confidence_maps: P clamped to [0, 1] (clamp_unit): the map the decode reads, on the scale of its
//          Gaussian targets (peak 1), so a score read off the map is the predicted score; a
//          per-map rescale to the peak would show every keypoint as certain.
#pragma once

#include "core/rng.h"
#include "layers/conv.h"
#include "layers/heads/head.h"

namespace sar {

struct HeatmapHeadConfig {
  HeadConfig head;
  int64_t in_channels = 256;  // C: 256 after SimpleBaseline's deconvs, 32/48 for HRNet
};

class HeatmapHead : public KeypointHead {
 public:
  HeatmapHead(const HeatmapHeadConfig& config, Generator& gen);

  Tensor forward(const Tensor& features);  // [N, C, h, w] -> heatmaps [N, J, h, w]
  Tensor loss(const Tensor& features, const KeypointTargets& targets) override;
  KeypointPredictions predict(const Tensor& features) override;
  Tensor confidence_maps(const Tensor& features) override;
  bool has_confidence_maps() const override { return true; }
  bool needs_heatmaps() const override { return true; }

  Conv2d final_layer;

 private:
  int64_t in_channels_;
};

// The heatmap MSE above, shared with the heatmap + offset head: heatmaps and targets [N, J, h, w],
// weight [N, J], all one dtype and device -> a 0-dim loss.
Tensor heatmap_mse_loss(const Tensor& heatmaps, const Tensor& targets, const Tensor& weight);

}  // namespace sar
