// sar_head.h: the SAR head (paper Sec. 3, Eq. 5-9 and 11; SAR_SPEC.md §1-3).
//
// Three parallel 1x1 convs (with bias) read the feature map F [N, C, h, w]:
//   offset_conv   C -> 2J  regressor R: o_t, channels (2j, 2j+1) = (x, y) of keypoint j
//   logit_conv    C -> J   selector S: s_t, c_t = sigmoid(s_t)
//   heatmap_conv  C -> J   auxiliary heatmap logits, trained with the quality focal loss and
//                          unused at inference (on by default, as in every official config)
// K_t = p_t - o_t with p_t = (col / w, row / h) the integer cell index normalized by the map size:
// the official code's sign and convention, followed so its released weights would load (the
// paper writes K_t = R(f_t) + p_t). Any h x w works; 1 x 1 degenerates to global regression.
// Init (mmengine init_cfg of the official head): every conv N(0, 0.001), bias 0; then the
// logit and heatmap biases -ln((1 - 0.01) / 0.01) = -4.5951, a focal-style prior p = 0.01.
//
// loss = sar_loss(o, s, K*, weight) + quality_focal_loss(heatmap logits, targets.heatmaps, weight)
// predict: sar_decode_topm with m = 1: the arg-max cell, score max_t w_t, in input pixels.
// confidence_maps: c_t = sigmoid(s_t) per cell (the paper's Fig. 3 maps), not w_t: c_t reads on
//   one scale for every person, where w_t = c_t / sum c_t shrinks as a map spreads.
#pragma once

#include "core/ops/sar_loss.h"
#include "core/rng.h"
#include "layers/conv.h"
#include "layers/heads/head.h"

namespace sar {

struct SarHeadConfig {
  HeadConfig head;
  int64_t in_channels = 256;  // C: 256 after SimpleBaseline's deconvs, 32/48 for HRNet
  bool with_heatmap = true;   // the auxiliary heatmap branch
  SarLossOptions loss;        // lambda = 16, eps = 1e-6
};

struct SarOutputs {
  Tensor offsets;         // [N, 2J, h, w] o_t
  Tensor logits;          // [N, J, h, w]  s_t
  Tensor heatmap_logits;  // [N, J, h, w]  undefined without the heatmap branch
};

class SarHead : public KeypointHead {
 public:
  SarHead(const SarHeadConfig& config, Generator& gen);

  SarOutputs forward(const Tensor& features);
  Tensor loss(const Tensor& features, const KeypointTargets& targets) override;
  KeypointPredictions predict(const Tensor& features) override;
  Tensor confidence_maps(const Tensor& features) override;
  bool has_confidence_maps() const override { return true; }
  bool needs_heatmaps() const override { return sar_config_.with_heatmap; }

  Conv2d offset_conv, logit_conv;
  std::unique_ptr<Conv2d> heatmap_conv;  // null without the heatmap branch

 private:
  SarHeadConfig sar_config_;
};

// -ln((1 - p) / p) for p = 0.01: the selector and heatmap bias prior.
constexpr double kSarLogitPrior = -4.59511985013459;

}  // namespace sar
