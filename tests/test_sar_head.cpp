// The SAR head: names and init of the official head, the quality focal loss, the whole
// head's loss gradients, and predictions of a planted keypoint.
#include <cmath>

#include "core/gradcheck.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "layers/heads/qfl_loss.h"
#include "layers/heads/sar_head.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

namespace {

SarHeadConfig tiny_config(int J, int C, int input_h, int input_w) {
  SarHeadConfig c;
  c.head.num_keypoints = J;
  c.head.input_h = input_h;
  c.head.input_w = input_w;
  c.in_channels = C;
  return c;
}

double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

}  // namespace

TEST_CASE("sar head: official parameter names and initialization") {
  Generator gen(1);
  SarHead head(tiny_config(17, 256, 256, 192), gen);
  std::vector<std::string> names;
  for (auto& [n, t] : head.named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"offset_conv.weight", "offset_conv.bias", "logit_conv.weight",
                                          "logit_conv.bias", "heatmap_conv.weight", "heatmap_conv.bias"});
  CHECK(head.offset_conv.weight.shape() == Shape{34, 256, 1, 1});
  CHECK(head.logit_conv.bias.to_vector()[16] == doctest::Approx(-4.5951).epsilon(1e-4));
  CHECK(head.heatmap_conv->bias.to_vector()[0] == doctest::Approx(-4.5951).epsilon(1e-4));
  CHECK(head.offset_conv.bias.to_vector()[0] == 0.0);
  double sq = 0;
  for (double v : head.offset_conv.weight.to_vector()) sq += v * v;
  CHECK(std::sqrt(sq / head.offset_conv.weight.numel()) == doctest::Approx(0.001).epsilon(0.05));
  CHECK(head.needs_heatmaps());
  SarHeadConfig no_hm = tiny_config(3, 8, 16, 12);
  no_hm.with_heatmap = false;
  SarHead plain(no_hm, gen);
  CHECK(plain.named_parameters().size() == 4);
  CHECK_FALSE(plain.needs_heatmaps());
}

TEST_CASE("quality focal loss: hand-computed value, invalid rows dropped, num_pos (float64, cpu)") {
  // 1 image, 2 keypoints, 1x2 map; keypoint 1 is invalid and must not count.
  Tensor z = Tensor::from_vector({0.5, -1.0, 3.0, 2.0}, {1, 2, 1, 2}, DType::F64);
  Tensor y = Tensor::from_vector({0.9, 0.0, 1.0, 1.0}, {1, 2, 1, 2}, DType::F64);
  Tensor weight = Tensor::from_vector({1, 0}, {1, 2}, DType::F64);
  auto cell = [](double zz, double yy) {
    double p = 1 / (1 + std::exp(-zz));
    return (softplus(zz) - zz * yy) * (yy - p) * (yy - p);
  };
  double expected = (cell(0.5, 0.9) + cell(-1.0, 0.0)) / 1.0;  // one valid cell above 0.7
  CHECK(quality_focal_loss(z, y, weight).item() == doctest::Approx(expected).epsilon(1e-12));
  // no positive cell at all: the denominator is clamped to 1, not a division by zero
  Tensor none = Tensor::zeros({1, 2, 1, 2}, DType::F64);
  CHECK(std::isfinite(quality_focal_loss(z, none, weight).item()));
  CHECK_THROWS_WITH_AS(quality_focal_loss(z, Tensor::zeros({1, 2, 2, 1}, DType::F64), weight),
                       doctest::Contains("quality_focal_loss: targets must have the logits' shape"), Error);
}

TEST_CASE("quality focal loss: the gradient at logits of exactly 0 (float64, cpu)") {
  // At z = 0 (p = 1/2, BCE = log 2): dL/dz = [(p - y)(y - p)^2 - 2 log2 (y - p) p (1 - p)] / num_pos,
  // as PyTorch's binary_cross_entropy_with_logits gives; num_pos = 2 (y = 0.8 and 1 exceed 0.7).
  Tensor z = Tensor::zeros({1, 2, 1, 2}, DType::F64).set_requires_grad();
  Tensor y = Tensor::from_vector({0, 0.5, 0.8, 1}, {1, 2, 1, 2}, DType::F64);
  backward(quality_focal_loss(z, y, Tensor::ones({1, 2}, DType::F64)));
  const std::vector<double> g = z.grad().to_vector(), ys = y.to_vector();
  for (size_t i = 0; i < 4; ++i) {
    const double d = ys[i] - 0.5;
    CHECK(g[i] == doctest::Approx((-d * d * d - 2 * std::log(2.0) * d * 0.25) / 2).epsilon(1e-12));
  }
}

