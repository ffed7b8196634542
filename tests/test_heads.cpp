// The baseline heads (global regression, heatmap, heatmap + offset, f^g + FC): shapes and
// PyTorch-style names, losses on hand-computed cases, invisible keypoints, float64 gradcheck of
// each loss w.r.t. features and parameters, planted keypoints found by predict, CUDA vs CPU, errors.
// Tiny setting unless a test says otherwise: N = 2, C = 3, J = 2, a 5x4 map of a 20x16 input (stride 4).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/tape.h"
#include "layers/heads/fg_fc_head.h"
#include "layers/heads/global_regression_head.h"
#include "layers/heads/heatmap_head.h"
#include "layers/heads/heatmap_offset_head.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::gradcheck_head;
using sar::test::uniform;

namespace {

HeadConfig head_config(int J, int input_h, int input_w) {
  HeadConfig c;
  c.num_keypoints = J;
  c.input_h = input_h;
  c.input_w = input_w;
  return c;
}

template <typename Config>
Config tiny(int J = 2, int64_t C = 3, int input_h = 20, int input_w = 16) {
  Config c;
  c.head = head_config(J, input_h, input_w);
  c.in_channels = C;
  return c;
}

// xy in input pixels, as (x, y) pairs per (n, j); weight per (n, j).
KeypointTargets targets(const std::vector<double>& xy, const std::vector<double>& weight, int64_t N, int64_t J,
                        DType dtype = DType::F64) {
  KeypointTargets t;
  t.xy = Tensor::from_vector(xy, {N, J, 2}, dtype);
  t.weight = Tensor::from_vector(weight, {N, J}, dtype);
  return t;
}

std::vector<std::string> parameter_names(const Module& m) {
  std::vector<std::string> names;
  for (auto& [n, t] : m.named_parameters()) names.push_back(n);
  return names;
}

double rms(const Tensor& t) {
  double sq = 0;
  for (double v : t.to_vector()) sq += v * v;
  return std::sqrt(sq / double(t.numel()));
}

// The same head (built twice from one seed) on the CPU and on CUDA, float32: loss, the gradients
// of the features and of every parameter, and the predictions must agree. The targets stay on
// the CPU: the head moves them. The features' gradient passes through the head's small initial
// weights (N(0, 0.001)): ~1e-5 in size, so its atol is 1e-9 (the devices differ by ~1e-11).
void check_cuda_matches_cpu(const std::string& name, KeypointHead& cpu, KeypointHead& gpu, const KeypointTargets& t) {
  gpu.to(Device::CUDA);
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 98, DType::F32);
  Tensor fc = f.clone(), fg = f.to(Device::CUDA);
  fc.set_requires_grad();
  fg.set_requires_grad();
  Tensor lc = cpu.loss(fc, t);
  backward(lc);
  Tensor lg = gpu.loss(fg, t);
  backward(lg);
  test::check_close(name + " loss", lc, lg, 1e-6, 1e-4);
  test::check_close(name + " features gradient", fc.grad(), fg.grad(), 1e-9, 1e-4);
  const std::vector<Tensor> pc_params = cpu.parameters(), pg_params = gpu.parameters();
  REQUIRE(pc_params.size() == pg_params.size());
  for (size_t i = 0; i < pc_params.size(); ++i) {
    const std::string what = name + " gradient of parameter " + std::to_string(i);
    REQUIRE_MESSAGE(pc_params[i].grad().defined() == pg_params[i].grad().defined(), what);
    if (pc_params[i].grad().defined()) test::check_close(what, pc_params[i].grad(), pg_params[i].grad(), 1e-7, 1e-4);
  }
  KeypointPredictions pc = cpu.predict(f), pg = gpu.predict(f.to(Device::CUDA));
  test::check_close(name + " coords", pc.coords, pg.coords, 1e-4, 1e-4);
  test::check_close(name + " scores", pc.scores, pg.scores, 1e-6, 1e-4);
}

// Random targets for the tiny setting: keypoints around (and slightly outside) the 20x16 crop,
// keypoint (1, 1) unlabelled, and heatmaps in [0, 1).
KeypointTargets random_targets(DType dtype) {
  KeypointTargets t = targets({3.3, 7.1, 10.2, 2.6, 14.9, 18.4, -1.7, 9.9}, {1, 1, 1, 0}, 2, 2, dtype);
  t.heatmaps = uniform({2, 2, 5, 4}, 0, 1, 97, dtype);
  return t;
}

}  // namespace

