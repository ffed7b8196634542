// Optimizers, gradient clipping and the learning-rate schedule (train/optimizer.h,
// train/lr_schedule.h): PyTorch's torch.optim and clip_grad_norm_ on the fixtures of
// tools/make_optim_fixtures.py, mmengine's learning rates, skipped parameters, the checkpoint
// state's round trip and refusals, the non-finite guard, and the CUDA kernels against the CPU.

#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "tests/parity.h"
#include "tests/test_util.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

using namespace sar;
using sar::test::temp_path;

namespace {

const std::vector<std::string> kNames{"a", "b", "c"};  // the fixture's parameters, [3, 4], [5], [2, 3]
constexpr int kSteps = 5;

struct Fixture {
  std::string path;
  std::map<std::string, Tensor> t;
  std::map<std::string, std::string> metadata;
  const Tensor& at(const std::string& name) const {
    auto it = t.find(name);
    REQUIRE_MESSAGE(it != t.end(), path, ": no tensor '", name, "' (rerun tools/make_optim_fixtures.py)");
    return it->second;
  }
};

Fixture load_fixture(const std::string& path) {
  Fixture f{path, {}, {}};
  for (auto& [name, tensor] : load_safetensors(path, &f.metadata)) f.t[name] = tensor;
  return f;
}

const Fixture& optimizer_fixture() {
  static const Fixture f = load_fixture("tests/data/optim/optimizers.safetensors");
  return f;
}

OptimizerConfig config_of(const std::string& settings) {
  const nlohmann::json j = nlohmann::json::parse(settings);
  OptimizerConfig c;
  c.name = j.at("name");
  c.weight_decay = j.at("weight_decay");
  if (c.name == "adam") {
    c.beta1 = j.at("beta1");
    c.beta2 = j.at("beta2");
    c.eps = j.at("eps");
  } else {
    c.momentum = j.at("momentum");
  }
  return c;
}

// Fresh leaves holding the fixture's starting values, in dtype, on device.
NamedTensors make_params(const Fixture& f, DType dtype, Device device = Device::CPU) {
  NamedTensors params;
  for (const std::string& n : kNames) {
    Tensor p = f.at("init." + n).to(dtype).clone().to(device);
    params.emplace_back(n, p.set_requires_grad());
  }
  return params;
}

// Step k's gradients (undefined where the fixture has none), in the parameters' dtype and device.
void set_grads(const NamedTensors& params, const Fixture& f, int k) {
  for (const auto& [n, p] : params) {
    auto it = f.t.find("grad." + std::to_string(k) + "." + n);
    if (it == f.t.end()) p.zero_grad();
    else p.set_grad(it->second.to(p.dtype()).clone().to(p.device()));
  }
}

double step_lr(const Fixture& f, int k) { return f.at("lr").to_vector()[k]; }

// Every optimizer case's parameters after each step, and its final state, against PyTorch.
void check_optimizer_cases(DType dtype, double atol, double rtol) {
  const Fixture& f = optimizer_fixture();
  int cases = 0;
  for (const auto& [name, settings] : f.metadata) {
    if (name.rfind("clip", 0) == 0) continue;
    ++cases;
    NamedTensors params = make_params(f, dtype);
    Optimizer opt(config_of(settings), params);
    for (int k = 0; k < kSteps; ++k) {
      set_grads(params, f, k);
      opt.step(step_lr(f, k));
      for (const auto& [n, p] : params) {
        const std::string key = name + "." + std::to_string(k) + "." + n;
        test::check_close(f.path + " " + key, f.at(key), p, atol, rtol);
      }
    }
    for (const auto& [state_name, t] : opt.state()) {
      const std::string key = name + ".state." + state_name;
      if (t.dtype() == DType::I64) CHECK_MESSAGE(t.item() == f.at(key).item(), key);
      else test::check_close(f.path + " " + key, f.at(key), t, atol, rtol);
    }
  }
  CHECK_MESSAGE(cases == 4, f.path, ": expected the 4 optimizer cases of tools/make_optim_fixtures.py");
}

// The parameters' values, concatenated (for bit-identity checks).
std::vector<double> values(const NamedTensors& params) {
  std::vector<double> out;
  for (const auto& [n, p] : params)
    for (double v : p.to_vector()) out.push_back(v);
  return out;
}

OptimizerConfig adam_config() { return config_of(optimizer_fixture().metadata.at("adam")); }

}  // namespace

