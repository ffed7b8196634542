// The gradient checker itself (core/gradcheck.h) and `sar gradcheck`: every catalog entry passes,
// the catalog covers every differentiable op, layer and head, a whole model passes, and an op
// with a deliberately wrong backward is caught (so a pass means something).
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/gradcheck.h"
#include "core/ops/elementwise.h"
#include "core/tape.h"
#include "tests/test_util.h"
#include "train/gradcheck_catalog.h"
#include "train/gradcheck_command.h"

using namespace sar;

namespace {

using V = const std::vector<Tensor>&;

// y = x^2 with the backward 3 x dy instead of 2 x dy: a test-only op whose gradient is wrong.
Tensor square_with_wrong_backward(const Tensor& x) {
  Tensor y;
  {
    NoGrad no_grad;
    y = mul(x, x);
  }
  tape().record("square_with_wrong_backward", {x}, {y}, [x](const TensorList& dy) {
    NoGrad no_grad;
    return TensorList{mul(mul(dy[0], x), 3.0)};
  });
  return y;
}

// Names the headers of `folder` declare with `pattern` (its first group).
std::set<std::string> declared(const std::string& folder, const std::regex& pattern) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".h") continue;
    std::ifstream in(entry.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, pattern)) names.insert(m[1]);
  }
  return names;
}

int run_cli(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return gradcheck_main(int(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("gradcheck: an op with a wrong backward fails, with and without kink skipping (float64, cpu)") {
  Tensor x = test::uniform({2, 3}, -1.0, 1.0, 3).set_requires_grad();
  for (bool skip_kinks : {false, true}) {
    GradcheckOptions opt;
    opt.skip_kinks = skip_kinks;
    std::vector<GradcheckResult> r = gradcheck_op("wrong square", [](V in) { return square_with_wrong_backward(in[0]); },
                                                  {x}, opt);
    REQUIRE(r.size() == 1);
    CHECK_FALSE(r[0].passed);
    CHECK(r[0].checked == 6);  // a smooth op: nothing is mistaken for a kink
    CHECK(r[0].skipped == 0);
    CHECK(r[0].worst_error > 0.3);  // |3x - 2x| / |3x| = 1/3
  }
  CHECK_THROWS_WITH_AS(test::gradcheck("wrong square", [](V in) { return square_with_wrong_backward(in[0]); }, {x}),
                       doctest::Contains("wrong square: d/d input 0 at ["), Error);
  // the same op with its true derivative passes: the failure above is the backward's
  test::gradcheck("square", [](V in) { return mul(in[0], in[0]); }, {x});
}

TEST_CASE("gradcheck: a kink within h is retried with a smaller h, not reported (float64, cpu)") {
  // relu at 3e-7: h = 1e-6 crosses the kink (numeric 0.65 where relu' = 1); h = 1e-7 does not
  Tensor x = Tensor::from_vector({3e-7, -0.5, 0.7}, {3}, DType::F64).set_requires_grad();
  auto relu_op = [](V in) { return relu(in[0]); };
  GradcheckOptions opt;
  CHECK_FALSE(gradcheck_op("relu", relu_op, {x}, opt)[0].passed);
  opt.skip_kinks = true;
  GradcheckResult r = gradcheck_op("relu", relu_op, {x}, opt)[0];
  CHECK(r.passed);
  CHECK(r.checked == 3);
  // exactly at the kink, every h gives 0.5 against relu'(0) = 0: a steady disagreement fails
  Tensor at_kink = Tensor::from_vector({0.0, 0.5}, {2}, DType::F64).set_requires_grad();
  CHECK_FALSE(gradcheck_op("relu at 0", relu_op, {at_kink}, opt)[0].passed);
}

TEST_CASE("gradcheck catalog: every entry passes (float64, cpu)") {
  GradcheckOptions opt;
  opt.skip_kinks = true;
  for (const GradcheckCase& c : gradcheck_catalog()) {
    Generator gen(1);
    const OpCheck check = c.build(gen);
    for (const GradcheckResult& r : gradcheck_op(c.name, check.f, check.inputs, opt, check.names)) {
      CHECK_MESSAGE(r.passed, r.name, ": ", r.worst, " (relative error ", r.worst_error, ")");
      CHECK_MESSAGE(r.skipped == 0, r.name, ": ", r.skipped, " entries skipped");
    }
  }
  CHECK_THROWS_WITH_AS(find_gradcheck_case("conv3d"), doctest::Contains("unknown check 'conv3d'; known: add, sub"), Error);
}

TEST_CASE("gradcheck catalog: covers every differentiable op of core/ops, every layer and every head") {
  std::set<std::string> covered;
  for (const GradcheckCase& c : gradcheck_catalog()) covered.insert(c.name.substr(0, c.name.find(':')));
  std::set<std::string> wanted = declared("core/ops", std::regex("^(?:inline )?Tensor (\\w+)\\("));
  REQUIRE(wanted.count("conv2d"));  // the pattern finds the ops
  wanted.erase("argmax");           // int64 indices: not differentiable
  for (const std::string& name : declared("layers", std::regex("^class (\\w+) : public Layer"))) wanted.insert(name);
  for (const std::string& name : declared("layers/heads", std::regex("^class (\\w+) : public KeypointHead")))
    wanted.insert(name);
  for (const std::string& name : declared("layers/heads", std::regex("^Tensor (\\w+_loss)\\("))) wanted.insert(name);
  REQUIRE(wanted.count("SarHead"));
  for (const std::string& name : wanted) CHECK_MESSAGE(covered.count(name), "no gradient check of ", name);
}

TEST_CASE("sar gradcheck: a whole ResNet-18 + SAR model passes; --op runs a catalog entry (float64, cpu)") {
  CHECK(run_cli({"--model", "resnet18", "--head", "sar", "--samples", "2", "--deconv-channels", "8"}) == 0);
  CHECK(run_cli({"--op", "conv_transpose2d"}) == 0);
  CHECK_THROWS_WITH_AS(run_cli({"--model", "resnet18", "--input", "64"}), doctest::Contains("--input: expected HxW"),
                       Error);
  CHECK_THROWS_WITH_AS(run_cli({}), doctest::Contains("give --model (and --head) or --op"), Error);
}
