// batch_norm2d: shape rules, hand-computed values in training and eval, the running-statistics
// update (unbiased variance), float64 gradcheck in both modes, CUDA parity, errors.
#include <cmath>

#include "core/ops/batch_norm.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

static void check_values(const Tensor& t, const std::vector<double>& expected, double eps = 1e-12) {
  std::vector<double> v = t.to_vector();
  REQUIRE(v.size() == expected.size());
  for (size_t i = 0; i < v.size(); ++i) {
    CAPTURE(i);
    CHECK(v[i] == doctest::Approx(expected[i]).epsilon(eps));
  }
}

TEST_CASE("batch_norm2d: keeps the shape; each channel gets mean 0 and variance var/(var+eps) (float64, cpu)") {
  Tensor x = uniform({2, 3, 5, 4}, -2, 5, 1);
  Tensor none;
  Tensor y = batch_norm2d(x, none, none, none, none, /*training=*/true);
  REQUIRE(y.shape() == x.shape());
  // Each channel's 40 values: element i of [2, 3, 5, 4] is in channel (i / 20) % 3.
  auto per_channel = [](const Tensor& t) {
    std::vector<double> v = t.to_vector();
    std::vector<std::vector<double>> channels(3);
    for (size_t i = 0; i < v.size(); ++i) channels[(i / 20) % 3].push_back(v[i]);
    return channels;
  };
  auto mean_of = [](const std::vector<double>& v) {
    double m = 0;
    for (double e : v) m += e / double(v.size());
    return m;
  };
  auto var_of = [&](const std::vector<double>& v) {
    double m = mean_of(v), var = 0;
    for (double e : v) var += (e - m) * (e - m) / double(v.size());
    return var;
  };
  auto xs = per_channel(x), ys = per_channel(y);
  for (int c = 0; c < 3; ++c) {
    CAPTURE(c);
    CHECK(std::fabs(mean_of(ys[c])) < 1e-12);
    CHECK(var_of(ys[c]) == doctest::Approx(var_of(xs[c]) / (var_of(xs[c]) + 1e-5)).epsilon(1e-12));
  }
}

// x [N=2, C=2, 1, 2]. Channel 0 holds {1, 1, 1, 5}, channel 1 {10, 14, 10, 10}: both have
// deviations {-1, -1, -1, 3} (in some order), so biased var 3, unbiased var 4.
static Tensor hand_x() { return Tensor::from_vector({1, 1, 10, 14, 1, 5, 10, 10}, {2, 2, 1, 2}, DType::F64); }

TEST_CASE("batch_norm2d: hand-computed training output and running statistics (float64, cpu)") {
  Tensor weight = Tensor::from_vector({2, -1}, {2}, DType::F64), bias = Tensor::from_vector({1, 0}, {2}, DType::F64);
  Tensor running_mean = Tensor::zeros({2}, DType::F64), running_var = Tensor::ones({2}, DType::F64);
  // eps = 1: invstd = 1 / sqrt(3 + 1) = 0.5. Channel 0: xhat = (x - 2) / 2, y = 2 xhat + 1;
  // channel 1: xhat = (x - 11) / 2, y = -xhat.
  Tensor y = batch_norm2d(hand_x(), weight, bias, running_mean, running_var, true, /*momentum=*/0.1, /*eps=*/1.0);
  check_values(y, {0, 0, 0.5, -1.5, 0, 4, 0.5, 0.5});
  // running = 0.9 * old + 0.1 * batch, with the unbiased variance 12 / 3 = 4 (not 3)
  check_values(running_mean, {0.2, 1.1});
  check_values(running_var, {1.3, 1.3});
  // A second step blends again: 0.9 * 0.2 + 0.1 * 2, 0.9 * 1.1 + 0.1 * 11, 0.9 * 1.3 + 0.1 * 4
  batch_norm2d(hand_x(), weight, bias, running_mean, running_var, true, 0.1, 1.0);
  check_values(running_mean, {0.38, 2.09});
  check_values(running_var, {1.57, 1.57});
}

TEST_CASE("batch_norm2d: eval uses the running statistics and leaves them alone (float64, cpu)") {
  Tensor weight = Tensor::from_vector({2, -1}, {2}, DType::F64), bias = Tensor::from_vector({1, 0}, {2}, DType::F64);
  Tensor running_mean = Tensor::from_vector({1, 2}, {2}, DType::F64);
  Tensor running_var = Tensor::from_vector({3, 8}, {2}, DType::F64);
  // eps = 1: invstd = [1/2, 1/3]. Channel 0: y = (x - 1) / 2 * 2 + 1 = x; channel 1: y = -(x - 2) / 3.
  Tensor y = batch_norm2d(hand_x(), weight, bias, running_mean, running_var, false, 0.1, 1.0);
  check_values(y, {1, 1, -8.0 / 3, -4, 1, 5, -8.0 / 3, -8.0 / 3});
  check_values(running_mean, {1, 2});
  check_values(running_var, {3, 8});
}

