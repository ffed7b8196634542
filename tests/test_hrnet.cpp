// HRNet as the official pose HRNet builds it: parameter counts, state_dict names, output
// shape, gradients, and forward values against PyTorch.
//
// Where the numbers come from: a PyTorch rebuild of lib/models/pose_hrnet.py with the
// w32/w48_256x192 configs and without final_layer (kept as the HRNet of
// tools/make_model_fixtures.py). Its
// state_dict equals ours name for name and shape for shape (all 1752 tensors); loaded with the
// same random float64 weights, its outputs equal ours to 1e-14 (eval BN) and 2e-11 (training
// BN) on a 2x3x64x32 input. Its parameter counts, which a hand count with BasicBlock(c) =
// 2 (9c^2 + 2c) and the fuse rules of models/hrnet.h gives too:
//           stem  layer1  transition1  stage2  transition2      stage3  transition3      stage4       total
//   W32:  38,848 286,208      221,376 390,848       73,984   6,821,632      295,424  20,407,232  28,535,552
//   W48:  38,848 286,208      332,064 878,112      166,272  15,335,040      664,320  45,894,048  63,594,912
// With final_layer (1x1 conv to 17 joints with bias: 17c + 17) these are 28,536,113 and
// 63,595,745: the model zoo's 28.5M and 63.6M.
#include <cmath>
#include <map>
#include <string>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "models/hrnet.h"
#include "tests/test_util.h"
#include "tests/weight_formula.h"

using namespace sar;

namespace {

// One HRNet-W32 for the whole file: building it draws 57M random numbers (about 2.5 s on one
// core). Tests change its weights and mode, so each sets what its checks rely on.
HRNet& hrnet_w32() {
  static Generator gen(1);
  static HRNet net(32, gen);
  return net;
}

double squared_norm(const Tensor& t) { return sum(t * t).item(); }

int64_t count_under(const Module& net, const std::string& prefix) {
  int64_t n = 0;
  for (auto& [name, p] : net.named_parameters())
    if (name.compare(0, prefix.size(), prefix) == 0) n += p.numel();
  return n;
}

}  // namespace

TEST_CASE("hrnet: parameter counts equal the official pose HRNet's without final_layer") {
  HRNet& w32 = hrnet_w32();
  CHECK(w32.parameter_count() == 28535552);
  CHECK(count_under(w32, "transition1.") == 221376);
  CHECK(count_under(w32, "stage3.") == 6821632);
  CHECK(count_under(w32, "stage4.") == 20407232);
  CHECK(w32.out_channels() == 32);

  Generator gen(2);
  HRNet w48(48, gen);
  CHECK(w48.parameter_count() == 63594912);
  CHECK(w48.out_channels() == 48);

  CHECK_THROWS_WITH_AS(HRNet(40, gen), doctest::Contains("HRNet: width must be 32 or 48, got 40"), Error);
}

TEST_CASE("hrnet: official state_dict names") {
  HRNet& net = hrnet_w32();
  NamedTensors state = net.state();
  std::map<std::string, Shape> shapes;
  for (auto& [name, t] : state) shapes[name] = t.shape();
  auto has = [&](const std::string& name) { return shapes.count(name) == 1; };
  auto shape_of = [&](const std::string& name) { return has(name) ? shapes.at(name) : Shape{}; };
  // 292 convs and 292 BNs: one weight per conv, weight and bias per BN; three buffers per BN.
  CHECK(net.named_parameters().size() == 876);
  CHECK(net.named_buffers().size() == 876);
  CHECK(state.size() == 1752);
  CHECK(state.front().first == "conv1.weight");
  CHECK(state.back().first == "stage4.2.fuse_layers.0.3.1.num_batches_tracked");

  const std::pair<const char*, Shape> expected[] = {
      {"conv1.weight", {64, 3, 3, 3}},
      {"bn2.running_var", {64}},
      {"layer1.0.downsample.0.weight", {256, 64, 1, 1}},
      {"layer1.3.conv3.weight", {256, 64, 1, 1}},
      {"transition1.0.0.weight", {32, 256, 3, 3}},
      {"transition1.1.0.0.weight", {64, 256, 3, 3}},
      {"transition2.2.0.1.running_mean", {128}},
      {"transition3.3.0.0.weight", {256, 128, 3, 3}},
      {"stage2.0.branches.0.0.conv1.weight", {32, 32, 3, 3}},
      {"stage3.3.branches.2.3.bn2.bias", {128}},
      // j > i: 1x1 conv (".0") and BN (".1"); j < i: step k of the stride-2 convs (".k.0", ".k.1").
      {"stage2.0.fuse_layers.0.1.0.weight", {32, 64, 1, 1}},
      {"stage2.0.fuse_layers.1.0.0.0.weight", {64, 32, 3, 3}},
      {"stage3.0.fuse_layers.2.0.0.0.weight", {32, 32, 3, 3}},
      {"stage3.0.fuse_layers.2.0.1.0.weight", {128, 32, 3, 3}},
      {"stage4.1.fuse_layers.3.0.2.1.weight", {256}},
      {"stage4.2.fuse_layers.0.3.0.weight", {32, 256, 1, 1}},
  };
  for (const auto& [name, shape] : expected) CHECK_MESSAGE(shape_of(name) == shape, name);

  const char* absent[] = {
      "transition2.0.0.weight",                     // identity transitions are empty slots,
      "stage2.0.fuse_layers.0.0.0.weight",          // and so is fuse_layers.i.i
      "stage2.0.branches.0.0.downsample.0.weight",  // branch widths never change
      "stage4.2.fuse_layers.1.0.0.0.weight",        // the last module outputs branch 0 only
      "final_layer.weight",
  };
  for (const char* name : absent) CHECK_MESSAGE(!has(name), name);
  CHECK(has("stage4.1.fuse_layers.1.0.0.0.weight"));
}

