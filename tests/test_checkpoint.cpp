// Whole-model weights: load_state's report (strict and partial) by name, save_model/load_model
// round trips of a pose model, and files that must be refused naming the path.

#include <cstdio>
#include <fstream>

#include "core/safetensors.h"
#include "core/tape.h"
#include "layers/linear.h"
#include "models/checkpoint_io.h"
#include "models/pose_model.h"
#include "models/resnet.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::temp_path;

namespace {

// fc.weight [3, 4], fc.bias [3], out.weight [2, 3], and a buffer `count` [1].
struct Small : Module {
  Linear fc, out;
  Tensor count;
  explicit Small(Generator& gen) : fc(4, 3, true, gen), out(3, 2, false, gen) {
    count = Tensor::zeros({1});
    register_module("fc", &fc);
    register_module("out", &out);
    register_buffer("count", &count);
  }
};

ModelConfig small_pose_model() {
  ModelConfig c;
  c.backbone = "resnet18";
  c.head = "sar";
  c.head_config.num_keypoints = 3;
  c.head_config.input_h = 64;
  c.head_config.input_w = 64;
  return c;
}

}  // namespace

TEST_CASE("checkpoint: a partial load copies what matches and reports the rest by name (float32, cpu)") {
  Generator g1(1), g2(2);
  Small a(g1), b(g2);
  const std::vector<double> a_out = a.out.weight.to_vector();
  NamedTensors state = {{"fc.weight", b.fc.weight},       {"fc.bias", Tensor::zeros({5})},
                        {"head.extra", Tensor::ones({2})}, {"count", Tensor::full({1}, 3.0)},
                        {"head.more", Tensor::ones({1})}};
  LoadReport r = a.load_state(state, /*allow_partial=*/true);
  CHECK(r.loaded == std::vector<std::string>{"fc.weight", "count"});
  REQUIRE(r.missing.size() == 1);
  CHECK(r.missing[0].first == "out.weight");
  CHECK(r.missing[0].second == Shape({2, 3}));
  REQUIRE(r.unexpected.size() == 2);
  CHECK(r.unexpected[0].first == "head.extra");
  CHECK(r.unexpected[1].first == "head.more");
  REQUIRE(r.mismatched.size() == 1);
  CHECK(r.mismatched[0].name == "fc.bias");
  CHECK(r.mismatched[0].given == Shape({5}));
  CHECK(r.mismatched[0].expected == Shape({3}));
  CHECK_FALSE(r.complete());
  CHECK(a.fc.weight.to_vector() == b.fc.weight.to_vector());  // matched: copied
  CHECK(a.count.to_vector() == std::vector<double>{3});
  CHECK(a.out.weight.to_vector() == a_out);  // missing: left as it was
  CHECK(r.describe() ==
        "missing tensor 'out.weight' (shape [2, 3]); unexpected tensor 'head.extra' (shape [2], not in the model) and "
        "1 more unexpected; tensor 'fc.bias' has shape [5], the model expects [3]");
  LoadReport full = a.load_state(b.state(), /*allow_partial=*/true);
  CHECK(full.complete());
  CHECK(full.loaded.size() == 4);
  CHECK(full.describe().empty());
}

TEST_CASE("checkpoint: a strict load names the first mismatch of each kind, counts the rest, copies nothing") {
  Generator g1(1), g2(2);
  Small a(g1), b(g2);
  const std::vector<double> before = a.fc.weight.to_vector();
  NamedTensors state = {{"fc.weight", b.fc.weight}, {"x", Tensor::ones({1})}, {"y", Tensor::ones({1})},
                        {"z", Tensor::ones({1})}};
  CHECK_THROWS_WITH_AS(a.load_state(state, false),
                       doctest::Contains("load_state: missing tensor 'fc.bias' (shape [3]) and 2 more missing; "
                                         "unexpected tensor 'x' (shape [1], not in the model) and 2 more unexpected "
                                         "(strict load: nothing was copied"),
                       Error);
  CHECK(a.fc.weight.to_vector() == before);
  CHECK_THROWS_WITH_AS(a.load_state(state), doctest::Contains("load_state: missing tensor 'fc.bias'"), Error);
  CHECK(a.load_state(b.state(), false).complete());
  CHECK(a.fc.weight.to_vector() == b.fc.weight.to_vector());
}

