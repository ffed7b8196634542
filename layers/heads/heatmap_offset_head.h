// heatmap_offset_head.h: the paper's "heatmap + offset" baseline (Table 1: 70.9 AP, ResNet-50,
// 256x192, COCO val): SimpleBaseline's heatmap plus a per-cell offset to the keypoint, so the
// sub-cell position comes from regression instead of the quarter-cell shift. The paper gives no
// details; the choices below are ours.
//
//   P = heatmap_conv(F)   1x1 conv C -> J:  F [N, C, h, w] -> heatmaps P [N, J, h, w]
//   O = offset_conv(F)    1x1 conv C -> 2J: offsets O [N, 2J, h, w], channels (2j, 2j+1) = (x, y)
//                         of keypoint j (interleaved, as SAR's offset_conv)
// At cell (i, k) (row i, column k) the keypoint is predicted at (k + O_x, i + O_y) in cell units:
// an offset is "keypoint minus cell", cell k being pixel k * stride (no +0.5), as the heatmaps.
// Parameters: heatmap_conv.{weight [J, C, 1, 1], bias [J]}, offset_conv.{weight [2J, C, 1, 1], bias [2J]}.
// Init: both N(0, 0.001), bias 0 (mmpose's heatmap layer; offsets start at 0 like SAR's).
//
// loss = heatmap_mse_loss(P, Y, weight)  (layers/heads/heatmap_head.h)
//      + offset_weight * sum over supervised cells of |O_x - (x* - k)| + |O_y - (y* - i)|  / (N*J*h*w)
//   with (x*, y*) the target in cell units (pixels * w / input_w, * h / input_h).
// Supervised cells (per valid row, weight > 0): the (2r+1) x (2r+1) cells nearest the keypoint,
//   |k - x*| < r + 0.5 and |i - y*| < r + 0.5, i.e. the rounded cell (the Gaussian target's peak)
//   and r cells around it; r = offset_radius = 2 by default. Why not the whole 3-sigma window of
//   the Gaussian (6 cells at sigma 2) or a threshold on Y: decode reads the offset at the arg-max
//   cell only, which lands within a cell or two of the truth, so r = 2 covers it with a margin,
//   while the wide window would spend the regressor on displacements decode never reads (G-RMI,
//   Papandreou et al. 2017, likewise limits its offsets to a disk), and a threshold on Y would tie
//   the window to sigma. Targets of dropped rows must be finite (they are masked by a product).
// Why L1: the distance of the paper's Regression baseline and of SAR's r_t (Eq. 8), so Table 1's
//   rows differ in the representation, not in the loss; the offsets stay within r + 0.5 cells,
//   where a smooth L1 (beta = 1 cell) would only soften the gradient near zero.
// Why / (N*J*h*w) and weight 1: the heatmap MSE's denominator. Then the two branches send the
//   shared features gradients of one order: at the start (P ~ 0) the MSE's per-keypoint gradient
//   mass is 2 * sum Y ~ 4 pi sigma^2 ~ 50 (sigma 2) and the L1's is 2 * 25 cells = 50, both over
//   N*J*h*w. A mean over the supervised cells instead would weigh offsets ~h*w/25 (~120 at 64x48)
//   times more and swamp the heatmap.
// predict: the arg-max cell of P (lowest index on ties), plus that cell's offset, in input pixels:
//   x = (k + O_x) * input_w / w, y = (i + O_y) * input_h / h; score = the peak value of P.
// confidence_maps: P clamped to [0, 1], as the heatmap head's (layers/heads/heatmap_head.h).
#pragma once

#include "core/rng.h"
#include "layers/conv.h"
#include "layers/heads/head.h"

namespace sar {

struct HeatmapOffsetHeadConfig {
  HeadConfig head;
  int64_t in_channels = 256;   // C: 256 after SimpleBaseline's deconvs
  int offset_radius = 2;       // r: offsets are supervised on the (2r+1)^2 cells nearest the keypoint
  double offset_weight = 1.0;  // of the offset term against the heatmap MSE
};

struct HeatmapOffsetOutputs {
  Tensor heatmaps;  // [N, J, h, w]  P
  Tensor offsets;   // [N, 2J, h, w] O, in cell units
};

class HeatmapOffsetHead : public KeypointHead {
 public:
  HeatmapOffsetHead(const HeatmapOffsetHeadConfig& config, Generator& gen);

  HeatmapOffsetOutputs forward(const Tensor& features);
  Tensor loss(const Tensor& features, const KeypointTargets& targets) override;
  KeypointPredictions predict(const Tensor& features) override;
  Tensor confidence_maps(const Tensor& features) override;
  bool has_confidence_maps() const override { return true; }
  bool needs_heatmaps() const override { return true; }

  Conv2d heatmap_conv, offset_conv;

 private:
  HeatmapOffsetHeadConfig offset_config_;
};

}  // namespace sar
