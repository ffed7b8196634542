// softmax and log_softmax: shape rules, known values, float64 gradcheck along the first,
// a middle and the last axis, logits of +-1000, CUDA parity on both kernel paths, errors.
#include <cmath>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/softmax.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

TEST_CASE("softmax: keeps the shape and sums to 1 along the axis (float64, cpu)") {
  Tensor x = uniform({2, 3, 4}, -3, 3, 1);
  for (int axis : {0, 1, 2, -1}) {
    CAPTURE(axis);
    Tensor y = softmax(x, axis);
    CHECK(y.shape() == x.shape());
    CHECK(log_softmax(x, axis).shape() == x.shape());
    CHECK(test::max_abs_diff(sum(y, axis), Tensor::ones_like(sum(x, axis))) < 1e-12);
    CHECK(test::max_abs_diff(exp(log_softmax(x, axis)), y) < 1e-12);
  }
}

TEST_CASE("softmax: known values (float64, cpu)") {
  // exp of the logits is [1, 2, 3], so the softmax is [1, 2, 3] / 6.
  Tensor x = Tensor::from_vector({0, std::log(2.0), std::log(3.0)}, {3}, DType::F64);
  std::vector<double> y = softmax(x, 0).to_vector(), log_y = log_softmax(x, 0).to_vector();
  const double expected[] = {1.0 / 6, 2.0 / 6, 3.0 / 6};
  for (int r = 0; r < 3; ++r) {
    CHECK(y[r] == doctest::Approx(expected[r]).epsilon(1e-14));
    CHECK(log_y[r] == doctest::Approx(std::log(expected[r])).epsilon(1e-14));
  }
  // Along axis 0 of [[0, 0], [log 3, 0]]: column 0 is [1, 3] / 4, column 1 is [1, 1] / 2.
  Tensor m = Tensor::from_vector({0, 0, std::log(3.0), 0}, {2, 2}, DType::F64);
  std::vector<double> ym = softmax(m, 0).to_vector();
  CHECK(ym[0] == doctest::Approx(0.25));
  CHECK(ym[1] == doctest::Approx(0.5));
  CHECK(ym[2] == doctest::Approx(0.75));
  CHECK(ym[3] == doctest::Approx(0.5));
  // An axis of size 1 is a certain outcome.
  CHECK(softmax(Tensor::full({3, 1}, 7.0, DType::F64), 1).to_vector() == std::vector<double>{1, 1, 1});
  CHECK(log_softmax(Tensor::full({3, 1}, 7.0, DType::F64), 1).to_vector() == std::vector<double>{0, 0, 0});
}

TEST_CASE("softmax: gradcheck along the first, a middle and the last axis (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  for (int axis : {0, 1, 2}) {
    Tensor x = uniform({3, 5, 7}, -3, 3, 2).set_requires_grad();
    std::string at = " along axis " + std::to_string(axis);
    test::gradcheck("softmax" + at, [axis](V in) { return softmax(in[0], axis); }, {x});
    test::gradcheck("log_softmax" + at, [axis](V in) { return log_softmax(in[0], axis); }, {x});
  }
}

// Rows mixing +-1000: exp(x) overflows float and double here unless the max is subtracted.
static Tensor extreme_logits(DType dtype) {
  return Tensor::from_vector({1000, -1000, 0, 1000,         //
                              -1000, -1000, -1000, -1000,   //
                              1000, 999, -1000, 0},         //
                             {3, 4}, dtype);
}

TEST_CASE("softmax: logits of +-1000 give finite outputs and gradients (float32, cpu)") {
  for (bool is_log : {false, true}) {
    CAPTURE(is_log);
    Tensor x = extreme_logits(DType::F32).set_requires_grad();
    Tensor y = is_log ? log_softmax(x, -1) : softmax(x, -1);
    std::vector<double> values = y.to_vector();
    for (double v : values) CHECK(std::isfinite(v));
    Tensor p = is_log ? exp(y) : y;
    CHECK(test::max_abs_diff(sum(p, -1), Tensor::ones({3})) < 1e-6);
    // Row 0: the two 1000s share the mass; row 1: all equal.
    CHECK(p.to_vector()[0] == doctest::Approx(0.5));
    CHECK(p.to_vector()[4] == doctest::Approx(0.25));
    if (is_log) CHECK(values[1] == doctest::Approx(-2000 - std::log(2.0)));

    backward(sum(mul(y, uniform({3, 4}, -1, 1, 3, DType::F32))));
    for (double g : x.grad().to_vector()) CHECK(std::isfinite(g));
  }
}

TEST_CASE("softmax: gradcheck at logits of +-1000 (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  for (int axis : {0, 1}) {
    std::string at = " of +-1000 along axis " + std::to_string(axis);
    Tensor x = extreme_logits(DType::F64).set_requires_grad();
    test::gradcheck("softmax" + at, [axis](V in) { return softmax(in[0], axis); }, {x});
    test::gradcheck("log_softmax" + at, [axis](V in) { return log_softmax(in[0], axis); }, {x});
  }
}

CUDA_TEST_CASE("softmax: CUDA matches CPU on both kernel paths (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  struct Case {
    Shape shape;
    int axis;
    double lo, hi;
  };
  const Case cases[] = {
      {{7, 300}, -1, -5, 5},        // one block per row, R > 256: threads loop over the row
      {{5, 1000}, 1, -5, 5},        // rows longer than the block, not a multiple of it
      {{9, 29}, -1, -5, 5},         // R < 32: only warp 0 holds elements
      {{4, 300, 3}, 1, -5, 5},      // a middle axis: one thread per (o, i), R > 256
      {{300, 5}, 0, -5, 5},         // the first axis
      {{3, 5, 7}, 0, -5, 5},        // the first axis of a 3-D tensor
      {{6, 257}, -1, -1000, 1000},  // extreme logits on the row path
      {{257, 6}, 0, -1000, 1000},   // and on the strided path
  };
  // rows of 1000 give values ~1e-3: the default atol (1e-5) would be 1%; the devices differ by
  // ~1e-9 there
  test::ParityOptions tol;
  tol.atol = 1e-7;
  uint64_t seed = 4;
  for (const Case& c : cases) {
    Tensor x = uniform(c.shape, c.lo, c.hi, seed++).set_requires_grad();
    std::string at = " " + c.shape.str() + " along axis " + std::to_string(c.axis);
    const int axis = c.axis;
    test::parity("softmax" + at, [axis](V in) { return softmax(in[0], axis); }, {x}, tol);
    test::parity("log_softmax" + at, [axis](V in) { return log_softmax(in[0], axis); }, {x}, tol);
  }
}

TEST_CASE("softmax: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3});
  CHECK_THROWS_WITH_AS(softmax(x, 2), doctest::Contains("softmax: axis 2 is out of range for shape [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(log_softmax(x, -3), doctest::Contains("log_softmax: axis -3 is out of range"), Error);
  CHECK_THROWS_WITH_AS(softmax(Tensor::ones({2}, DType::I64), 0),
                       doctest::Contains("softmax: x must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(log_softmax(Tensor(), 0), doctest::Contains("log_softmax: x is an undefined tensor"), Error);
}