TEST_CASE("hrnet: forward is [N, c, H/4, W/4] and backward reaches every parameter (float32, cpu)") {
  HRNet& net = hrnet_w32();
  net.train();
  net.zero_grad();
  Tensor y = net.forward(test::uniform({1, 3, 64, 32}, -1, 1, 3, DType::F32));
  REQUIRE(y.shape() == Shape{1, 32, 16, 8});
  backward(sum(y * test::uniform(y.shape(), -1, 1, 4, DType::F32)));

  int64_t reached = 0;
  for (auto& [name, p] : net.named_parameters()) {
    if (!p.grad().defined()) continue;
    ++reached;
    const double norm = squared_norm(p.grad());
    CHECK_MESSAGE(std::isfinite(norm), name);
    // Every gradient is non-zero: the stem's went through every stage, the stride-32 branch's
    // through the last fusion; a backward that wrote zeros anywhere would show here.
    CHECK_MESSAGE(norm > 0, name);
  }
  CHECK(reached == 876);

  // 64x48: the stride-32 branch is 2x2 and upsamples to 4x4, not onto the 4x3 of stride 16.
  CHECK_THROWS_WITH_AS(net.forward(Tensor::ones({1, 3, 64, 48})),
                       doctest::Contains("HRNet: input must be [N, 3, H, W] with ceil(H/4) and ceil(W/4) multiples "
                                         "of 8 (e.g. H and W multiples of 32, such as 256x192), got [1, 3, 64, 48]"),
                       Error);
}

TEST_CASE("hrnet: eval forward equals PyTorch's on formula weights (float32, cpu)") {
  // Expected: the PyTorch rebuild described at the top, in float64, with every floating-point
  // state tensor and the input [1, 3, 64, 32] ("input") filled by tests/weight_formula.h;
  // float32 agrees to about 1e-6. Mistakes in the fusion or transitions change these values
  // and not the names or shapes: without the ReLU between two stride-2 fuse steps the sum is
  // 7326.3.
  HRNet& net = hrnet_w32();
  test::fill_formula(net);
  net.eval();
  Tensor x = Tensor::empty({1, 3, 64, 32});
  test::fill_formula("input", x);
  NoGrad no_grad;
  Tensor y = net.forward(x);
  REQUIRE(y.shape() == Shape{1, 32, 16, 8});
  CHECK(sum(y).item() == doctest::Approx(6769.502911).epsilon(1e-5));
  CHECK(sum(y * y).item() == doctest::Approx(20939.19997).epsilon(1e-5));
  const std::vector<double> v = y.to_vector();
  auto at = [&](int c, int h, int w) { return v[(c * 16 + h) * 8 + w]; };
  CHECK(at(0, 7, 5) == doctest::Approx(0.2467821537).epsilon(1e-5));
  CHECK(at(8, 15, 7) == doctest::Approx(4.93689691).epsilon(1e-5));
  CHECK(at(17, 0, 7) == doctest::Approx(1.524020428).epsilon(1e-5));
  CHECK(at(31, 0, 0) == doctest::Approx(1.765768552).epsilon(1e-5));
}