TEST_CASE("checkpoint: save_model / load_model round trip of ResNet-18 + SAR at 64x64 predicts identically") {
  Generator g1(1), g2(2);
  PoseModel a(small_pose_model(), g1), b(small_pose_model(), g2);
  Tensor images = randn({2, 3, 64, 64}, g1);
  {
    // one forward in training mode, so the BN running statistics are not their initial 0 and 1
    NoGrad no_grad;
    a.features(images);
  }
  a.eval();
  b.eval();
  const std::string path = temp_path("pose.safetensors");
  save_model(path, a, {{"model", "resnet18+sar"}});
  CHECK(read_safetensors_index(path).metadata.at("model") == "resnet18+sar");
  KeypointPredictions before = b.predict(images);
  LoadReport r = load_model(path, b);
  CHECK(r.complete());
  CHECK(r.loaded.size() == a.state().size());
  KeypointPredictions pa = a.predict(images), pb = b.predict(images);
  CHECK(pb.coords.to_vector() == pa.coords.to_vector());
  CHECK(pb.scores.to_vector() == pa.scores.to_vector());
  CHECK(before.scores.to_vector() != pa.scores.to_vector());  // the load did change b
  std::remove(path.c_str());
}

TEST_CASE("checkpoint: a backbone-only file loads partially into a pose model; strict load_model names the file") {
  Generator g1(1), g2(2);
  ResNet backbone(18, g1);
  NamedTensors state;
  for (auto& [name, t] : backbone.state()) state.emplace_back("backbone." + name, t);
  const std::string path = temp_path("backbone.safetensors");
  save_safetensors(path, state);
  PoseModel model(small_pose_model(), g2);
  LoadReport r = load_model(path, model, /*allow_partial=*/true);
  CHECK(r.loaded.size() == state.size());
  CHECK(r.unexpected.empty());
  CHECK(r.mismatched.empty());
  CHECK_FALSE(r.missing.empty());
  for (auto& [name, shape] : r.missing) CHECK_MESSAGE(name.rfind("head.", 0) == 0, name);
  CHECK(model.backbone().state()[0].second.to_vector() == backbone.conv1.weight.to_vector());
  const std::string strict = path + ": load_state: missing tensor 'head.deconv_layers.0.weight'";
  CHECK_THROWS_WITH_AS(load_model(path, model), doctest::Contains(strict.c_str()), Error);
  std::remove(path.c_str());
}

TEST_CASE("checkpoint: a corrupt, mis-shaped or absent file is refused naming the path") {
  Generator gen(1);
  Small model(gen);
  const std::string path = temp_path("corrupt.safetensors");
  auto refused = [&](const std::string& file, const std::string& what) {
    CHECK_THROWS_WITH_AS(load_model(file, model), doctest::Contains((file + ": " + what).c_str()), Error);
  };
  save_model(path, model);
  {
    // cut the last 8 bytes: the last tensor's data (by name) now ends past the file
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 8);
  }
  refused(path, "tensor 'out.weight' data_offsets end at");  // the last in the file
  save_safetensors(path, {{"fc.weight", Tensor::zeros({3, 5})}, {"fc.bias", Tensor::zeros({3})},
                          {"out.weight", Tensor::zeros({2, 3})}, {"count", Tensor::zeros({1})}});
  refused(path, "load_state: tensor 'fc.weight' has shape [3, 5], the model expects [3, 4]");
  refused(temp_path("absent.safetensors"), "cannot open");
  std::remove(path.c_str());
}
