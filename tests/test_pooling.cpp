// max_pool2d and adaptive_avg_pool2d_1x1: shape rules (floor mode), hand-computed values
// (padding is -inf), ties and overlapping windows, float64 gradcheck on distinct values,
// CUDA parity including ties, errors.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "core/cpu/kernels_cpu.h"
#include "core/index_math.h"
#include "core/ops/elementwise.h"
#include "core/ops/pooling.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

// 0, 1, ..., numel-1 in shuffled order (times `step`): distinct values, so no window has a
// tie that a gradcheck's +-eps could flip.
static Tensor distinct_values(const Shape& shape, uint64_t seed, double step = 0.01) {
  std::vector<double> v(shape.numel());
  std::iota(v.begin(), v.end(), 0.0);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(seed));
  for (double& e : v) e *= step;
  return Tensor::from_vector(v, shape, DType::F64);
}

static Tensor arange_image(int64_t H, int64_t W) {
  return Tensor::arange(H * W, DType::F64).view_as_shape({1, 1, H, W});
}

TEST_CASE("max_pool2d: output shapes follow floor mode (float32, cpu)") {
  CHECK(max_pool2d(Tensor::ones({2, 3, 32, 24}), 3, 2, 1).shape() == Shape{2, 3, 16, 12});  // ResNet's stem
  CHECK(max_pool2d(Tensor::ones({1, 1, 5, 5}), 2, 2, 0).shape() == Shape{1, 1, 2, 2});      // the last row is dropped
  CHECK(max_pool2d(Tensor::ones({1, 2, 7, 5}), 3, 1, 2, 1, 1, 0).shape() == Shape{1, 2, 4, 5});
  CHECK(max_pool2d(Tensor::ones({1, 1, 3, 3}), 3, 1, 0).shape() == Shape{1, 1, 1, 1});
  CHECK(adaptive_avg_pool2d_1x1(Tensor::ones({2, 3, 5, 4})).shape() == Shape{2, 3, 1, 1});
}

TEST_CASE("max_pool2d: hand-computed values; padding counts as -inf (float64, cpu)") {
  // 4x4 image 0..15, kernel 3, stride 2, padding 1: windows rows {-1..1, 1..3} x cols likewise.
  CHECK(max_pool2d(arange_image(4, 4), 3, 2, 1).to_vector() == std::vector<double>{5, 7, 13, 15});
  // All negative: zero padding would give 0 at the borders.
  Tensor negative = -1.0 - arange_image(4, 4);
  CHECK(max_pool2d(negative, 3, 2, 1).to_vector() == std::vector<double>{-1, -2, -5, -6});
  // 5x5 image 0..24, kernel 2, stride 2: floor mode drops row 4 and column 4.
  CHECK(max_pool2d(arange_image(5, 5), 2, 2, 0).to_vector() == std::vector<double>{6, 8, 16, 18});
  // Kernel 3x1, stride 2x1, padding 1x0 on a 4x2 image 0..7: rows {-1..1, 1..3}.
  CHECK(max_pool2d(arange_image(4, 2), 3, 1, 2, 1, 1, 0).to_vector() == std::vector<double>{2, 3, 6, 7});
}

TEST_CASE("max_pool2d: ties go to the first element; overlapping windows add up (float64, cpu)") {
  // All equal, kernel 2, stride 1 on 3x3: each window's first element is its top-left.
  Tensor ones = Tensor::ones({1, 1, 3, 3}, DType::F64).set_requires_grad();
  backward(sum(max_pool2d(ones, 2, 1, 0)));
  CHECK(ones.grad().to_vector() == std::vector<double>{1, 1, 0, 1, 1, 0, 0, 0, 0});
  // The centre is the maximum of all four windows: it receives the sum of their dy.
  Tensor peak = Tensor::from_vector({0, 1, 0, 2, 9, 3, 0, 4, 0}, {1, 1, 3, 3}, DType::F64).set_requires_grad();
  Tensor dy = Tensor::from_vector({1, 10, 100, 1000}, {1, 1, 2, 2}, DType::F64);
  tape().backward(max_pool2d(peak, 2, 1, 0), dy);
  CHECK(peak.grad().to_vector() == std::vector<double>{0, 0, 0, 0, 1111, 0, 0, 0, 0});
}