// ---- GlobalRegressionHead ----

TEST_CASE("global regression head: output shapes, parameter names and init (float32, cpu)") {
  Generator gen(1);
  GlobalRegressionHead head(tiny<GlobalRegressionHeadConfig>(), gen);
  CHECK(parameter_names(head) == std::vector<std::string>{"fc.weight", "fc.bias"});
  CHECK(head.fc.weight.shape() == Shape{4, 3});
  CHECK_FALSE(head.needs_heatmaps());
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 2, DType::F32);
  CHECK(head.forward(f).shape() == Shape{2, 2, 2});
  KeypointPredictions p = head.predict(f);
  CHECK(p.coords.shape() == Shape{2, 2, 2});
  CHECK(p.scores.to_vector() == std::vector<double>(4, 1.0));

  GlobalRegressionHead big(GlobalRegressionHeadConfig{}, gen);  // J = 17, C = 2048: mmpose's N(0, 0.01)
  CHECK(big.fc.weight.shape() == Shape{34, 2048});
  CHECK(rms(big.fc.weight) == doctest::Approx(0.01).epsilon(0.02));
  CHECK(big.fc.bias.to_vector() == std::vector<double>(34, 0.0));
}

TEST_CASE("global regression head: L1 by hand; invisible keypoints dropped; no valid row gives 0 (float64, cpu)") {
  Generator gen(3);
  GlobalRegressionHead head(tiny<GlobalRegressionHeadConfig>(), gen);
  head.to(DType::F64);
  // Every image predicts keypoint 0 at (4, 10) and keypoint 1 at (8, 6) pixels of the 20x16 crop.
  head.fc.weight.fill_(0.0);
  head.fc.bias.copy_(Tensor::from_vector({4.0 / 16, 10.0 / 20, 8.0 / 16, 6.0 / 20}, {4}, DType::F64));
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 4);
  CHECK(head.loss(f, targets({4, 10, 8, 6, 4, 10, 8, 6}, {1, 1, 1, 1}, 2, 2)).item() ==
        doctest::Approx(0.0).epsilon(1e-12));
  // Image 1, keypoint 1 is 2 px right and 3 px up; image 1, keypoint 0 is unlabelled and far off.
  KeypointTargets t = targets({4, 10, 8, 6, 1000, -1000, 10, 3}, {1, 1, 0, 1}, 2, 2);
  CHECK(head.loss(f, t).item() == doctest::Approx((2.0 / 16 + 3.0 / 20) / 3).epsilon(1e-12));

  t.weight = Tensor::zeros({2, 2}, DType::F64);
  Tensor l = head.loss(f, t);
  CHECK(l.item() == 0.0);
  backward(l);
  CHECK(test::max_abs_diff(head.fc.weight.grad(), Tensor::zeros_like(head.fc.weight)) == 0.0);
  CHECK(test::max_abs_diff(head.fc.bias.grad(), Tensor::zeros_like(head.fc.bias)) == 0.0);
}

TEST_CASE("global regression head: gradcheck of the loss (float64, cpu)") {
  Generator gen(5);
  GlobalRegressionHead head(tiny<GlobalRegressionHeadConfig>(), gen);
  gradcheck_head("global regression head", head, random_targets(DType::F64));
}

TEST_CASE("global regression head: predict returns a planted keypoint in pixels (float32, cpu)") {
  Generator gen(6);
  GlobalRegressionHead head(tiny<GlobalRegressionHeadConfig>(1, 2, 25, 16), gen);
  // f^g = (0.25, 0.5); u = (2 * 0.25 + 0.1, 0.5 + 0.2) = (0.6, 0.7) -> (0.6 * 16, 0.7 * 25) pixels.
  head.fc.weight.copy_(Tensor::from_vector({2, 0, 0, 1}, {2, 2}));
  head.fc.bias.copy_(Tensor::from_vector({0.1, 0.2}, {2}));
  std::vector<double> f(2 * 5 * 4, 0.25);
  std::fill(f.begin() + 20, f.end(), 0.5);
  KeypointPredictions p = head.predict(Tensor::from_vector(f, {1, 2, 5, 4}));
  std::vector<double> xy = p.coords.to_vector();
  CHECK(xy[0] == doctest::Approx(9.6));
  CHECK(xy[1] == doctest::Approx(17.5));
  CHECK(p.scores.item() == 1.0);
}