// ---- the optimizers against torch.optim ----

TEST_CASE("optimizer: Adam and SGD match torch.optim after each of 5 steps to 1e-12 (float64, cpu)") {
  check_optimizer_cases(DType::F64, 1e-12, 1e-12);
}

TEST_CASE("optimizer: Adam and SGD match the float64 torch.optim fixture to 1e-6 (float32, cpu)") {
  check_optimizer_cases(DType::F32, 1e-6, 1e-6);
}

TEST_CASE("optimizer: a parameter without a gradient is not updated and its step count stays (float64, cpu)") {
  const Fixture& f = optimizer_fixture();
  NamedTensors params = make_params(f, DType::F64);
  Optimizer opt(adam_config(), params);
  const Tensor& c = params[2].second;  // the fixture gives "c" no gradient at steps 1 and 3
  for (int k = 0; k < kSteps; ++k) {
    set_grads(params, f, k);
    const std::vector<double> before = c.to_vector();
    opt.step(step_lr(f, k));
    if (k == 1 || k == 3) CHECK(c.to_vector() == before);
    else CHECK(c.to_vector() != before);
  }
  std::map<std::string, Tensor> state;
  for (const auto& [n, t] : opt.state()) state[n] = t;
  CHECK(state.at("a.step").item() == 5);
  CHECK(state.at("c.step").item() == 3);
  CHECK(state.at("c.step").shape() == Shape());
  CHECK(state.at("c.step").dtype() == DType::I64);
}

TEST_CASE("optimizer: a state saved after 2 steps continues bit-identically in a new optimizer (float64, cpu)") {
  const Fixture& f = optimizer_fixture();
  for (const std::string case_name : {"adam_wd", "sgd_wd"}) {
    CAPTURE(case_name);
    const OptimizerConfig config = config_of(f.metadata.at(case_name));
    NamedTensors params = make_params(f, DType::F64);
    Optimizer opt(config, params);
    for (int k = 0; k < 2; ++k) {
      set_grads(params, f, k);
      opt.step(step_lr(f, k));
    }
    // through a checkpoint file, as training saves it
    const std::string path = temp_path(case_name + ".safetensors");
    save_safetensors(path, opt.state());
    NamedTensors resumed_params;
    for (const auto& [n, p] : params) resumed_params.emplace_back(n, p.clone().set_requires_grad());
    Optimizer resumed(config, resumed_params);
    resumed.load_state(load_safetensors(path));
    std::remove(path.c_str());
    for (int k = 2; k < kSteps; ++k) {
      set_grads(params, f, k);
      set_grads(resumed_params, f, k);
      opt.step(step_lr(f, k));
      resumed.step(step_lr(f, k));
      CHECK(values(resumed_params) == values(params));
    }
  }
}

TEST_CASE("optimizer: load_state refuses a wrong shape, a missing and an unexpected tensor, naming it") {
  const Fixture& f = optimizer_fixture();
  NamedTensors params = make_params(f, DType::F64);
  Optimizer opt(adam_config(), params);
  const NamedTensors good = opt.state();

  NamedTensors wrong_shape = good;
  wrong_shape[0].second = Tensor::zeros({4, 3}, DType::F64);  // a.exp_avg is [3, 4]
  CHECK_THROWS_WITH_AS(opt.load_state(wrong_shape), doctest::Contains("'a.exp_avg' must be [3, 4], got [4, 3]"),
                       Error);
  NamedTensors missing(good.begin() + 1, good.end());
  CHECK_THROWS_WITH_AS(opt.load_state(missing), doctest::Contains("missing tensor 'a.exp_avg'"), Error);
  NamedTensors unexpected = good;
  unexpected.emplace_back("d.exp_avg", Tensor::zeros({1}, DType::F64));
  CHECK_THROWS_WITH_AS(opt.load_state(unexpected), doctest::Contains("unexpected tensor 'd.exp_avg'"), Error);
  NamedTensors negative_step = good;
  negative_step[2].second = Tensor::from_vector({-1}, Shape(), DType::I64);  // a.step
  CHECK_THROWS_WITH_AS(opt.load_state(negative_step), doctest::Contains("'a.step' must be a whole number"), Error);

  // an SGD state is not an Adam state
  Optimizer sgd(config_of(f.metadata.at("sgd")), params);
  CHECK_THROWS_WITH_AS(opt.load_state(sgd.state()), doctest::Contains("missing tensor 'a.exp_avg'"), Error);
  CHECK_NOTHROW(opt.load_state(good));
}

