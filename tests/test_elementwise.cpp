// Elementwise ops: broadcasting rules, known values, float64 gradcheck, CUDA parity, errors.
#include <cmath>

#include "core/ops/elementwise.h"
#include "core/scalar_math.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

TEST_CASE("add: broadcast shapes follow NumPy (float32, cpu)") {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({3}), c = Tensor::ones({2, 1}), d = Tensor::ones({4, 1, 1});
  CHECK((a + b).shape() == Shape{2, 3});
  CHECK((a + c).shape() == Shape{2, 3});
  CHECK((a + d).shape() == Shape{4, 2, 3});
  CHECK((b * c).shape() == Shape{2, 3});
}

TEST_CASE("elementwise: known values (float64, cpu)") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64);
  Tensor b = Tensor::from_vector({10, 20, 30}, {3}, DType::F64);
  CHECK((a + b).to_vector() == std::vector<double>{11, 22, 33, 14, 25, 36});
  CHECK((a - b).to_vector() == std::vector<double>{-9, -18, -27, -6, -15, -24});
  CHECK((a * b).to_vector() == std::vector<double>{10, 40, 90, 40, 100, 180});
  CHECK((b / a).to_vector()[1] == doctest::Approx(10.0));
  CHECK((2.0 - a).to_vector() == std::vector<double>{1, 0, -1, -2, -3, -4});
  CHECK((a / 2.0).to_vector()[0] == 0.5);
  CHECK(pow(a, 2.0).to_vector()[2] == doctest::Approx(9.0));
  CHECK(relu(a - 3.5).to_vector() == std::vector<double>{0, 0, 0, 0.5, 1.5, 2.5});
  CHECK(abs(a - 3.0).to_vector() == std::vector<double>{2, 1, 0, 1, 2, 3});
  CHECK(exp(log(a)).to_vector()[4] == doctest::Approx(5.0));
  CHECK(clamp_min(a, 3.5).to_vector() == std::vector<double>{3.5, 3.5, 3.5, 4, 5, 6});
  CHECK(greater(a, 3.0).to_vector() == std::vector<double>{0, 0, 0, 1, 1, 1});
}

TEST_CASE("elementwise: NaN goes through relu and clamp_min, their gradients pass (float32, cpu)") {
  // As PyTorch: relu(NaN) = NaN, and its backward passes the incoming gradient (threshold_backward).
  Tensor x = Tensor::from_vector({std::nan(""), -1, 2}, {3}).set_requires_grad();
  const std::vector<double> y = relu(x).to_vector();
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 0);
  CHECK(y[2] == 2);
  CHECK(std::isnan(clamp_min(x, 0.5).to_vector()[0]));
  backward(sum(relu(x) * Tensor::from_vector({3, 4, 5}, {3})));
  CHECK(x.grad().to_vector() == std::vector<double>{3, 0, 5});
}

TEST_CASE("div: the divisor's gradient -a / b^2 where b^2 alone over- or underflows (float32 and float64, cpu)") {
  // d(a/b)/db = -(a/b)/b: -1e30 for a = 1e-20, b = 1e-25 (b^2 underflows to 0 in float32) and
  // -1e-10 for a = 1e30, b = 1e20 (b^2 overflows); 0 for a = 0, b = 1e-30 (not 0 / 0).
  struct Case {
    double a, b, expected;
    DType dtype;
  };
  for (const Case& c : {Case{1e-20, 1e-25, -1e30, DType::F32}, Case{1e30, 1e20, -1e-10, DType::F32},
                        Case{0, 1e-30, 0, DType::F32}, Case{1e308, 1e155, -1e-2, DType::F64},
                        Case{1e-160, 1e-170, -1e180, DType::F64}}) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    Tensor a = Tensor::from_vector({c.a}, {1}, c.dtype);
    Tensor b = Tensor::from_vector({c.b}, {1}, c.dtype).set_requires_grad();
    backward(sum(a / b));
    const double g = b.grad().to_vector()[0];
    CHECK(std::isfinite(g));
    CHECK(g == doctest::Approx(c.expected).epsilon(1e-5));
  }
}