TEST_CASE("global regression head: bad inputs name the head and the argument (float32, cpu)") {
  Generator gen(7);
  GlobalRegressionHead head(tiny<GlobalRegressionHeadConfig>(), gen);
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 8, DType::F32);
  KeypointTargets t = random_targets(DType::F32);
  CHECK_THROWS_WITH_AS(head.loss(uniform({2, 4, 5, 4}, -1, 1, 8, DType::F32), t),
                       doctest::Contains("GlobalRegressionHead: features must be [N, 3, h, w]"), Error);
  CHECK_THROWS_WITH_AS(head.predict(Tensor()), doctest::Contains("GlobalRegressionHead: features is an undefined"),
                       Error);
  KeypointTargets bad = t;
  bad.xy = Tensor::zeros({2, 3, 2});
  CHECK_THROWS_WITH_AS(head.loss(f, bad),
                       doctest::Contains("GlobalRegressionHead loss: targets.xy must be [N, J, 2] = [2, 2, 2], got "
                                         "[2, 3, 2]"),
                       Error);
  bad = t;
  bad.weight = Tensor();
  CHECK_THROWS_WITH_AS(head.loss(f, bad), doctest::Contains("GlobalRegressionHead loss: targets.weight is undefined"),
                       Error);
  CHECK_THROWS_WITH_AS(GlobalRegressionHead(tiny<GlobalRegressionHeadConfig>(0), gen),
                       doctest::Contains("GlobalRegressionHead: num_keypoints must be >= 1, got 0"), Error);
}

CUDA_TEST_CASE("global regression head: CUDA loss, gradient and predictions match the CPU (float32, cuda)") {
  Generator g1(9), g2(9);
  GlobalRegressionHead cpu(tiny<GlobalRegressionHeadConfig>(), g1), gpu(tiny<GlobalRegressionHeadConfig>(), g2);
  check_cuda_matches_cpu("global regression head", cpu, gpu, random_targets(DType::F32));
}

// ---- HeatmapHead ----

TEST_CASE("heatmap head: output shapes, parameter names and init (float32, cpu)") {
  Generator gen(10);
  HeatmapHead head(tiny<HeatmapHeadConfig>(), gen);
  CHECK(parameter_names(head) == std::vector<std::string>{"final_layer.weight", "final_layer.bias"});
  CHECK(head.final_layer.weight.shape() == Shape{2, 3, 1, 1});
  CHECK(head.needs_heatmaps());
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 11, DType::F32);
  CHECK(head.forward(f).shape() == Shape{2, 2, 5, 4});
  KeypointPredictions p = head.predict(f);
  CHECK(p.coords.shape() == Shape{2, 2, 2});
  CHECK(p.scores.shape() == Shape{2, 2});

  HeatmapHead big(HeatmapHeadConfig{}, gen);  // J = 17, C = 256: mmpose's N(0, 0.001), bias 0
  CHECK(rms(big.final_layer.weight) == doctest::Approx(0.001).epsilon(0.05));
  CHECK(big.final_layer.bias.to_vector() == std::vector<double>(17, 0.0));
}

TEST_CASE("heatmap head: MSE by hand; unlabelled rows count as zero error (float64, cpu)") {
  Generator gen(12);
  HeatmapHead head(tiny<HeatmapHeadConfig>(2, 2), gen);
  head.to(DType::F64);
  head.final_layer.weight.copy_(Tensor::from_vector({1, 0, 0, 1}, {2, 2, 1, 1}));  // heatmaps = features
  head.final_layer.bias.fill_(0.0);
  KeypointTargets t = targets(std::vector<double>(8, 5.0), {1, 1, 1, 0}, 2, 2);
  t.heatmaps = uniform({2, 2, 5, 4}, 0, 1, 13);
  CHECK(head.loss(t.heatmaps, t).item() == 0.0);
  // An error of 0.5 in every cell: 0.25 per cell, and the unlabelled row's quarter of the cells adds 0.
  CHECK(head.loss(t.heatmaps + 0.5, t).item() == doctest::Approx(0.25 * 3 / 4).epsilon(1e-12));
}