TEST_CASE("max_pool2d: windows of -inf and NaN (float32, cpu)") {
  // A window of -inf still routes its gradient to an element of x.
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = Tensor::full({1, 1, 3, 3}, -inf).set_requires_grad();
  Tensor y = max_pool2d(x, 3, 2, 1);
  CHECK(y.to_vector() == std::vector<double>{-inf, -inf, -inf, -inf});
  tape().backward(y, Tensor::ones_like(y));
  // the clipped windows start at rows {0, 1} and columns {0, 1}
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1, 0, 1, 1, 0, 0, 0, 0});
  // A NaN wins its windows, as in PyTorch, so a diverged input is not hidden.
  Tensor nan = Tensor::from_vector({1, std::nan(""), 2, 3}, {1, 1, 2, 2});
  CHECK(std::isnan(max_pool2d(nan, 2, 1, 0).item()));
}

TEST_CASE("adaptive_avg_pool2d_1x1: the mean of each plane (float64, cpu)") {
  Tensor x = Tensor::arange(2 * 2 * 3, DType::F64).view_as_shape({1, 2, 2, 3});
  std::vector<double> y = adaptive_avg_pool2d_1x1(x).to_vector();
  CHECK(y[0] == doctest::Approx(2.5).epsilon(1e-15));
  CHECK(y[1] == doctest::Approx(8.5).epsilon(1e-15));
}

TEST_CASE("max_pool2d: gradcheck on distinct values (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  Tensor x = distinct_values({2, 3, 5, 4}, 1).set_requires_grad();
  test::gradcheck("max_pool2d k3 s2 p1", [](V in) { return max_pool2d(in[0], 3, 2, 1); }, {x});
  test::gradcheck("max_pool2d k2 s1 p0 (overlapping)", [](V in) { return max_pool2d(in[0], 2, 1, 0); }, {x});
  test::gradcheck("max_pool2d k2 s2 p1", [](V in) { return max_pool2d(in[0], 2, 2, 1); }, {x});
  test::gradcheck("max_pool2d k3x2 s2x1 p1x0", [](V in) { return max_pool2d(in[0], 3, 2, 2, 1, 1, 0); }, {x});
}

// The CPU backward scatters dy in window order; the CUDA twin gathers per input with
// max_pool2d_input_grad. Both must add the same float32 numbers in the same order, so that
// parity holds bit for bit: here the scatter against that gather, run on the CPU, with
// overlapping windows, padding and ties (many windows sharing an arg-max).
TEST_CASE("max_pool2d: the CPU's scatter gives the CUDA gather's sums bit for bit (float32, cpu)") {
  const int64_t NC = 3, H = 9, W = 7;
  std::vector<float> x(NC * H * W);
  std::mt19937 rng(5);
  for (float& v : x) v = float(rng() % 4);  // values 0..3: ties everywhere
  for (const int stride : {1, 2}) {
    CAPTURE(stride);
    const int k = 3, pad = 1;
    const int64_t Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
    std::vector<float> y(NC * Ho * Wo), dy(NC * Ho * Wo), dx(NC * H * W);
    std::vector<int64_t> argmax(NC * Ho * Wo);
    for (float& v : dy) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    max_pool2d_forward_cpu<float>(y.data(), argmax.data(), x.data(), NC, H, W, Ho, Wo, k, k, stride, stride, pad, pad);
    max_pool2d_backward_cpu<float>(dx.data(), dy.data(), argmax.data(), NC, H, W, Ho, Wo, k, k, stride, stride, pad,
                                   pad);
    int64_t mismatches = 0, shared = 0;
    for (int64_t p = 0; p < NC; ++p)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const float gathered = max_pool2d_input_grad(dy.data() + p * Ho * Wo, argmax.data() + p * Ho * Wo, h, w, W,
                                                       Ho, Wo, k, k, stride, stride, pad, pad);
          mismatches += std::memcmp(&gathered, &dx[(p * H + h) * W + w], sizeof(float)) != 0;
          shared += std::count(argmax.begin() + p * Ho * Wo, argmax.begin() + (p + 1) * Ho * Wo, h * W + w) > 2;
        }
    CHECK(mismatches == 0);
    CHECK(shared > 0);  // some input wins three or more windows: the order of their sum matters
  }
}

