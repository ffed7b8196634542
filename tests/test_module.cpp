// Module, Sequential, Linear and the initializers: names, state, modes, devices, statistics.
#include <algorithm>
#include <cmath>

#include "core/ops/reduce.h"
#include "core/tape.h"
#include "layers/init.h"
#include "layers/linear.h"
#include "core/gradcheck.h"
#include "tests/test_util.h"

using namespace sar;

namespace {
// A two-level model shaped like a ResNet block's naming: fc, block.0, block.1.
struct Toy : Module {
  Linear fc;
  Sequential block;
  Tensor running;  // a buffer
  explicit Toy(Generator& gen) : fc(4, 3, true, gen) {
    block.add(std::make_unique<Linear>(3, 5, true, gen)).add(std::make_unique<Linear>(5, 2, false, gen));
    running = Tensor::zeros({2});
    register_module("fc", &fc);
    register_module("block", &block);
    register_buffer("running", &running);
  }
};

std::vector<std::string> names(const NamedTensors& ts) {
  std::vector<std::string> out;
  for (auto& [n, t] : ts) out.push_back(n);
  return out;
}
}  // namespace

TEST_CASE("module: PyTorch-style dotted names, counts and buffers") {
  Generator gen(1);
  Toy toy(gen);
  CHECK(names(toy.named_parameters()) ==
        std::vector<std::string>{"fc.weight", "fc.bias", "block.0.weight", "block.0.bias", "block.1.weight"});
  CHECK(names(toy.named_buffers()) == std::vector<std::string>{"running"});
  CHECK(toy.state().size() == 6);
  CHECK(toy.parameter_count() == 4 * 3 + 3 + 3 * 5 + 5 + 5 * 2);
  for (const Tensor& p : toy.parameters()) CHECK(p.requires_grad());
  CHECK_FALSE(toy.running.requires_grad());
}

TEST_CASE("module: train/eval reaches every child") {
  Generator gen(1);
  Toy toy(gen);
  CHECK(toy.block[1].training());
  toy.eval();
  CHECK_FALSE(toy.training());
  CHECK_FALSE(toy.block[1].training());
  toy.train();
  CHECK(toy.fc.training());
}

TEST_CASE("module: load_state copies by name and refuses mismatches by name") {
  Generator g1(1), g2(2);
  Toy a(g1), b(g2);
  b.running.fill_(7);
  a.load_state(b.state());
  CHECK(a.fc.weight.to_vector() == b.fc.weight.to_vector());
  CHECK(a.running.to_vector() == std::vector<double>{7, 7});
  CHECK_FALSE(a.fc.weight.same(b.fc.weight));  // values copied, not shared
  NamedTensors state = b.state();
  state.pop_back();
  CHECK_THROWS_WITH_AS(a.load_state(state), doctest::Contains("load_state: missing tensor 'running' (shape [2])"), Error);
  state = b.state();
  state.emplace_back("fc.extra", Tensor::zeros({1}));
  CHECK_THROWS_WITH_AS(a.load_state(state), doctest::Contains("load_state: unexpected tensor 'fc.extra'"), Error);
  state = b.state();
  state[0].second = Tensor::zeros({3, 5});
  CHECK_THROWS_WITH_AS(a.load_state(state),
                       doctest::Contains("load_state: tensor 'fc.weight' has shape [3, 5], the model expects [3, 4]"),
                       Error);
}

TEST_CASE("module: to(dtype) keeps parameters trainable; zero_grad clears every grad") {
  Generator gen(3);
  Toy toy(gen);
  toy.to(DType::F64);
  CHECK(toy.fc.weight.dtype() == DType::F64);
  CHECK(toy.fc.weight.requires_grad());
  Tensor x = Tensor::ones({2, 4}, DType::F64);
  backward(sum(toy.block(toy.fc(x))));
  CHECK(toy.fc.weight.grad().defined());
  CHECK(toy.block[0].named_parameters()[0].second.grad().defined());
  toy.zero_grad();
  for (const Tensor& p : toy.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("linear: y = x W^T + b, gradcheck, and a wrong input refused (float64, cpu)") {
  Generator gen(4);
  Linear fc(3, 2, true, gen);
  fc.to(DType::F64);
  fc.weight.copy_(Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}));
  fc.bias.copy_(Tensor::from_vector({10, 20}, {2}));
  Tensor x = Tensor::from_vector({1, 0, -1}, {1, 3}, DType::F64);
  CHECK(fc(x).to_vector() == std::vector<double>{10 - 2, 20 - 2});
  Tensor xs = test::uniform({4, 3}, -1, 1, 5).set_requires_grad();
  test::gradcheck("linear", [&](const std::vector<Tensor>& in) { return fc(in[0]); }, {xs, fc.weight, fc.bias});
  CHECK_THROWS_WITH_AS(fc(Tensor::ones({4, 5}, DType::F64)), doctest::Contains("Linear: input must be [N, 3], got [4, 5]"),
                       Error);
}

TEST_CASE("init: kaiming fan_out, uniform fan_in, normal, constant have their statistics") {
  Generator gen(6);
  Tensor w = Tensor::empty({64, 32, 3, 3});
  CHECK(fan_in(w) == 288);
  CHECK(fan_out(w) == 576);
  struct Moments {
    double mean = 0, std = 0, min = 1e300, max = -1e300;
  };
  auto moments = [](const Tensor& t) {
    Moments m;
    const std::vector<double> v = t.to_vector();
    double sq = 0;
    for (double x : v) {
      m.mean += x / double(v.size());
      sq += x * x / double(v.size());
      m.min = std::min(m.min, x);
      m.max = std::max(m.max, x);
    }
    m.std = std::sqrt(sq - m.mean * m.mean);
    return m;
  };
  // 73,728 / 40,000 / 20,000 draws: the standard errors of these means are under 2% of the stds
  kaiming_normal_fan_out_(w, gen);
  const Moments k = moments(w);
  CHECK(std::fabs(k.mean) < 0.002);
  CHECK(k.std == doctest::Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
  Tensor u = Tensor::empty({100, 400});
  uniform_fan_in_(u, 400, gen);  // U(-b, b), b = 1 / sqrt(400) = 0.05: std b / sqrt(3)
  const Moments m = moments(u);
  CHECK(std::fabs(m.mean) < 0.001);
  CHECK(m.std == doctest::Approx(0.05 / std::sqrt(3.0)).epsilon(0.03));
  CHECK(m.min >= -0.05);
  CHECK(m.min < -0.049);
  CHECK(m.max <= 0.05);
  CHECK(m.max > 0.049);
  Tensor n = Tensor::empty({20000});
  normal_(n, 0.3, 0.02, gen);
  const Moments g = moments(n);
  CHECK(g.mean == doctest::Approx(0.3).epsilon(0.002));
  CHECK(g.std == doctest::Approx(0.02).epsilon(0.03));
  Tensor c = Tensor::empty({3});
  constant_(c, -4.5951);
  CHECK(c.to_vector() == std::vector<double>(3, double(-4.5951f)));
}
