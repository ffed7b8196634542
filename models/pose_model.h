// pose_model.h: a top-down pose model = backbone + optional deconvs + keypoint head, built
// by name from a ModelConfig (the model registry).
//
//   images [N, 3, H, W] -> backbone -> [deconv_layers] -> features [N, C, h, w] -> head
//
// Backbones: resnet18/34/50/101/152 (stride 32; SimpleBaseline adds 3 deconvs -> stride 4),
// hrnet_w32/hrnet_w48 (stride 4, no deconvs). Heads: sar, regression, heatmap,
// heatmap_offset, fg_fc (layers/heads/). SimpleBaseline's deconv block (SAR_SPEC.md §1):
//   ConvTranspose2d(k4, s2, p1, no bias) -> BatchNorm2d -> ReLU, 3 times, 256 channels.
// Names follow the official SAR/mmpose checkpoints: backbone.*, head.deconv_layers.{0,1,3,4,6,7}.*
// and head.<the head's own layers>.
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"
#include "layers/heads/head.h"
#include "models/backbone.h"

namespace sar {

struct ModelConfig {
  std::string backbone = "resnet50";
  int deconv_layers = 3;          // SimpleBaseline's deconvs on a ResNet (0: "SAR w/o deconv"); HRNet: 0
  int64_t deconv_channels = 256;
  std::string head = "sar";       // sar, regression, heatmap, heatmap_offset, fg_fc
  HeadConfig head_config;         // keypoints J and the input size
  bool sar_heatmap = true;        // the SAR head's auxiliary heatmap branch
  double offset_weight = 1.0;     // the heatmap_offset head's offset loss against its heatmap MSE
  int offset_radius = 2;          // the heatmap_offset head's supervised cells: (2r+1)^2 around the keypoint
};

class PoseModel : public Module {
 public:
  PoseModel(const ModelConfig& config, Generator& gen);

  Tensor features(const Tensor& images);  // [N, 3, H, W] -> [N, C, h, w]
  Tensor loss(const Tensor& images, const KeypointTargets& targets);
  KeypointPredictions predict(const Tensor& images);

  const ModelConfig& config() const { return config_; }
  Backbone& backbone() { return *backbone_; }
  KeypointHead& head() { return *head_; }
  int feature_stride() const;  // input pixels per feature cell
  int64_t feature_channels() const;

 private:
  ModelConfig config_;
  std::unique_ptr<Backbone> backbone_;
  std::unique_ptr<Sequential> deconv_layers_;  // null without deconvs
  std::unique_ptr<KeypointHead> head_;
};

std::vector<std::string> backbone_names();
std::vector<std::string> head_names();

}  // namespace sar