TEST_CASE("optimizer: refuses bad settings, naming the setting") {
  NamedTensors params{{"w", Tensor::zeros({2}).set_requires_grad()}};
  OptimizerConfig c;
  c.name = "rmsprop";
  CHECK_THROWS_WITH_AS(Optimizer(c, params), doctest::Contains("name must be adam or sgd, got 'rmsprop'"), Error);
  c = OptimizerConfig{};
  c.beta2 = 1;
  CHECK_THROWS_WITH_AS(Optimizer(c, params), doctest::Contains("beta2 must be in [0, 1)"), Error);
  Optimizer opt(OptimizerConfig{}, params);
  params[0].second.set_grad(Tensor::zeros({2}, DType::F64));
  CHECK_THROWS_WITH_AS(opt.step(1e-3), doctest::Contains("gradient of 'w' is [2] float64"), Error);
  CHECK_THROWS_WITH_AS(opt.step(-1), doctest::Contains("lr must be finite and >= 0, got -1"), Error);
}

// ---- clipping and the non-finite guard ----

TEST_CASE("clip_grad_norm: returns the norm and scales the gradients as torch's clip_grad_norm_ (float64, cpu)") {
  const Fixture& f = optimizer_fixture();
  for (int i = 0; i < 2; ++i) {
    const std::string clip = "clip" + std::to_string(i);
    const double max_norm = nlohmann::json::parse(f.metadata.at(clip)).at("max_norm");
    NamedTensors params = make_params(f, DType::F64);
    for (const auto& [n, p] : params) {
      auto it = f.t.find(clip + ".grad." + n);
      if (it != f.t.end()) p.set_grad(it->second.clone());  // "c" has none: it counts as zero
    }
    const double norm = f.at(clip + ".norm").item();
    CHECK(global_grad_norm(params) == doctest::Approx(norm).epsilon(1e-14));
    CHECK(clip_grad_norm(params, max_norm) == doctest::Approx(norm).epsilon(1e-14));
    CHECK(!params[2].second.grad().defined());
    for (const auto& [n, p] : params)
      if (p.grad().defined()) test::check_close(clip + " " + n, f.at(clip + ".clipped." + n), p.grad(), 1e-14, 1e-14);
    if (max_norm < norm) CHECK(global_grad_norm(params) == doctest::Approx(max_norm).epsilon(1e-6));
  }
}

TEST_CASE("first_non_finite_grad: names the first parameter whose gradient holds a NaN or Inf (float32, cpu)") {
  NamedTensors params;
  for (const char* n : {"x", "y", "z"}) params.emplace_back(n, Tensor::zeros({3}).set_requires_grad());
  CHECK(first_non_finite_grad(params) == "");  // no gradients at all
  params[0].second.set_grad(Tensor::from_vector({1, 2, 3}, {3}));
  params[1].second.set_grad(Tensor::from_vector({1, 3e30, 3}, {3}));  // large (its square overflows float), finite
  CHECK(first_non_finite_grad(params) == "");
  params[2].second.set_grad(Tensor::from_vector({1, INFINITY, 3}, {3}));
  CHECK(first_non_finite_grad(params) == "z");
  params[1].second.set_grad(Tensor::from_vector({NAN, 0, 0}, {3}));
  CHECK(first_non_finite_grad(params) == "y");
  CHECK(std::isnan(global_grad_norm(params)));
  const Tensor before = params[0].second.grad();
  CHECK(std::isnan(clip_grad_norm(params, 1.0)));  // a non-finite norm clips nothing
  CHECK(params[0].second.grad().same(before));
}