TEST_CASE("heatmap head: gradcheck of the loss (float64, cpu)") {
  Generator gen(14);
  HeatmapHead head(tiny<HeatmapHeadConfig>(), gen);
  gradcheck_head("heatmap head", head, random_targets(DType::F64));
}

TEST_CASE("heatmap head: predict returns a planted peak, quarter-shifted, in pixels (float32, cpu)") {
  Generator gen(15);
  HeatmapHead head(tiny<HeatmapHeadConfig>(1, 1, 25, 16), gen);  // strides: 4 along x, 5 along y
  head.final_layer.weight.fill_(1.0);
  head.final_layer.bias.fill_(0.0);
  // Peak 1 at (i=3, k=2); the right neighbour beats the left, the upper beats the lower.
  Tensor f = Tensor::zeros({1, 1, 5, 4});
  float* m = f.data<float>();
  m[3 * 4 + 2] = 1.0f;
  m[3 * 4 + 1] = 0.2f;
  m[3 * 4 + 3] = 0.5f;
  m[2 * 4 + 2] = 0.6f;
  m[4 * 4 + 2] = 0.3f;
  KeypointPredictions p = head.predict(f);
  std::vector<double> xy = p.coords.to_vector();
  CHECK(xy[0] == doctest::Approx((2 + 0.25) * 4));
  CHECK(xy[1] == doctest::Approx((3 - 0.25) * 5));
  CHECK(p.scores.item() == doctest::Approx(1.0));
}

TEST_CASE("heatmap head: bad inputs name the head and the argument (float32, cpu)") {
  Generator gen(16);
  HeatmapHead head(tiny<HeatmapHeadConfig>(), gen);
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 17, DType::F32);
  KeypointTargets t = random_targets(DType::F32);
  t.heatmaps = Tensor();
  CHECK_THROWS_WITH_AS(head.loss(f, t), doctest::Contains("HeatmapHead loss: targets.heatmaps is undefined"), Error);
  t.heatmaps = Tensor::zeros({2, 2, 4, 5});
  CHECK_THROWS_WITH_AS(head.loss(f, t),
                       doctest::Contains("HeatmapHead loss: targets.heatmaps must be [N, J, h, w] = [2, 2, 5, 4]"),
                       Error);
  CHECK_THROWS_WITH_AS(head.predict(Tensor::zeros({3, 5, 4})),
                       doctest::Contains("HeatmapHead: features must be [N, 3, h, w]"), Error);
}

CUDA_TEST_CASE("heatmap head: CUDA loss, gradient and predictions match the CPU (float32, cuda)") {
  Generator g1(18), g2(18);
  HeatmapHead cpu(tiny<HeatmapHeadConfig>(), g1), gpu(tiny<HeatmapHeadConfig>(), g2);
  check_cuda_matches_cpu("heatmap head", cpu, gpu, random_targets(DType::F32));
}

// ---- HeatmapOffsetHead ----

TEST_CASE("heatmap offset head: output shapes, parameter names and init (float32, cpu)") {
  Generator gen(20);
  HeatmapOffsetHead head(tiny<HeatmapOffsetHeadConfig>(), gen);
  CHECK(parameter_names(head) == std::vector<std::string>{"heatmap_conv.weight", "heatmap_conv.bias",
                                                          "offset_conv.weight", "offset_conv.bias"});
  CHECK(head.offset_conv.weight.shape() == Shape{4, 3, 1, 1});
  CHECK(head.needs_heatmaps());
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 21, DType::F32);
  HeatmapOffsetOutputs out = head.forward(f);
  CHECK(out.heatmaps.shape() == Shape{2, 2, 5, 4});
  CHECK(out.offsets.shape() == Shape{2, 4, 5, 4});
  CHECK(head.predict(f).coords.shape() == Shape{2, 2, 2});

  HeatmapOffsetHead big(HeatmapOffsetHeadConfig{}, gen);
  CHECK(rms(big.offset_conv.weight) == doctest::Approx(0.001).epsilon(0.05));
  CHECK(big.offset_conv.bias.to_vector() == std::vector<double>(34, 0.0));
}