TEST_CASE("batch_norm2d: eval's backward is the per-channel affine map (float64, cpu)") {
  Tensor x = hand_x().set_requires_grad();
  Tensor weight = Tensor::from_vector({2, -1}, {2}, DType::F64).set_requires_grad();
  Tensor bias = Tensor::from_vector({1, 0}, {2}, DType::F64).set_requires_grad();
  Tensor running_mean = Tensor::from_vector({1, 2}, {2}, DType::F64);
  Tensor running_var = Tensor::from_vector({3, 8}, {2}, DType::F64);
  Tensor dy = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 1, 2}, DType::F64);
  tape().backward(batch_norm2d(x, weight, bias, running_mean, running_var, false, 0.1, 1.0), dy);
  // dx = weight * invstd * dy = dy (channel 0), -dy / 3 (channel 1)
  check_values(x.grad(), {1, 2, -1, -4.0 / 3, 5, 6, -7.0 / 3, -8.0 / 3});
  // dbias = sum dy; dweight = sum dy * xhat, xhat = (x - mean) * invstd
  check_values(bias.grad(), {1 + 2 + 5 + 6, 3 + 4 + 7 + 8});
  check_values(weight.grad(), {(0 * 1 + 0 * 2 + 0 * 5 + 2 * 6), (8 * 3 + 12 * 4 + 8 * 7 + 8 * 8) / 3.0});
}

TEST_CASE("batch_norm2d: gradcheck in training mode, with and without affine (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  Tensor x = uniform({2, 3, 5, 4}, -2, 3, 2).set_requires_grad();
  Tensor weight = uniform({3}, 0.5, 2, 3).set_requires_grad(), bias = uniform({3}, -1, 1, 4).set_requires_grad();
  // Fresh running statistics per call: the objective is evaluated many times.
  auto train = [](V in) {
    Tensor rm = Tensor::zeros({3}, DType::F64), rv = Tensor::ones({3}, DType::F64);
    return batch_norm2d(in[0], in[1], in[2], rm, rv, true);
  };
  test::gradcheck("batch_norm2d training", train, {x, weight, bias});
  test::gradcheck("batch_norm2d training, frozen affine", train, {x, weight.clone(), bias.clone()});
  test::gradcheck("batch_norm2d training, no affine, untracked", [](V in) {
    Tensor none;
    return batch_norm2d(in[0], none, none, none, none, true);
  }, {x});
}

TEST_CASE("batch_norm2d: gradcheck in eval mode (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  Tensor x = uniform({2, 3, 5, 4}, -2, 3, 5).set_requires_grad();
  Tensor weight = uniform({3}, 0.5, 2, 6).set_requires_grad(), bias = uniform({3}, -1, 1, 7).set_requires_grad();
  Tensor running_mean = uniform({3}, -1, 1, 8), running_var = uniform({3}, 0.5, 2, 9);
  test::gradcheck("batch_norm2d eval", [&](V in) {
    return batch_norm2d(in[0], in[1], in[2], running_mean, running_var, false);
  }, {x, weight, bias});
}

// Eval on an empty batch: the weight and bias gradients are sums over nothing, so zeros (the
// op allocates them uninitialized, and the CUDA kernels once returned without writing them).
static void check_empty_batch_gradients(Device device, DType dtype) {
  Tensor x = Tensor::zeros({0, 2, 3, 3}, dtype).to(device).set_requires_grad();
  Tensor weight = Tensor::from_vector({2, -1}, {2}, dtype).to(device).set_requires_grad();
  Tensor bias = Tensor::from_vector({1, 0}, {2}, dtype).to(device).set_requires_grad();
  Tensor running_mean = Tensor::from_vector({1, 2}, {2}, dtype).to(device);
  Tensor running_var = Tensor::from_vector({3, 8}, {2}, dtype).to(device);
  Tensor y = batch_norm2d(x, weight, bias, running_mean, running_var, false);
  tape().backward(y, Tensor::zeros({0, 2, 3, 3}, dtype).to(device));
  check_values(weight.grad().to(Device::CPU).to(DType::F64), {0, 0});
  check_values(bias.grad().to(Device::CPU).to(DType::F64), {0, 0});
}

TEST_CASE("batch_norm2d: eval on an empty batch gives zero weight and bias gradients (float64, cpu)") {
  check_empty_batch_gradients(Device::CPU, DType::F64);
}

CUDA_TEST_CASE("batch_norm2d: eval on an empty batch gives zero weight and bias gradients (float32, cuda)") {
  check_empty_batch_gradients(Device::CUDA, DType::F32);
}