// ---- the learning-rate schedule ----

TEST_CASE("lr schedule: matches mmengine's LinearLR + MultiStepLR / CosineAnnealingLR to 1e-12") {
  const Fixture f = load_fixture("tests/data/optim/lr_schedule.safetensors");
  REQUIRE_MESSAGE(f.metadata.size() == 3, f.path, ": expected the 3 cases of tools/make_optim_fixtures.py");
  for (const auto& [name, settings] : f.metadata) {
    const nlohmann::json j = nlohmann::json::parse(settings);
    MESSAGE(f.path, " ", name, ": reference from ", j.at("source").get<std::string>());
    LrScheduleConfig c;
    c.lr = j.at("lr");
    c.kind = j.at("kind");
    c.milestones = j.at("milestones").get<std::vector<int>>();
    c.gamma = j.at("gamma");
    c.epochs = j.at("epochs");
    c.warmup_iters = j.at("warmup_iters");
    c.warmup_factor = j.at("warmup_factor");
    check_lr_schedule(c);
    const std::vector<double> steps = f.at(name + ".step").to_vector(), epochs = f.at(name + ".epoch").to_vector(),
                              lrs = f.at(name + ".lr").to_vector();
    for (size_t i = 0; i < steps.size(); ++i) {
      CAPTURE(name);
      CAPTURE(steps[i]);
      CAPTURE(epochs[i]);
      CHECK(learning_rate(c, int64_t(steps[i]), int(epochs[i])) == doctest::Approx(lrs[i]).epsilon(1e-12));
    }
  }
}

TEST_CASE("lr schedule: the recipe's warmup start, middle and end, and its milestone edges") {
  const LrScheduleConfig c;  // the defaults are the recipe: 5e-4, warmup 500 from 0.001, x0.1 at epochs 170 and 200
  CHECK(learning_rate(c, 0, 0) == doctest::Approx(5e-7).epsilon(1e-14));
  CHECK(learning_rate(c, 1, 0) == doctest::Approx(5e-4 * (0.001 + 0.999 / 499)).epsilon(1e-14));
  CHECK(learning_rate(c, 250, 2) == doctest::Approx(5e-4 * (0.001 + 0.999 * 250 / 499)).epsilon(1e-14));
  CHECK(learning_rate(c, 499, 4) == 5e-4);  // the factor reaches 1 at step warmup_iters - 1
  CHECK(learning_rate(c, 500, 4) == 5e-4);
  CHECK(learning_rate(c, 100000, 169) == 5e-4);
  CHECK(learning_rate(c, 100000, 170) == doctest::Approx(5e-5).epsilon(1e-14));
  CHECK(learning_rate(c, 100000, 199) == doctest::Approx(5e-5).epsilon(1e-14));
  CHECK(learning_rate(c, 100000, 200) == doctest::Approx(5e-6).epsilon(1e-14));
  CHECK(learning_rate(c, 100000, 209) == doctest::Approx(5e-6).epsilon(1e-14));
  LrScheduleConfig no_warmup = c;
  no_warmup.warmup_iters = 0;
  CHECK(learning_rate(no_warmup, 0, 0) == 5e-4);
}

TEST_CASE("lr schedule: cosine starts at lr, ends one step above 0 and holds after its last epoch") {
  LrScheduleConfig c;
  c.kind = "cosine";
  c.lr = 1e-3;
  c.epochs = 10;
  c.warmup_iters = 0;
  CHECK(learning_rate(c, 0, 0) == 1e-3);
  CHECK(learning_rate(c, 0, 5) == doctest::Approx(0.5e-3).epsilon(1e-14));
  const double last = 1e-3 * (1 + std::cos(M_PI * 9 / 10)) / 2;
  CHECK(learning_rate(c, 0, 9) == doctest::Approx(last).epsilon(1e-14));
  CHECK(learning_rate(c, 0, 10) == learning_rate(c, 0, 9));
  CHECK(learning_rate(c, 0, 50) == learning_rate(c, 0, 9));
}