TEST_CASE("heatmap offset head: offset L1 over the cells near the keypoint, by hand (float64, cpu)") {
  Generator gen(22);
  HeatmapOffsetHeadConfig config = tiny<HeatmapOffsetHeadConfig>();
  config.offset_radius = 1;
  config.offset_weight = 2.0;
  HeatmapOffsetHead head(config, gen);
  head.to(DType::F64);
  for (Tensor& p : head.parameters()) p.fill_(0.0);  // heatmaps 0 (= the targets), offsets 0
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 23);
  // (n0, j0) at cell (1.3, 2.6): columns 0..2 x rows 2..4; sum |1.3 - k| = 2.3 and sum |2.6 - i| = 2.4
  //   over 3 cells each way: 3 * 2.3 + 3 * 2.4 = 14.1.
  // (n1, j1) at cell (-0.2, 4.4), partly off the map: columns 0..1 x rows 3..4:
  //   2 * (0.2 + 1.2) + 2 * (1.4 + 0.4) = 6.4. The two unlabelled rows add nothing.
  KeypointTargets t = targets({1.3 * 4, 2.6 * 4, 9, 9, 1e3, 1e3, -0.2 * 4, 4.4 * 4}, {1, 0, 0, 1}, 2, 2);
  t.heatmaps = Tensor::zeros({2, 2, 5, 4}, DType::F64);
  CHECK(head.loss(f, t).item() == doctest::Approx(2.0 * (14.1 + 6.4) / (2 * 2 * 5 * 4)).epsilon(1e-12));

  // Radius 0: only the nearest cell (1, 3), whose target offset (0.3, -0.4) the bias now predicts.
  config.offset_radius = 0;
  HeatmapOffsetHead exact(config, gen);
  exact.to(DType::F64);
  for (Tensor& p : exact.parameters()) p.fill_(0.0);
  exact.offset_conv.bias.copy_(Tensor::from_vector({0.3, -0.4, 0, 0}, {4}, DType::F64));
  t.weight = Tensor::from_vector({1, 0, 0, 0}, {2, 2}, DType::F64);
  CHECK(exact.loss(f, t).item() == doctest::Approx(0.0).epsilon(1e-12));
}

TEST_CASE("heatmap offset head: gradcheck of the loss (float64, cpu)") {
  Generator gen(24);
  HeatmapOffsetHead head(tiny<HeatmapOffsetHeadConfig>(), gen);
  gradcheck_head("heatmap offset head", head, random_targets(DType::F64));
}

TEST_CASE("heatmap offset head: predict returns the peak cell plus its offset, in pixels (float32, cpu)") {
  Generator gen(25);
  HeatmapOffsetHead head(tiny<HeatmapOffsetHeadConfig>(), gen);  // 20x16 input, 5x4 map: stride 4
  for (Tensor& p : head.parameters()) p.fill_(0.0);
  head.heatmap_conv.weight.copy_(Tensor::from_vector({1, 0, 0, 0, 1, 0}, {2, 3, 1, 1}));  // heatmap j = channel j
  head.offset_conv.bias.copy_(Tensor::from_vector({0.3, -0.2, -0.4, 0.1}, {4}));
  Tensor f = Tensor::zeros({2, 3, 5, 4});
  float* m = f.data<float>();
  auto plant = [&](int n, int c, int i, int k, float v) { m[((n * 3 + c) * 5 + i) * 4 + k] = v; };
  plant(0, 0, 1, 3, 0.9f);
  plant(0, 1, 4, 0, 0.7f);
  plant(1, 0, 0, 0, 0.5f);
  plant(1, 1, 2, 2, 0.8f);
  plant(1, 2, 3, 3, 5.0f);  // channel 2 is no heatmap's: ignored
  KeypointPredictions p = head.predict(f);
  std::vector<double> xy = p.coords.to_vector();
  std::vector<double> expected = {(3 + 0.3) * 4, (1 - 0.2) * 4, (0 - 0.4) * 4, (4 + 0.1) * 4,   // image 0
                                  (0 + 0.3) * 4, (0 - 0.2) * 4, (2 - 0.4) * 4, (2 + 0.1) * 4};  // image 1
  for (size_t i = 0; i < xy.size(); ++i) CHECK(xy[i] == doctest::Approx(expected[i]));
  std::vector<double> scores = p.scores.to_vector();
  CHECK(scores[0] == doctest::Approx(0.9));
  CHECK(scores[1] == doctest::Approx(0.7));
  CHECK(scores[2] == doctest::Approx(0.5));
  CHECK(scores[3] == doctest::Approx(0.8));
}

