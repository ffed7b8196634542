// The model registry: every backbone with every head, official checkpoint names, the
// multiply-add counts the paper and mmpose give, and a few training steps whose loss falls.
#include <cmath>

#include "core/flop_counter.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "layers/heads/heatmap_codec.h"
#include "models/pose_model.h"
#include "core/gradcheck.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

ModelConfig config(const std::string& backbone, const std::string& head, int input_h, int input_w, int J = 3) {
  ModelConfig c;
  c.backbone = backbone;
  c.head = head;
  c.deconv_layers = backbone.rfind("hrnet", 0) == 0 ? 0 : 3;
  c.head_config.num_keypoints = J;
  c.head_config.input_h = input_h;
  c.head_config.input_w = input_w;
  return c;
}

bool has(const PoseModel& m, const std::string& name) {
  for (auto& [n, t] : m.state())
    if (n == name) return true;
  return false;
}

// Targets for a batch: keypoints in input pixels, all labelled, Gaussian heatmaps at the map size.
KeypointTargets targets_for(const PoseModel& model, const std::vector<float>& xy, int N, int J, int h, int w) {
  KeypointTargets t;
  t.xy = Tensor::from_vector(std::vector<double>(xy.begin(), xy.end()), {N, J, 2});
  t.weight = Tensor::ones({N, J});
  Tensor maps = Tensor::empty({N, J, h, w});
  const double stride = double(model.config().head_config.input_w) / w;
  for (int n = 0; n < N; ++n) {
    std::vector<float> cells(2 * J);
    for (int k = 0; k < 2 * J; ++k) cells[k] = float(xy[n * 2 * J + k] / stride);
    HeatmapTargets one = encode_gaussian_heatmaps(cells, std::vector<float>(J, 1.f), h, w, 2.0);
    maps.view_rows(n, n + 1).copy_(one.heatmaps.view_as_shape({1, J, h, w}));
  }
  t.heatmaps = maps;
  return t;
}

}  // namespace

TEST_CASE("pose model: every head on a ResNet-18, and HRNet-W32 with SAR, predict one keypoint each") {
  // One finite keypoint per (image, keypoint); SAR's scores (max w_t) lie in [0, 1] (heatmap
  // heads score by the raw peak, which may leave it).
  auto check_predictions = [](PoseModel& model, const std::string& head) {
    model.eval();
    Generator images(3);
    const KeypointPredictions p = model.predict(randn({2, 3, 64, 64}, images));
    CHECK_MESSAGE(p.coords.shape() == Shape({2, 3, 2}), head);
    CHECK_MESSAGE(p.scores.shape() == Shape({2, 3}), head);
    for (double v : p.coords.to_vector()) CHECK_MESSAGE(std::isfinite(v), head);
    const bool confidence = head == "sar" || head == "fg_fc";
    for (double v : p.scores.to_vector())
      CHECK_MESSAGE((std::isfinite(v) && (!confidence || (v >= 0 && v <= 1))), head, ": score ", v);
  };
  for (const std::string& head : head_names()) {
    Generator gen(1);
    ModelConfig c = config("resnet18", head, 64, 64);
    if (head == "regression" || head == "fg_fc") c.deconv_layers = 0;
    PoseModel model(c, gen);
    check_predictions(model, head);
  }
  Generator gen(2);
  PoseModel hrnet(config("hrnet_w32", "sar", 64, 64), gen);
  check_predictions(hrnet, "sar");
  CHECK(hrnet.feature_stride() == 4);
  CHECK(hrnet.feature_channels() == 32);
  CHECK(has(hrnet, "backbone.stage4.2.fuse_layers.0.3.1.running_var"));
  CHECK_THROWS_WITH_AS(PoseModel(config("resnet19", "sar", 64, 64), gen),
                       doctest::Contains("model: unknown backbone 'resnet19'; known: resnet18"), Error);
  CHECK_THROWS_WITH_AS(PoseModel(config("resnet18", "dsnt", 64, 64), gen),
                       doctest::Contains("model: unknown head 'dsnt'; known: sar, regression"), Error);
}

TEST_CASE("pose model: the heatmap_offset head gets the config's offset_weight and offset_radius") {
  // The loss is heatmap MSE + offset_weight * offset L1, so it is linear in the weight; a wider
  // radius supervises more cells. Same seed: the same weights each time.
  Generator data_gen(7);
  const Tensor images = randn({2, 3, 64, 64}, data_gen);
  auto loss_with = [&](double weight, int radius) {
    Generator gen(6);
    ModelConfig c = config("resnet18", "heatmap_offset", 64, 64, 2);
    c.offset_weight = weight;
    c.offset_radius = radius;
    PoseModel model(c, gen);
    NoGrad no_grad;
    return model.loss(images, targets_for(model, {10, 20, 40, 44, 30, 12, 52, 50}, 2, 2, 16, 16)).item();
  };
  const double l0 = loss_with(0, 2), l1 = loss_with(1, 2), l2 = loss_with(2, 2);
  CHECK(l1 > l0);
  CHECK(l2 - l1 == doctest::Approx(l1 - l0).epsilon(1e-4));
  CHECK(loss_with(1, 0) < l1);  // one supervised cell per keypoint instead of 25
}