TEST_CASE("adaptive_avg_pool2d_1x1: gradcheck (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  test::gradcheck("adaptive_avg_pool2d_1x1", [](V in) { return adaptive_avg_pool2d_1x1(in[0]); },
                  {uniform({2, 3, 5, 4}, -1, 1, 2).set_requires_grad()});
}

CUDA_TEST_CASE("max_pool2d: CUDA matches CPU, ties included (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  struct Case {
    int kH, kW, sH, sW, pH, pW;
  };
  const Case cases[] = {{3, 3, 2, 2, 1, 1}, {2, 2, 2, 2, 0, 0}, {3, 3, 1, 1, 1, 1}, {3, 2, 2, 1, 1, 0}};
  // 2*3*17*13 = 1326 inputs and [4, 5, 33, 29]: not multiples of the block size.
  const Shape shapes[] = {{2, 3, 17, 13}, {4, 5, 33, 29}};
  uint64_t seed = 40;
  for (const Shape& shape : shapes) {
    Tensor distinct = distinct_values(shape, seed++).set_requires_grad();
    // Values in {0, 1, 2}: most windows hold ties, so both devices must pick the same index.
    Tensor tied = uniform(shape, 0, 3, seed++);
    for (int64_t i = 0; i < tied.numel(); ++i) tied.data<double>()[i] = std::floor(tied.data<double>()[i]);
    tied.set_requires_grad();
    for (const Case& c : cases) {
      std::string what = "max_pool2d " + shape.str() + " k" + std::to_string(c.kH) + "x" + std::to_string(c.kW) +
                         " s" + std::to_string(c.sH) + "x" + std::to_string(c.sW) + " p" + std::to_string(c.pH) + "x" +
                         std::to_string(c.pW);
      auto pool = [c](V in) { return max_pool2d(in[0], c.kH, c.kW, c.sH, c.sW, c.pH, c.pW); };
      test::parity(what, pool, {distinct});
      test::parity(what + " with ties", pool, {tied});
    }
    test::parity("adaptive_avg_pool2d_1x1 " + shape.str(), [](V in) { return adaptive_avg_pool2d_1x1(in[0]); },
                 {distinct});
  }
}

TEST_CASE("max_pool2d: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({1, 2, 4, 4});
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::ones({2, 4, 4}), 2, 2, 0),
                       doctest::Contains("max_pool2d: x must be [N, C, H, W], got [2, 4, 4]"), Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 0, 1, 0), doctest::Contains("max_pool2d: kernel_h must be >= 1, got 0"), Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 2, 0, 0), doctest::Contains("max_pool2d: stride_h must be >= 1, got 0"), Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 3, 2, 2),
                       doctest::Contains("max_pool2d: padding_h must be in [0, kernel/2] = [0, 1], got 2"), Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 3, 3, 2, 2, 0, 2),
                       doctest::Contains("max_pool2d: padding_w must be in [0, kernel/2] = [0, 1], got 2"), Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 5, 1, 0), doctest::Contains("max_pool2d: kernel_h 5 does not fit"), Error);
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::ones({1, 2, 4, 4}, DType::I64), 2, 2, 0),
                       doctest::Contains("max_pool2d: x must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(adaptive_avg_pool2d_1x1(Tensor::ones({2, 3})),
                       doctest::Contains("adaptive_avg_pool2d_1x1: x must be [N, C, H, W], got [2, 3]"), Error);
}