TEST_CASE("heatmap offset head: bad inputs name the head and the argument (float32, cpu)") {
  Generator gen(26);
  HeatmapOffsetHeadConfig config = tiny<HeatmapOffsetHeadConfig>();
  config.offset_radius = -1;
  CHECK_THROWS_WITH_AS(HeatmapOffsetHead(config, gen),
                       doctest::Contains("HeatmapOffsetHead: offset_radius must be >= 0, got -1"), Error);
  HeatmapOffsetHead head(tiny<HeatmapOffsetHeadConfig>(), gen);
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 27, DType::F32);
  KeypointTargets t = random_targets(DType::F32);
  t.heatmaps = Tensor();
  CHECK_THROWS_WITH_AS(head.loss(f, t), doctest::Contains("HeatmapOffsetHead loss: targets.heatmaps is undefined"),
                       Error);
  t = random_targets(DType::F32);
  t.weight = Tensor::ones({2});
  CHECK_THROWS_WITH_AS(head.loss(f, t),
                       doctest::Contains("HeatmapOffsetHead loss: targets.weight must be [N, J] = [2, 2], got [2]"),
                       Error);
}

CUDA_TEST_CASE("heatmap offset head: CUDA loss, gradient and predictions match the CPU (float32, cuda)") {
  Generator g1(28), g2(28);
  HeatmapOffsetHead cpu(tiny<HeatmapOffsetHeadConfig>(), g1), gpu(tiny<HeatmapOffsetHeadConfig>(), g2);
  check_cuda_matches_cpu("heatmap offset head", cpu, gpu, random_targets(DType::F32));
}

// ---- FgFcHead ----

TEST_CASE("fg fc head: output shapes, parameter names, count at C = 2048 and init (float32, cpu)") {
  Generator gen(30);
  FgFcHeadConfig config = tiny<FgFcHeadConfig>();
  config.grid_h = 3;
  config.grid_w = 2;
  FgFcHead head(config, gen);
  CHECK(parameter_names(head) ==
        std::vector<std::string>{"offset_fc.weight", "offset_fc.bias", "logit_fc.weight", "logit_fc.bias"});
  CHECK(head.offset_fc.weight.shape() == Shape{2 * 2 * 6, 3});
  CHECK(head.logit_fc.weight.shape() == Shape{2 * 6, 3});
  CHECK_FALSE(head.needs_heatmaps());
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 31, DType::F32);
  FgFcOutputs out = head.forward(f);
  CHECK(out.offsets.shape() == Shape{2, 4, 3, 2});
  CHECK(out.logits.shape() == Shape{2, 2, 3, 2});
  KeypointPredictions p = head.predict(f);
  CHECK(p.coords.shape() == Shape{2, 2, 2});
  CHECK(p.scores.shape() == Shape{2, 2});

  FgFcHead big(FgFcHeadConfig{}, gen);  // J = 17, C = 2048, 8 x 6 grid: the count in the header
  CHECK(big.parameter_count() == 5015952);
  CHECK(rms(big.offset_fc.weight) == doctest::Approx(0.001).epsilon(0.01));
  CHECK(big.offset_fc.bias.to_vector() == std::vector<double>(34 * 48, 0.0));
  std::vector<double> prior = big.logit_fc.bias.to_vector();
  CHECK(*std::min_element(prior.begin(), prior.end()) == doctest::Approx(-4.5951).epsilon(1e-4));
  CHECK(*std::max_element(prior.begin(), prior.end()) == doctest::Approx(-4.5951).epsilon(1e-4));
}