TEST_CASE("softplus: log(1 + e^x) without overflow, and its derivative sigmoid(x), 1/2 at 0 (float64, cpu)") {
  Tensor x = Tensor::from_vector({-800, -30, 0, 2, 800}, {5}, DType::F64).set_requires_grad();
  const std::vector<double> y = softplus(x).to_vector();
  CHECK(y[0] == 0);  // e^-800 underflows; log1p keeps what is left
  CHECK(y[1] == doctest::Approx(std::exp(-30.0)).epsilon(1e-12));
  CHECK(y[2] == doctest::Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(y[3] == doctest::Approx(std::log1p(std::exp(2.0))).epsilon(1e-15));
  CHECK(y[4] == 800);  // no overflow
  backward(sum(softplus(x)));
  const std::vector<double> g = x.grad().to_vector();
  CHECK(g[2] == 0.5);
  CHECK(g[3] == doctest::Approx(1 / (1 + std::exp(-2.0))).epsilon(1e-15));
  CHECK(g[4] == 1);
}

TEST_CASE("sigmoid: finite and exact-limit for large |x| (float32, cpu)") {
  Tensor x = Tensor::from_vector({-100, -20, 0, 20, 100}, {5});
  std::vector<double> y = sigmoid(x).to_vector();
  CHECK(y[0] >= 0.0);
  CHECK(y[0] < 1e-40);
  CHECK(y[2] == 0.5);
  CHECK(y[4] == 1.0);
  for (double v : y) CHECK(std::isfinite(v));
}

TEST_CASE("elementwise: gradcheck of every op (float64, cpu)") {
  // Inputs away from the kinks of relu/abs (0) and inside log's domain.
  auto x = [] { return uniform({2, 3, 5, 4}, 0.2, 2.0, 1).set_requires_grad(); };
  auto signed_x = [] { return (uniform({2, 3, 5, 4}, 0.2, 2.0, 2) * uniform({2, 3, 5, 4}, -1, 1, 3)).set_requires_grad(); };
  using V = const std::vector<Tensor>&;
  test::gradcheck("neg", [](V in) { return neg(in[0]); }, {x()});
  test::gradcheck("exp", [](V in) { return exp(in[0]); }, {x()});
  test::gradcheck("log", [](V in) { return log(in[0]); }, {x()});
  test::gradcheck("sigmoid", [](V in) { return sigmoid(in[0]); }, {signed_x()});
  test::gradcheck("softplus", [](V in) { return softplus(in[0]); }, {signed_x()});
  test::gradcheck("pow 2.5", [](V in) { return pow(in[0], 2.5); }, {x()});
  test::gradcheck("scalar ops", [](V in) { return 3.0 - (in[0] * 2.0 + 1.0) / 4.0; }, {x()});
  Tensor s = uniform({2, 3, 5, 4}, 0.1, 1.0, 4);
  Tensor sign = uniform({2, 3, 5, 4}, -1, 1, 5);
  for (int64_t i = 0; i < s.numel(); ++i) s.data<double>()[i] *= sign.data<double>()[i] < 0 ? -1 : 1;
  test::gradcheck("relu", [](V in) { return relu(in[0]); }, {s.clone().set_requires_grad()});
  test::gradcheck("abs", [](V in) { return abs(in[0]); }, {s.clone().set_requires_grad()});
  test::gradcheck("clamp_min", [](V in) { return clamp_min(in[0], 0.05); }, {s.clone().set_requires_grad()});
  test::gradcheck("greater", [](V in) { return greater(in[0], 0.05) * in[0]; }, {s.clone().set_requires_grad()});
}

TEST_CASE("binary ops: gradcheck with broadcasting on both sides (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  auto a = [] { return uniform({2, 3, 5}, 0.5, 2.0, 6).set_requires_grad(); };
  auto b = [] { return uniform({3, 1}, 0.5, 2.0, 7).set_requires_grad(); };
  test::gradcheck("add", [](V in) { return add(in[0], in[1]); }, {a(), b()});
  test::gradcheck("sub", [](V in) { return sub(in[0], in[1]); }, {a(), b()});
  test::gradcheck("mul", [](V in) { return mul(in[0], in[1]); }, {a(), b()});
  test::gradcheck("div", [](V in) { return div(in[0], in[1]); }, {a(), b()});
  test::gradcheck("div, b broadcast first", [](V in) { return div(in[1], in[0]); }, {a(), b()});
}

// The kernels' fast path (element i of each operand is element i) is taken only where both
// operands are laid out as the output; a size-1 output dim's stride does not matter.
TEST_CASE("BroadcastIndex::flat: only operands laid out as the output take the fast path (cpu)") {
  const BroadcastIndex same{{1, 1, 2, 3, 4}, {0, 0, 12, 4, 1}, {0, 0, 12, 4, 1}};
  CHECK(same.flat());
  const BroadcastIndex size_one_dims{{1, 2, 1, 3, 1}, {0, 3, 7, 1, 0}, {9, 3, 0, 1, 5}};
  CHECK(size_one_dims.flat());
  const BroadcastIndex b_broadcast{{1, 1, 2, 3, 4}, {0, 0, 12, 4, 1}, {0, 0, 0, 4, 1}};
  CHECK_FALSE(b_broadcast.flat());
  const BroadcastIndex a_broadcast{{1, 1, 2, 3, 4}, {0, 0, 3, 1, 0}, {0, 0, 12, 4, 1}};
  CHECK_FALSE(a_broadcast.flat());
}

CUDA_TEST_CASE("elementwise: CUDA matches CPU (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  // 1000 elements: not a multiple of the block size.
  auto x = [] { return uniform({8, 125}, 0.2, 2.0, 8).set_requires_grad(); };
  auto signed_x = [] { return uniform({8, 125}, -3, 3, 9).set_requires_grad(); };
  test::parity("neg", [](V in) { return neg(in[0]); }, {x()});
  test::parity("exp", [](V in) { return exp(in[0]); }, {x()});
  test::parity("log", [](V in) { return log(in[0]); }, {x()});
  test::parity("sigmoid", [](V in) { return sigmoid(in[0]); }, {signed_x()});
  test::parity("softplus", [](V in) { return softplus(in[0]); }, {signed_x()});
  test::parity("relu", [](V in) { return relu(in[0]); }, {signed_x()});
  test::parity("abs", [](V in) { return abs(in[0]); }, {signed_x()});
  test::parity("pow", [](V in) { return pow(in[0], 1.5); }, {x()});
  test::parity("clamp_min", [](V in) { return clamp_min(in[0], 0.3); }, {signed_x()});
  test::parity("greater", [](V in) { return greater(in[0], 0.3) * in[0]; }, {signed_x()});
  test::parity("scalar ops", [](V in) { return 3.0 - (in[0] * 2.0 + 1.0) / 4.0; }, {x()});
  auto a = [] { return uniform({3, 7, 33}, 0.5, 2.0, 10).set_requires_grad(); };
  auto b = [] { return uniform({7, 1}, 0.5, 2.0, 11).set_requires_grad(); };
  test::parity("add", [](V in) { return add(in[0], in[1]); }, {a(), b()});
  test::parity("sub", [](V in) { return sub(in[0], in[1]); }, {a(), b()});
  test::parity("mul", [](V in) { return mul(in[0], in[1]); }, {a(), b()});
  test::parity("div", [](V in) { return div(in[0], in[1]); }, {a(), b()});
  // operands of one shape: the kernels' flat path
  auto c = [] { return uniform({3, 7, 33}, 0.5, 2.0, 12).set_requires_grad(); };
  test::parity("add, one shape", [](V in) { return add(in[0], in[1]); }, {a(), c()});
  test::parity("sub, one shape", [](V in) { return sub(in[0], in[1]); }, {a(), c()});
  test::parity("mul, one shape", [](V in) { return mul(in[0], in[1]); }, {a(), c()});
  test::parity("div, one shape", [](V in) { return div(in[0], in[1]); }, {a(), c()});
}

TEST_CASE("elementwise: bad inputs are refused by name (float32, cpu)") {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({4});
  CHECK_THROWS_WITH_AS(add(a, b), doctest::Contains("add: shapes [2, 3] and [4] do not broadcast"), Error);
  CHECK_THROWS_WITH_AS(mul(a, Tensor::ones({2, 3}, DType::F64)), doctest::Contains("mul: a is float32 but b is float64"),
                       Error);
  CHECK_THROWS_WITH_AS(exp(Tensor::ones({2}, DType::I64)), doctest::Contains("exp: x must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(exp(Tensor()), doctest::Contains("exp: x is an undefined tensor"), Error);
}
