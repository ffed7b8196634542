// matmul: shape rules, known values, float64 gradcheck of all four transposes, a tensor
// used as both operands, K == 0, CUDA parity, errors.
#include <string>
#include <vector>

#include "core/ops/matmul.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

TEST_CASE("matmul: output shape is [M, N] for every transpose (float32, cpu)") {
  // op(a) is [2, 3] and op(b) is [3, 4] in all four calls.
  Tensor a = Tensor::ones({2, 3}), at = Tensor::ones({3, 2});
  Tensor b = Tensor::ones({3, 4}), bt = Tensor::ones({4, 3});
  CHECK(matmul(a, b).shape() == Shape{2, 4});
  CHECK(matmul(at, b, true, false).shape() == Shape{2, 4});
  CHECK(matmul(a, bt, false, true).shape() == Shape{2, 4});
  CHECK(matmul(at, bt, true, true).shape() == Shape{2, 4});
  CHECK(matmul(Tensor::ones({0, 3}), b).shape() == Shape{0, 4});
  CHECK(matmul(a, Tensor::ones({3, 0})).shape() == Shape{2, 0});
}

TEST_CASE("matmul: known values for every transpose (float64, cpu)") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64);
  Tensor b = Tensor::from_vector({7, 8, 9, 10, 11, 12}, {3, 2}, DType::F64);
  CHECK(matmul(a, b).to_vector() == std::vector<double>{58, 64, 139, 154});
  CHECK(matmul(a, a, false, true).to_vector() == std::vector<double>{14, 32, 32, 77});  // a a^T
  CHECK(matmul(a, a, true, false).to_vector() ==
        std::vector<double>{17, 22, 27, 22, 29, 36, 27, 36, 45});                        // a^T a
  CHECK(matmul(b, a, true, true).to_vector() == std::vector<double>{58, 139, 64, 154});  // b^T a^T = (a b)^T
}

TEST_CASE("matmul: K == 0 gives zeros, not uninitialized memory (float32, cpu)") {
  Tensor a = Tensor::empty({3, 0}), b = Tensor::empty({0, 4});
  CHECK(matmul(a, b).to_vector() == std::vector<double>(12, 0.0));
  CHECK(matmul(Tensor::empty({0, 3}), Tensor::empty({4, 0}), true, true).to_vector() == std::vector<double>(12, 0.0));
  // M == 0 makes K == 0 in the backward: db = a^T @ dout sums over no rows.
  Tensor empty_a = Tensor::empty({0, 3}).set_requires_grad(), full_b = Tensor::ones({3, 4}).set_requires_grad();
  backward(sum(matmul(empty_a, full_b)));
  CHECK(full_b.grad().to_vector() == std::vector<double>(12, 0.0));
  CHECK(empty_a.grad().shape() == Shape{0, 3});
}

// The four ways to store the operands of an [M, K] @ [K, N] product: a and b hold
// random values, transposed in storage where the flag says so.
struct TransposeCase {
  bool trans_a, trans_b;
  Tensor a, b;  // requiring grad
  std::string name;
};

static std::vector<TransposeCase> transpose_cases(int64_t M, int64_t K, int64_t N, uint64_t seed) {
  std::vector<TransposeCase> cases;
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      Shape sa = trans_a ? Shape{K, M} : Shape{M, K}, sb = trans_b ? Shape{N, K} : Shape{K, N};
      std::string name = std::string("matmul") + (trans_a ? " a^T" : " a") + (trans_b ? " @ b^T" : " @ b");
      cases.push_back({trans_a, trans_b, uniform(sa, -1, 1, seed).set_requires_grad(),
                       uniform(sb, -1, 1, seed + 1).set_requires_grad(), name});
    }
  }
  return cases;
}

TEST_CASE("matmul: gradcheck of all four transposes (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  for (const TransposeCase& c : transpose_cases(3, 5, 7, 1)) {
    const bool trans_a = c.trans_a, trans_b = c.trans_b;
    test::gradcheck(c.name, [=](V in) { return matmul(in[0], in[1], trans_a, trans_b); }, {c.a, c.b});
  }
}

