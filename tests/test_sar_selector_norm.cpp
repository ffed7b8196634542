// sar_selector_norm: sums to 1, known values, float64 gradcheck, logits of +-80 and beyond,
// CUDA parity, bad inputs.
#include <cmath>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/sar_selector_norm.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

using V = const std::vector<Tensor>&;

TEST_CASE("sar_selector_norm: keeps the shape and sums to 1 over each map (float64, cpu)") {
  for (const Shape& shape : {Shape{1, 1, 1, 1}, Shape{2, 3, 3, 5}, Shape{2, 17, 8, 6}}) {
    CAPTURE(shape);
    Tensor w = sar_selector_norm(uniform(shape, -6, 6, 1));
    CHECK(w.shape() == shape);
    CHECK(test::max_abs_diff(sum(sum(w, 3), 2), Tensor::ones({shape[0], shape[1]}, DType::F64)) < 1e-14);
  }
}

TEST_CASE("sar_selector_norm: known values (float64, cpu)") {
  // sigmoid of 0, log 3, -log 3, 0 is 1/2, 3/4, 1/4, 1/2; their sum is 2.
  const double l3 = std::log(3.0);
  std::vector<double> w = sar_selector_norm(Tensor::from_vector({0, l3, -l3, 0}, {1, 1, 2, 2}, DType::F64)).to_vector();
  const double expected[] = {0.25, 0.375, 0.125, 0.25};
  for (int t = 0; t < 4; ++t) CHECK(w[t] == doctest::Approx(expected[t]).epsilon(1e-15));
  // Not a softmax: equal logits give equal weights at any level, but s = 10 against s = 0
  // weighs 1 / (1 + e^-10) against 1/2, not e^10 against 1.
  std::vector<double> w2 = sar_selector_norm(Tensor::from_vector({10, 0}, {1, 1, 1, 2}, DType::F64)).to_vector();
  const double c = 1 / (1 + std::exp(-10.0));
  CHECK(w2[0] == doctest::Approx(c / (c + 0.5)).epsilon(1e-15));
  // A 1x1 map is certain.
  CHECK(sar_selector_norm(Tensor::full({2, 3, 1, 1}, -7.0, DType::F64)).to_vector() == std::vector<double>(6, 1.0));
}

TEST_CASE("sar_selector_norm: gradcheck (float64, cpu)") {
  uint64_t seed = 20;
  for (const Shape& shape : {Shape{1, 1, 1, 1}, Shape{2, 2, 3, 5}, Shape{1, 3, 4, 4}, Shape{2, 1, 7, 2}}) {
    Tensor s = uniform(shape, -5, 5, seed++).set_requires_grad();
    test::gradcheck("sar_selector_norm " + shape.str(), [](V x) { return sar_selector_norm(x[0]); }, {s});
  }
}

// One map of logits of +-80, one of -120 everywhere (every c_t underflows in float32: a
// direct c / sum c would be 0 / 0).
static Tensor extreme_logits(DType dtype) {
  std::vector<double> s(24);
  for (int t = 0; t < 12; ++t) {
    s[t] = t % 3 ? -80.0 : 80.0;
    s[12 + t] = -120.0;
  }
  return Tensor::from_vector(s, {1, 2, 3, 4}, dtype);
}

TEST_CASE("sar_selector_norm: logits of +-80 and -120 give finite weights and gradients (float32, cpu)") {
  Tensor s = extreme_logits(DType::F32).set_requires_grad();
  Tensor w = sar_selector_norm(s);
  std::vector<double> wv = w.to_vector();
  for (double v : wv) CHECK(std::isfinite(v));
  // Map 0: the four cells of +80 share the mass; map 1: all equal.
  CHECK(wv[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(wv[1] < 1e-30);
  CHECK(wv[12] == doctest::Approx(1.0 / 12).epsilon(1e-6));
  backward(sum(mul(w, uniform({1, 2, 3, 4}, -1, 1, 3, DType::F32))));
  for (double g : s.grad().to_vector()) CHECK(std::isfinite(g));
}

TEST_CASE("sar_selector_norm: a -inf logit gets weight 0 in any position (float32, cpu)") {
  // c = (0, 1/2, 1/2 ...) for logits (-inf, 0, 0): w = (0, 1/2, 1/2), the -inf first or last
  for (const std::vector<double>& s : {std::vector<double>{-INFINITY, 0, 0}, std::vector<double>{0, 0, -INFINITY}}) {
    const std::vector<double> w = sar_selector_norm(Tensor::from_vector(s, {1, 1, 1, 3})).to_vector();
    const size_t minus_inf = s[0] < 0 ? 0 : 2;
    for (size_t t = 0; t < 3; ++t) CHECK(w[t] == (t == minus_inf ? 0.0 : 0.5));
  }
}

TEST_CASE("sar_selector_norm: gradcheck at logits of +-80 and -120 (float64, cpu)") {
  Tensor s = extreme_logits(DType::F64).set_requires_grad();
  test::gradcheck("sar_selector_norm extreme", [](V x) { return sar_selector_norm(x[0]); }, {s});
}

CUDA_TEST_CASE("sar_selector_norm: CUDA matches CPU (float32, cuda)") {
  const Shape shapes[] = {
      {2, 17, 64, 48},  // G = 3072 > 256: each thread walks 12 cells
      {1, 5, 17, 19},   // G = 323, not a multiple of 256
      {2, 3, 3, 5},     // G = 15 < 32
      {3, 2, 1, 1},     // G = 1
  };
  // w <= 7e-4 and ds has rms 4e-5 at G = 3072: the default atol (1e-5) would judge little; the
  // devices differ by ~1e-9.
  test::ParityOptions tol;
  tol.atol = 1e-8;
  uint64_t seed = 40;
  for (const Shape& shape : shapes) {
    Tensor s = uniform(shape, -8, 8, seed++).set_requires_grad();
    test::parity("sar_selector_norm " + shape.str(), [](V x) { return sar_selector_norm(x[0]); }, {s}, tol);
  }
  test::parity("sar_selector_norm extreme", [](V x) { return sar_selector_norm(x[0]); },
               {extreme_logits(DType::F64).set_requires_grad()});
}

TEST_CASE("sar_selector_norm: bad inputs are refused by name (float32, cpu)") {
  CHECK_THROWS_WITH_AS(sar_selector_norm(Tensor::zeros({2, 17, 3072})),
                       doctest::Contains("sar_selector_norm: logits must be [N, J, h, w] with h, w >= 1, got [2, 17, "
                                         "3072]"),
                       Error);
  CHECK_THROWS_WITH_AS(sar_selector_norm(Tensor::zeros({2, 17, 0, 48})),
                       doctest::Contains("sar_selector_norm: logits must be [N, J, h, w] with h, w >= 1"), Error);
  CHECK_THROWS_WITH_AS(sar_selector_norm(Tensor::zeros({1, 1, 2, 2}, DType::I64)),
                       doctest::Contains("sar_selector_norm: logits must be float32 or float64, got int64"), Error);
  CHECK_THROWS_WITH_AS(sar_selector_norm(Tensor()),
                       doctest::Contains("sar_selector_norm: logits is an undefined tensor"), Error);
}