TEST_CASE("lr schedule: refuses bad settings, naming the setting") {
  LrScheduleConfig c;
  c.kind = "poly";
  CHECK_THROWS_WITH_AS(check_lr_schedule(c), doctest::Contains("kind must be step or cosine, got 'poly'"), Error);
  c = LrScheduleConfig{};
  c.milestones = {170, 160};
  CHECK_THROWS_WITH_AS(check_lr_schedule(c), doctest::Contains("milestones must increase, got 170 then 160"), Error);
  c = LrScheduleConfig{};
  c.lr = -1;
  CHECK_THROWS_WITH_AS(check_lr_schedule(c), doctest::Contains("lr must be > 0"), Error);
  c = LrScheduleConfig{};
  c.warmup_iters = 1;
  CHECK_THROWS_WITH_AS(check_lr_schedule(c), doctest::Contains("warmup_iters must be 0 (none) or >= 2"), Error);
  CHECK_NOTHROW(check_lr_schedule(LrScheduleConfig{}));
}

// ---- CUDA against the CPU ----

CUDA_TEST_CASE("optimizer: fused Adam and SGD kernels, grad norm, clip and guard match the CPU (float32, cuda)") {
  // sizes: one element, one not a multiple of the block size, one over many blocks
  const std::vector<Shape> shapes{{1}, {37, 3}, {1000003}};
  for (const std::string case_name : {"adam_wd", "sgd_wd"}) {
    CAPTURE(case_name);
    const OptimizerConfig config = config_of(optimizer_fixture().metadata.at(case_name));
    NamedTensors cpu, cuda;
    for (size_t i = 0; i < shapes.size(); ++i) {
      const std::string n = "p" + std::to_string(i);
      const Tensor p = test::uniform(shapes[i], -1, 1, 100 + i, DType::F32);
      cpu.emplace_back(n, p.clone().set_requires_grad());
      cuda.emplace_back(n, p.to(Device::CUDA).set_requires_grad());
    }
    Optimizer on_cpu(config, cpu), on_cuda(config, cuda);
    for (int k = 0; k < 3; ++k) {
      for (size_t i = 0; i < shapes.size(); ++i) {
        const Tensor g = test::uniform(shapes[i], -2, 2, 200 + 10 * k + i, DType::F32);
        cpu[i].second.set_grad(g);
        cuda[i].second.set_grad(g.to(Device::CUDA));
      }
      const double norm_cpu = global_grad_norm(cpu), norm_cuda = global_grad_norm(cuda);
      CHECK(norm_cuda == doctest::Approx(norm_cpu).epsilon(1e-12));
      CHECK(clip_grad_norm(cuda, 10.0) == doctest::Approx(clip_grad_norm(cpu, 10.0)).epsilon(1e-12));
      on_cpu.step(1e-2);
      on_cuda.step(1e-2);
      for (size_t i = 0; i < shapes.size(); ++i) {
        test::check_close(case_name + " clipped grad " + cpu[i].first, cpu[i].second.grad(), cuda[i].second.grad(),
                          1e-7, 1e-6);
        test::check_close(case_name + " " + cpu[i].first, cpu[i].second, cuda[i].second, 1e-6, 1e-5);
      }
    }
    const NamedTensors state_cpu = on_cpu.state(), state_cuda = on_cuda.state();
    for (size_t i = 0; i < state_cpu.size(); ++i)
      // atol 1e-10: Adam's second moments are ~1e-5 (float32 twins differ by ~1e-12)
      test::check_close(case_name + " " + state_cpu[i].first, state_cpu[i].second, state_cuda[i].second, 1e-10, 1e-5);
    // the guard on the device
    CHECK(first_non_finite_grad(cuda) == "");
    Tensor bad = Tensor::zeros(shapes[2]);
    bad.data<float>()[777777] = NAN;
    cuda[2].second.set_grad(bad.to(Device::CUDA));
    CHECK(first_non_finite_grad(cuda) == "p2");
  }
}