TEST_CASE("matmul: backward skips inputs that need no gradient (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  Tensor a = uniform({3, 5}, -1, 1, 3).set_requires_grad(), b = uniform({7, 5}, -1, 1, 4);
  test::gradcheck("matmul, only a", [](V in) { return matmul(in[0], in[1], false, true); }, {a, b});
  CHECK_FALSE(b.grad().defined());
  Tensor c = uniform({5, 3}, -1, 1, 5), d = uniform({5, 7}, -1, 1, 6).set_requires_grad();
  test::gradcheck("matmul, only b", [](V in) { return matmul(in[0], in[1], true, false); }, {c, d});
  CHECK_FALSE(c.grad().defined());
}

TEST_CASE("matmul: x @ x^T sums the gradients of both operands (float64, cpu)") {
  // L = sum_ij (x x^T)_ij = sum_k (sum_i x_ik)^2, so dL/dx_ik = 2 * sum_i x_ik: twice one
  // operand's share. A tape that kept only one path would give half of it.
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64).set_requires_grad();
  backward(sum(matmul(x, x, false, true)));
  CHECK(x.grad().to_vector() == std::vector<double>{10, 14, 18, 10, 14, 18});

  using V = const std::vector<Tensor>&;
  Tensor y = uniform({3, 5}, -1, 1, 7).set_requires_grad();
  test::gradcheck("matmul x @ x^T", [](V in) { return matmul(in[0], in[0], false, true); }, {y});
  test::gradcheck("matmul x^T @ x", [](V in) { return matmul(in[0], in[0], true, false); }, {y});
}

CUDA_TEST_CASE("matmul: CUDA matches CPU for every transpose (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  // M = 37, K = 300, N = 129: no multiple of any tile; K sums enough terms to show float error.
  for (const TransposeCase& c : transpose_cases(37, 300, 129, 8)) {
    const bool trans_a = c.trans_a, trans_b = c.trans_b;
    test::parity(c.name, [=](V in) { return matmul(in[0], in[1], trans_a, trans_b); }, {c.a, c.b});
  }
  Tensor x = uniform({33, 65}, -1, 1, 10).set_requires_grad();
  test::parity("matmul x @ x^T", [](V in) { return matmul(in[0], in[0], false, true); }, {x});
}

CUDA_TEST_CASE("matmul: K == 0 gives zeros (float32, cuda)") {
  Tensor a = Tensor::empty({3, 0}, DType::F32, Device::CUDA), b = Tensor::empty({0, 4}, DType::F32, Device::CUDA);
  Tensor out = matmul(a, b);
  CHECK(out.is_cuda());
  CHECK(out.to_vector() == std::vector<double>(12, 0.0));
}

TEST_CASE("matmul: bad inputs are refused by name (float32, cpu)") {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({4, 5});
  CHECK_THROWS_WITH_AS(matmul(a, b), doctest::Contains("matmul: [2, 3] @ [4, 5]: inner dims 3 != 4"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, b, true, true), doctest::Contains("matmul: [2, 3]^T @ [4, 5]^T: inner dims 2 != 5"),
                       Error);
  CHECK_THROWS_WITH_AS(matmul(Tensor::ones({2, 3, 4}), b), doctest::Contains("matmul: a must be 2-D, got [2, 3, 4]"),
                       Error);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::ones({3})), doctest::Contains("matmul: b must be 2-D, got [3]"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::ones({3, 2}, DType::F64)),
                       doctest::Contains("matmul: a is float32 but b is float64"), Error);
  CHECK_THROWS_WITH_AS(matmul(Tensor::ones({2, 3}, DType::I64), b),
                       doctest::Contains("matmul: a must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor()), doctest::Contains("matmul: b is an undefined tensor"), Error);
}