TEST_CASE("pose model: the official SAR checkpoint names") {
  Generator gen(3);
  PoseModel model(config("resnet50", "sar", 256, 192, 17), gen);
  for (const char* name : {"backbone.conv1.weight", "backbone.layer4.2.bn3.running_mean", "head.deconv_layers.0.weight",
                           "head.deconv_layers.1.running_var", "head.deconv_layers.7.weight",
                           "head.logit_conv.weight", "head.offset_conv.bias", "head.heatmap_conv.bias"})
    CHECK_MESSAGE(has(model, name), name);
  CHECK_FALSE(has(model, "head.deconv_layers.0.bias"));  // the deconvs have no bias
  CHECK(model.feature_stride() == 4);
}

TEST_CASE("pose model: multiply-adds of SimpleBaseline-R50 + SAR at 256x192 as the paper and mmpose count them") {
  Generator gen(4);
  PoseModel model(config("resnet50", "sar", 256, 192, 17), gen);
  model.eval();
  NoGrad no_grad;
  FlopCount count;
  model.predict(Tensor::zeros({1, 3, 256, 192}));
  CHECK(count.total() == doctest::Approx(5.466e9).epsilon(0.002));  // mmpose: 5.46 G for the heatmap model
  CHECK(count.total_full_kernel() == doctest::Approx(9.69e9).epsilon(0.002));  // the paper's Table 1: 9.7 G
  CHECK(count.macs().at("conv2d") == doctest::Approx(4.057e9).epsilon(0.002));  // the paper: 4.0 G without deconvs
}

TEST_CASE("pose model: a few SGD steps on one batch make the loss fall (float32, cpu)") {
  Generator gen(5);
  ModelConfig c = config("resnet18", "sar", 64, 64, 2);
  c.sar_heatmap = false;
  PoseModel model(c, gen);
  Tensor images = randn({2, 3, 64, 64}, gen);
  KeypointTargets t = targets_for(model, {10, 20, 40, 44, 30, 12, 52, 50}, 2, 2, 16, 16);
  std::vector<double> losses;
  for (int step = 0; step < 12; ++step) {
    Tensor loss = model.loss(images, t);
    losses.push_back(loss.item());
    backward(loss);
    // a per-tensor normalized step (Adam's scale invariance without its moments): the
    // optimizers arrive with the training issue
    NoGrad no_grad;
    for (Tensor& p : model.parameters()) {
      if (!p.grad().defined()) continue;
      const Tensor& g = p.grad();
      const double rms = std::sqrt(sum(g * g).item() / double(g.numel())) + 1e-12;
      p.copy_(p - g * (1e-4 / rms));
    }
    model.zero_grad();
  }
  INFO("losses: ", losses[0], " ", losses[1], " ", losses[2], " ... ", losses.back());
  CHECK(losses.back() < 0.85 * losses.front());  // 4.21 -> 3.44 on this machine
}

TEST_CASE("pose model: float64 gradcheck of ResNet-18 + deconvs + SAR head on sampled parameters (float64, cpu)") {
  // 64x64, not smaller: at 32x32 the last BN normalizes 2 values per channel, so nearly singular
  // that central differences with eps 1e-6 are off by 1e-4 (eps 1e-8 then agrees)
  Generator gen(6);
  ModelConfig c = config("resnet18", "sar", 64, 64, 2);
  PoseModel model(c, gen);
  model.to(DType::F64);
  Tensor images = randn({2, 3, 64, 64}, gen, DType::F64);
  KeypointTargets t = targets_for(model, {10, 18, 40, 48, 28, 12, 52, 50}, 2, 2, 16, 16);
  t.xy = t.xy.to(DType::F64);
  t.weight = t.weight.to(DType::F64);
  t.heatmaps = t.heatmaps.to(DType::F64);
  // a few parameters from every part: the inputs the check perturbs
  std::vector<Tensor> checked;
  for (auto& [name, p] : model.named_parameters()) {
    for (const char* pick : {"backbone.conv1.weight", "backbone.layer2.0.downsample.0.weight", "backbone.layer4.1.bn2.weight",
                             "head.deconv_layers.3.weight", "head.deconv_layers.7.bias", "head.logit_conv.weight",
                             "head.offset_conv.bias", "head.heatmap_conv.weight"})
      if (name == pick) checked.push_back(p);
  }
  REQUIRE(checked.size() == 8);
  test::GradcheckOptions opt;
  opt.max_elements = 4;
  opt.rtol = 1e-5;
  test::gradcheck("resnet18 + sar", [&](const std::vector<Tensor>&) { return model.loss(images, t); }, checked, opt);
}
