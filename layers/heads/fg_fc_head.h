// fg_fc_head.h: the paper's "f^g + FC" ablation (Table 1: 71.1 AP, ResNet-50, 256x192, COCO val).
// SAR's grid, prior and loss, but every cell's prediction comes from the one pooled feature f^g,
// so the only difference from global regression is the location prior p_t (and the selector).
// The paper gives no details (SAR_SPEC.md §5); what "grid-wise FC" means here is our decision:
//
//   f^g = mean over (h, w) of F                   F [N, C, h, w] -> f^g [N, C]
//   O   = offset_fc(f^g) viewed as [N, 2J, gh, gw]   o_t, channels (2j, 2j+1) = (x, y) of keypoint j
//   S   = logit_fc(f^g)  viewed as [N, J, gh, gw]    s_t, the selector's logits
// "Grid-wise FC": each grid cell t has its own FC weights (rows of offset_fc / logit_fc) from f^g to
// its 2J offsets and J logits; with shared weights every cell would predict the same offset and
// the grid would be pointless. It is one Linear per branch, whose output rows are ordered
// (channel, i, k): row (c * gh + i) * gw + k. Then, exactly as the SAR head (core/ops/sar_loss.h):
//   K_t = p_t - o_t, p_t = (k / gw, i / gh);  loss = sar_loss(O, S, xy / (input_w, input_h), weight)
//   predict: sar_decode_topm with m = 1 (arg-max cell, score max_t w_t), cells -> input pixels by
//   (input_w / gw, input_h / gh).
// Grid: 8 x 6 by default, the C5 map of a 256x192 input (stride 32), i.e. the grid of the paper's
// no-deconv SAR variant (71.3 AP), which f^g + FC ablates: same cells, pooled instead of per-cell
// features. Any gh x gw works (grid_h, grid_w), and F may have any h x w.
// Parameters: offset_fc.weight [2J*G, C], offset_fc.bias [2J*G], logit_fc.weight [J*G, C],
//   logit_fc.bias [J*G] with G = gh*gw (SAR's offset_conv/logit_conv names, fc for conv).
//   At C = 2048, J = 17, 8 x 6: 3,343,968 + 1,671,984 = 5,015,952 parameters (the SAR head's
//   offset and logit 1x1 convs on C5 have 3 * 17 * 2049 = 104,499).
// Init (SAR_SPEC.md §1, as the SAR head): weights N(0, 0.001); offset bias 0 (so K_t starts at
// p_t); logit bias -4.5951 = -ln((1 - 0.01) / 0.01).
#pragma once

#include "core/ops/sar_loss.h"
#include "core/rng.h"
#include "layers/heads/head.h"
#include "layers/linear.h"

namespace sar {

struct FgFcHeadConfig {
  HeadConfig head;
  int64_t in_channels = 2048;  // C: ResNet-50's C5, pooled
  int grid_h = 8, grid_w = 6;  // gh x gw
  SarLossOptions loss;         // lambda = 16, eps = 1e-6
};

struct FgFcOutputs {
  Tensor offsets;  // [N, 2J, gh, gw] o_t
  Tensor logits;   // [N, J, gh, gw]  s_t
};

class FgFcHead : public KeypointHead {
 public:
  FgFcHead(const FgFcHeadConfig& config, Generator& gen);

  FgFcOutputs forward(const Tensor& features);
  Tensor loss(const Tensor& features, const KeypointTargets& targets) override;
  KeypointPredictions predict(const Tensor& features) override;

  Linear offset_fc, logit_fc;

 private:
  FgFcHeadConfig fc_config_;
};

}  // namespace sar