TEST_CASE("fg fc head: SAR loss of a one-hot selector by hand; unlabelled rows dropped (float64, cpu)") {
  Generator gen(32);
  FgFcHeadConfig config = tiny<FgFcHeadConfig>(2, 3, 12, 8);
  config.grid_h = 3;
  config.grid_w = 2;
  FgFcHead head(config, gen);
  head.to(DType::F64);
  for (Tensor& p : head.parameters()) p.fill_(0.0);  // o_t = 0: K_t = p_t
  // Keypoint 0 selects cell (i=1, k=1), row 3 of its 6: K = (1/2, 1/3); keypoint 1 is unlabelled.
  std::vector<double> logits(2 * 6, -40.0);
  logits[3] = 40.0;
  head.logit_fc.bias.copy_(Tensor::from_vector(logits, {12}, DType::F64));
  Tensor f = uniform({2, 3, 5, 4}, -1, 1, 33);
  KeypointTargets t = targets({5, 2, 1e6, 1e6, 1, 11, -1e6, 0}, {1, 0, 1, 0}, 2, 2);
  auto row_loss = [](double x, double y) {  // targets normalized by the 8-wide, 12-high input
    double d = std::fabs(0.5 - x / 8) + std::fabs(1.0 / 3 - y / 12);
    return -std::log(std::exp(-16 * d) + 1e-6);
  };
  CHECK(head.loss(f, t).item() == doctest::Approx((row_loss(5, 2) + row_loss(1, 11)) / 2).epsilon(1e-9));
}

TEST_CASE("fg fc head: gradcheck of the loss (float64, cpu)") {
  Generator gen(34);
  FgFcHeadConfig config = tiny<FgFcHeadConfig>();
  config.grid_h = 2;
  config.grid_w = 2;
  FgFcHead head(config, gen);
  gradcheck_head("fg fc head", head, random_targets(DType::F64));
}

TEST_CASE("fg fc head: predict returns the selected cell's K_t in pixels (float32, cpu)") {
  Generator gen(35);
  FgFcHeadConfig config = tiny<FgFcHeadConfig>(1, 3, 15, 8);  // 3x2 grid: strides 4 along x, 5 along y
  config.grid_h = 3;
  config.grid_w = 2;
  FgFcHead head(config, gen);
  for (Tensor& p : head.parameters()) p.fill_(0.0);
  std::vector<double> logits(6, -10.0);
  logits[4] = 10.0;  // cell (i=2, k=0)
  head.logit_fc.bias.copy_(Tensor::from_vector(logits, {6}));
  std::vector<double> offsets(12, 0.0);
  offsets[4] = -0.1;      // o_x at cell 4 (channel 0)
  offsets[6 + 4] = 0.05;  // o_y at cell 4 (channel 1)
  head.offset_fc.bias.copy_(Tensor::from_vector(offsets, {12}));
  KeypointPredictions p = head.predict(uniform({1, 3, 5, 4}, -1, 1, 36, DType::F32));
  std::vector<double> xy = p.coords.to_vector();
  CHECK(xy[0] == doctest::Approx(8 * (0.0 / 2 + 0.1)));    // x = input_w * (k / gw - o_x)
  CHECK(xy[1] == doctest::Approx(15 * (2.0 / 3 - 0.05)));  // y = input_h * (i / gh - o_y)
  double hi = 1 / (1 + std::exp(-10.0)), lo = 1 / (1 + std::exp(10.0));
  CHECK(p.scores.item() == doctest::Approx(hi / (hi + 5 * lo)).epsilon(1e-5));  // max_t w_t
}

TEST_CASE("fg fc head: bad inputs name the head and the argument (float32, cpu)") {
  Generator gen(37);
  FgFcHeadConfig config = tiny<FgFcHeadConfig>();
  config.grid_w = 0;
  CHECK_THROWS_WITH_AS(FgFcHead(config, gen), doctest::Contains("FgFcHead: grid_h and grid_w must be >= 1, got 8x0"),
                       Error);
  config = tiny<FgFcHeadConfig>(2, 0);
  CHECK_THROWS_WITH_AS(FgFcHead(config, gen), doctest::Contains("FgFcHead: in_channels must be >= 1, got 0"), Error);
  FgFcHead head(tiny<FgFcHeadConfig>(), gen);
  KeypointTargets t = random_targets(DType::F32);
  t.xy = Tensor();
  CHECK_THROWS_WITH_AS(head.loss(uniform({2, 3, 5, 4}, -1, 1, 38, DType::F32), t),
                       doctest::Contains("FgFcHead loss: targets.xy is undefined"), Error);
}

CUDA_TEST_CASE("fg fc head: CUDA loss, gradient and predictions match the CPU (float32, cuda)") {
  Generator g1(39), g2(39);
  FgFcHeadConfig config = tiny<FgFcHeadConfig>();
  config.grid_h = 4;
  config.grid_w = 3;
  FgFcHead cpu(config, g1), gpu(config, g2);
  check_cuda_matches_cpu("fg fc head", cpu, gpu, random_targets(DType::F32));
}
