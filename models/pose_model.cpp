// pose_model.cpp: the model registry (backbone, deconvs and head by name) and PoseModel's
// features, loss and predict.
#include "models/pose_model.h"

#include <algorithm>

#include "layers/heads/fg_fc_head.h"
#include "layers/heads/global_regression_head.h"
#include "layers/heads/heatmap_head.h"
#include "layers/heads/heatmap_offset_head.h"
#include "layers/heads/sar_head.h"
#include "layers/init.h"
#include "models/hrnet.h"
#include "models/resnet.h"

namespace sar {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::unique_ptr<Backbone> make_backbone(const std::string& name, Generator& gen) {
  for (int depth : {18, 34, 50, 101, 152})
    if (name == "resnet" + std::to_string(depth)) return std::make_unique<ResNet>(depth, gen);
  if (name == "hrnet_w32") return std::make_unique<HRNet>(32, gen);
  if (name == "hrnet_w48") return std::make_unique<HRNet>(48, gen);
  SAR_THROW("model: unknown backbone '", name, "'; known: ", joined(backbone_names()));
}

// SimpleBaseline's deconvs, initialized as the official head: weights N(0, 0.001), BN 1 and 0.
std::unique_ptr<Sequential> make_deconvs(int count, int64_t in_channels, int64_t channels, Generator& gen) {
  auto seq = std::make_unique<Sequential>();
  for (int i = 0; i < count; ++i) {
    auto deconv = std::make_unique<ConvTranspose2d>(i == 0 ? in_channels : channels, channels, 4, 2, 1, 0, false, gen);
    normal_(deconv->weight, 0.0, 0.001, gen);
    seq->add(std::move(deconv));
    seq->add(std::make_unique<BatchNorm2d>(channels));
    seq->add(std::make_unique<ReLU>());
  }
  return seq;
}

std::unique_ptr<KeypointHead> make_head(const ModelConfig& c, int64_t channels, Generator& gen) {
  if (c.head == "sar") {
    SarHeadConfig h;
    h.head = c.head_config;
    h.in_channels = channels;
    h.with_heatmap = c.sar_heatmap;
    return std::make_unique<SarHead>(h, gen);
  }
  if (c.head == "regression")
    return std::make_unique<GlobalRegressionHead>(GlobalRegressionHeadConfig{c.head_config, channels}, gen);
  if (c.head == "heatmap") return std::make_unique<HeatmapHead>(HeatmapHeadConfig{c.head_config, channels}, gen);
  if (c.head == "heatmap_offset") {
    HeatmapOffsetHeadConfig h;
    h.head = c.head_config;
    h.in_channels = channels;
    h.offset_weight = c.offset_weight;
    h.offset_radius = c.offset_radius;
    return std::make_unique<HeatmapOffsetHead>(h, gen);
  }
  if (c.head == "fg_fc") {
    FgFcHeadConfig h;
    h.head = c.head_config;
    h.in_channels = channels;
    return std::make_unique<FgFcHead>(h, gen);
  }
  SAR_THROW("model: unknown head '", c.head, "'; known: ", joined(head_names()));
}

}  // namespace

std::vector<std::string> backbone_names() {
  return {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "hrnet_w32", "hrnet_w48"};
}

std::vector<std::string> head_names() { return {"sar", "regression", "heatmap", "heatmap_offset", "fg_fc"}; }

PoseModel::PoseModel(const ModelConfig& config, Generator& gen) : config_(config) {
  SAR_CHECK(config.deconv_layers >= 0 && config.deconv_layers <= 5, "model: deconv_layers must be in [0, 5], got ",
            config.deconv_layers);
  backbone_ = make_backbone(config.backbone, gen);
  register_module("backbone", backbone_.get());
  int64_t channels = backbone_->out_channels();
  if (config.deconv_layers > 0) {
    deconv_layers_ = make_deconvs(config.deconv_layers, channels, config.deconv_channels, gen);
    register_module("head.deconv_layers", deconv_layers_.get());  // the official checkpoints' name
    channels = config.deconv_channels;
  }
  head_ = make_head(config, channels, gen);
  register_module("head", head_.get());
}

int PoseModel::feature_stride() const { return backbone_->stride() >> config_.deconv_layers; }

int64_t PoseModel::feature_channels() const {
  return deconv_layers_ ? config_.deconv_channels : backbone_->out_channels();
}

Tensor PoseModel::features(const Tensor& images) {
  SAR_CHECK(images.ndim() == 4 && images.size(1) == 3, "model: images must be [N, 3, H, W], got ", images.shape());
  Tensor f = backbone_->forward(images);          // [N, C, H/s, W/s]
  if (deconv_layers_) f = deconv_layers_->forward(f);  // [N, 256, H/4, W/4] after 3 deconvs
  return f;
}

Tensor PoseModel::loss(const Tensor& images, const KeypointTargets& targets) {
  return head_->loss(features(images), targets);
}

KeypointPredictions PoseModel::predict(const Tensor& images) { return head_->predict(features(images)); }

}  // namespace sar
