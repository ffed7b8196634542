// head.h: what every keypoint head (SAR and the paper's baselines) offers the training and
// evaluation code: a loss on a batch of features and targets, and predictions in input-crop
// pixels. The heads differ only in how they map the backbone's feature map to keypoints.
//
// Units: targets and predictions are in input-crop pixels (x right, y down, the pixel-index
// convention: pixel (0, 0) is the top-left pixel's centre). A head that works in map units
// converts with its map size: x_map = x / input_w * map_w (the official SAR codec divides by
// the stride, input_w / map_w, which is the same thing).
#pragma once

#include "layers/heads/keypoint_targets.h"
#include "layers/module.h"

namespace sar {

struct KeypointPredictions {
  Tensor coords;  // [N, J, 2] (x, y) in input-crop pixels
  Tensor scores;  // [N, J] the head's confidence in each keypoint
};

struct HeadConfig {
  int num_keypoints = 17;  // J
  int input_h = 256, input_w = 192;
};

class KeypointHead : public Module {
 public:
  explicit KeypointHead(const HeadConfig& config) : config_(config) {}
  // features [N, C, h, w] -> a 0-dim loss (recorded on the tape).
  virtual Tensor loss(const Tensor& features, const KeypointTargets& targets) = 0;
  // features [N, C, h, w] -> one keypoint per (image, keypoint) (no tape).
  virtual KeypointPredictions predict(const Tensor& features) = 0;
  // features [N, C, h, w] -> [N, J, h, w] in [0, 1]: the head's confidence in each keypoint at
  // each cell of its map, for drawing (sar infer --maps); no tape. What each head returns is in
  // its header (SAR: the selector's c_t; heatmap heads: their heatmaps clamped to [0, 1]). The
  // default, an undefined tensor, is for heads without a spatial map of the features (global
  // regression; f^g + FC, whose fixed grid is not the feature map).
  virtual Tensor confidence_maps(const Tensor& features) {
    (void)features;
    return Tensor();
  }
  // Whether confidence_maps() returns maps, known before any work (sar infer --maps refuses a
  // head without them up front; a run's report lists confidence_maps.png only where written).
  virtual bool has_confidence_maps() const { return false; }
  // Whether loss() reads targets.heatmaps, so the loader knows to make them.
  virtual bool needs_heatmaps() const { return false; }
  const HeadConfig& config() const { return config_; }

 protected:
  HeadConfig config_;
};

}  // namespace sar