TEST_CASE("quality focal loss: gradcheck, and finite for extreme logits (float64, cpu)") {
  Tensor z = uniform({2, 3, 4, 5}, -3, 3, 2).set_requires_grad();
  Tensor y = uniform({2, 3, 4, 5}, 0, 1, 3);
  Tensor weight = Tensor::from_vector({1, 0, 1, 1, 1, 0}, {2, 3}, DType::F64);
  test::gradcheck("qfl", [&](const std::vector<Tensor>& in) { return quality_focal_loss(in[0], y, weight); }, {z});
  Tensor extreme = Tensor::from_vector({-90, 90, -90, 90}, {1, 1, 2, 2}, DType::F64).set_requires_grad();
  Tensor t = Tensor::from_vector({1, 0, 0, 1}, {1, 1, 2, 2}, DType::F64);
  Tensor l = quality_focal_loss(extreme, t, Tensor::ones({1, 1}, DType::F64));
  CHECK(std::isfinite(l.item()));
}

TEST_CASE("sar head: gradcheck of the whole head's loss (float64, cpu)") {
  Generator gen(4);
  SarHead head(tiny_config(2, 3, 20, 16), gen);  // map 5x4: stride 4
  Tensor features = uniform({2, 3, 5, 4}, -1, 1, 5).set_requires_grad();
  KeypointTargets t;
  t.xy = Tensor::from_vector({3.3, 7.1, 10.2, 2.6, 14.9, 18.4, -1.7, 9.9}, {2, 2, 2}, DType::F64);
  t.weight = Tensor::from_vector({1, 1, 1, 0}, {2, 2}, DType::F64);
  t.heatmaps = uniform({2, 2, 5, 4}, 0, 1, 6);
  test::gradcheck_head("sar head", head, t);
  t.heatmaps = Tensor();
  CHECK_THROWS_WITH_AS(head.loss(features, t), doctest::Contains("SarHead loss: targets.heatmaps is undefined"), Error);
}

TEST_CASE("sar head: predict finds a planted keypoint in input pixels (float32, cpu)") {
  // 1 channel that is 1 at cell (i=2, k=1) of a 4x3 map and 0 elsewhere; input 16x12: stride 4.
  Generator gen(7);
  SarHeadConfig config = tiny_config(1, 1, 16, 12);
  config.with_heatmap = false;
  SarHead head(config, gen);
  head.logit_conv.weight.fill_(10.0);  // the planted cell gets logit 10 - 4.6, the others -4.6
  head.offset_conv.weight.fill_(0.0);
  head.offset_conv.bias.copy_(Tensor::from_vector({0.05, -0.1}, {2}));  // o_x, o_y in map units
  Tensor f = Tensor::zeros({1, 1, 4, 3});
  f.data<float>()[2 * 3 + 1] = 1;
  KeypointPredictions p = head.predict(f);
  CHECK(p.coords.shape() == Shape{1, 1, 2});
  std::vector<double> xy = p.coords.to_vector();
  CHECK(xy[0] == doctest::Approx(4.0 * (1 - 3 * 0.05)));   // x = stride (k - w o_x)
  CHECK(xy[1] == doctest::Approx(4.0 * (2 + 4 * 0.1)));    // y = stride (i - h o_y)
  double c_hi = 1 / (1 + std::exp(-(10 + kSarLogitPrior))), c_lo = 1 / (1 + std::exp(-kSarLogitPrior));
  CHECK(p.scores.item() == doctest::Approx(c_hi / (c_hi + 11 * c_lo)).epsilon(1e-5));  // max_t w_t
}

CUDA_TEST_CASE("sar head: CUDA loss and predictions match the CPU (float32, cuda)") {
  Generator g1(8), g2(8);
  SarHead cpu(tiny_config(3, 4, 64, 48), g1), gpu(tiny_config(3, 4, 64, 48), g2);
  gpu.to(Device::CUDA);
  Tensor f = uniform({2, 4, 16, 12}, -1, 1, 9, DType::F32);
  KeypointTargets t;
  t.xy = uniform({2, 3, 2}, 0, 48, 10, DType::F32);
  t.weight = Tensor::from_vector({1, 1, 0, 1, 1, 1}, {2, 3});
  t.heatmaps = uniform({2, 3, 16, 12}, 0, 1, 11, DType::F32);
  KeypointTargets tg{t.xy.to(Device::CUDA), t.weight.to(Device::CUDA), t.heatmaps.to(Device::CUDA)};
  test::check_close("sar head loss", cpu.loss(f, t), gpu.loss(f.to(Device::CUDA), tg), 1e-4, 1e-4);
  KeypointPredictions pc = cpu.predict(f), pg = gpu.predict(f.to(Device::CUDA));
  test::check_close("sar head coords", pc.coords, pg.coords, 1e-3, 1e-4);
  test::check_close("sar head scores", pc.scores, pg.scores, 1e-5, 1e-4);
}