CUDA_TEST_CASE("batch_norm2d: CUDA matches CPU in training and eval (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  // N*H*W = 40 (< one block), 429 and 1073 (several values per thread); C = 3, 7, 5. The CUDA
  // sums split each channel's batch rows into P = min(N, 1024 / C) slices (cuda/batch_norm.cu):
  // P = N = 64 slices of one 3x2 row; P = 3 uneven slices of 8 rows of 3x3 values, several rows
  // per pass of the block's threads; P = 5 slices of 6 rows longer (17x19) than a block.
  const Shape shapes[] = {{2, 3, 5, 4}, {3, 7, 11, 13}, {1, 5, 37, 29}, {64, 2, 3, 2}, {8, 300, 3, 3}, {6, 200, 17, 19}};
  uint64_t seed = 20;
  for (const Shape& shape : shapes) {
    const int64_t C = shape[1];
    Tensor x = uniform(shape, -2, 5, seed++).set_requires_grad();
    Tensor weight = uniform({C}, 0.5, 2, seed++).set_requires_grad();
    Tensor bias = uniform({C}, -1, 1, seed++).set_requires_grad();
    Tensor mean_cpu = uniform({C}, -1, 1, seed++), var_cpu = uniform({C}, 0.5, 2, seed++);
    for (bool training : {true, false}) {
      std::string what = std::string("batch_norm2d ") + (training ? "training " : "eval ") + shape.str();
      // Running statistics on the device of the run, fresh for each run; inputs x, or x, weight, bias.
      auto run = [&](V in) {
        Tensor rm = mean_cpu.to(DType::F32).to(in[0].device()), rv = var_cpu.to(DType::F32).to(in[0].device());
        Tensor none;
        const bool affine = in.size() == 3;
        return batch_norm2d(in[0], affine ? in[1] : none, affine ? in[2] : none, rm, rv, training);
      };
      test::parity(what, run, {x, weight, bias});
      test::parity(what + ", frozen affine", run, {x, weight.clone(), bias.clone()});
      test::parity(what + ", no affine", run, {x});
    }
    // training without running statistics (the kernels' null-pointer path)
    test::parity("batch_norm2d training untracked " + shape.str(), [](V in) {
      Tensor none;
      return batch_norm2d(in[0], in[1], in[2], none, none, true);
    }, {x, weight, bias});
  }
}

CUDA_TEST_CASE("batch_norm2d: CUDA updates the running statistics as the CPU does (float32, cuda)") {
  Tensor x = uniform({3, 7, 11, 13}, -2, 5, 30, DType::F32);
  Tensor rm_cpu = uniform({7}, -1, 1, 31, DType::F32), rv_cpu = uniform({7}, 0.5, 2, 32, DType::F32);
  Tensor rm_cuda = rm_cpu.to(Device::CUDA), rv_cuda = rv_cpu.to(Device::CUDA);
  Tensor x_cuda = x.to(Device::CUDA), none;
  for (int step = 0; step < 2; ++step) {
    batch_norm2d(x, none, none, rm_cpu, rv_cpu, true, 0.3);
    batch_norm2d(x_cuda, none, none, rm_cuda, rv_cuda, true, 0.3);
  }
  test::check_close("running_mean", rm_cpu, rm_cuda, 1e-5, 1e-4);
  test::check_close("running_var", rv_cpu, rv_cuda, 1e-5, 1e-4);
}

TEST_CASE("batch_norm2d: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 4, 4}), c3 = Tensor::ones({3}), none;
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  CHECK_THROWS_WITH_AS(batch_norm2d(Tensor::ones({2, 3, 4}), c3, c3, rm, rv, true),
                       doctest::Contains("batch_norm2d: x must be [N, C, H, W], got [2, 3, 4]"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, Tensor::ones({4}), c3, rm, rv, true),
                       doctest::Contains("batch_norm2d: weight must be [C] = [3], got [4]"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, c3, Tensor::ones({3}, DType::F64), rm, rv, true),
                       doctest::Contains("batch_norm2d: x is float32 but bias is float64"), Error);
  Tensor rm_bad = Tensor::zeros({1, 3});
  CHECK_THROWS_WITH_AS(batch_norm2d(x, c3, c3, rm_bad, rv, true),
                       doctest::Contains("batch_norm2d: running_mean must be [C] = [3], got [1, 3]"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, c3, c3, rm, none, true),
                       doctest::Contains("batch_norm2d: running_var is an undefined tensor"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, c3, c3, none, none, false),
                       doctest::Contains("batch_norm2d: eval mode normalizes with running_mean and running_var"),
                       Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(Tensor::ones({1, 3, 1, 1}), c3, c3, rm, rv, true),
                       doctest::Contains("batch_norm2d: training needs more than one value per channel"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(Tensor::ones({2, 3, 4, 4}, DType::I64), c3, c3, rm, rv, true),
                       doctest::Contains("batch_norm2d: x must be float32 or float64"), Error);
  // eps = 0 would give 1 / sqrt(0) on a constant channel, as x here is
  CHECK_THROWS_WITH_AS(batch_norm2d(x, c3, c3, rm, rv, true, 0.1, 0.0),
                       doctest::Contains("batch_norm2d: eps must be > 0 and finite, got 0"), Error);
}
