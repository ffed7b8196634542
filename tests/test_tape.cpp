// The tape: accumulation for reused tensors and diamonds, broadcasting, views, NoGrad,
// freed activations, and the errors of misuse.
#include <cmath>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/test_util.h"

using namespace sar;

static Tensor leaf(std::vector<double> v, Shape s) {
  return Tensor::from_vector(v, s, DType::F64).set_requires_grad();
}

TEST_CASE("tape: a tensor used twice gets the sum of both paths (float64, cpu)") {
  Tensor x = leaf({1, 2, 3}, {3});
  backward(sum(x * x));  // d/dx sum(x^2) = 2x, through two uses of x in one node
  CHECK(x.grad().to_vector() == std::vector<double>{2, 4, 6});
  x.zero_grad();
  backward(sum(x + x + x));
  CHECK(x.grad().to_vector() == std::vector<double>{3, 3, 3});
}

TEST_CASE("tape: diamond graph (float64, cpu)") {
  // y = exp(x); out = y * 2 + y * y: two paths from y, one from x.
  Tensor x = leaf({0.5, -1.0}, {2});
  Tensor y = exp(x);
  backward(sum(y * 2.0 + y * y));
  std::vector<double> g = x.grad().to_vector();
  for (int i = 0; i < 2; ++i) {
    double e = std::exp(x.to_vector()[i]);
    CHECK(g[i] == doctest::Approx(2 * e + 2 * e * e));
  }
}

TEST_CASE("tape: gradients accumulate across backward calls until zero_grad (float64, cpu)") {
  Tensor x = leaf({1, 2}, {2});
  backward(sum(x * 3.0));
  backward(sum(x * 3.0));
  CHECK(x.grad().to_vector() == std::vector<double>{6, 6});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("tape: a leaf's grad never aliases another gradient (float64, cpu)") {
  // add's backward returns the same tensor for both inputs; each leaf must own its grad.
  Tensor a = leaf({1, 2}, {2}), b = leaf({3, 4}, {2});
  backward(sum(a + b));
  CHECK_FALSE(a.grad().raw_data() == b.grad().raw_data());
  a.grad().fill_(100);
  CHECK(b.grad().to_vector() == std::vector<double>{1, 1});
}

TEST_CASE("tape: broadcast and view gradients flow to the right shape (float64, cpu)") {
  Tensor w = leaf({1, 2, 3}, {3});
  Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = reshape(x * w, {6});  // w broadcasts over rows; reshape is a view
  backward(sum(y));
  CHECK(w.grad().shape() == Shape{3});
  CHECK(w.grad().to_vector() == std::vector<double>{5, 7, 9});
  CHECK(x.grad().to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
}

TEST_CASE("tape: NoGrad records nothing and outputs need no grad (float64, cpu)") {
  Tensor x = leaf({1, 2}, {2});
  size_t before = tape().size();
  {
    NoGrad no_grad;
    Tensor y = exp(x) * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(tape().size() == before);
    CHECK_THROWS_WITH_AS(backward(sum(y)), doctest::Contains("backward: the loss does not require grad"), Error);
  }
  CHECK(grad_enabled());
  Tensor z = exp(Tensor::ones({2}));  // no input requires grad: nothing recorded either
  CHECK(tape().size() == before);
  CHECK_FALSE(z.requires_grad());
}

TEST_CASE("tape: backward frees saved activations and empties the tape (float64, cpu)") {
  Tensor x = leaf({1, 2, 3}, {3});
  std::weak_ptr<Storage> saved;
  Tensor loss;
  {
    Tensor y = exp(x);  // exp saves its output for backward
    saved = std::weak_ptr<Storage>(y.impl().storage);
    loss = sum(y * 2.0);
  }
  CHECK_FALSE(saved.expired());  // only the tape holds y now
  CHECK(tape().size() == 4);  // exp, mul_scalar, reshape (sum flattens), sum
  backward(loss);
  CHECK(saved.expired());
  CHECK(tape().size() == 0);
}

TEST_CASE("tape: a node keeps only the activations its backward reads (float64, cpu)") {
  // A conv-BN-ReLU chain's memory: ReLU's backward reads its output, so its input (the BN
  // output) is freed as soon as the caller drops it; a residual add keeps neither summand.
  Tensor x = leaf({-1, 2, -3, 4}, {4});
  std::weak_ptr<Storage> relu_input, add_input;
  Tensor loss;
  {
    Tensor h = x * 3.0;  // mul_scalar saves nothing
    relu_input = std::weak_ptr<Storage>(h.impl().storage);
    Tensor r = relu(h);   // saves r, not h
    Tensor s = r * 0.5;
    add_input = std::weak_ptr<Storage>(s.impl().storage);
    loss = sum(s + x);    // add saves neither s nor x
  }
  CHECK(relu_input.expired());
  CHECK(add_input.expired());
  backward(loss);
  CHECK(x.grad().to_vector() == std::vector<double>{1, 2.5, 1, 2.5});  // 1 + 1.5 where x > 0
}

TEST_CASE("tape: nodes the loss does not reach are skipped (float64, cpu)") {
  Tensor x = leaf({1, 2}, {2}), unused = leaf({5, 5}, {2});
  Tensor other = exp(unused);  // recorded, but not part of the loss
  backward(sum(x * 2.0));
  CHECK(x.grad().to_vector() == std::vector<double>{2, 2});
  CHECK_FALSE(unused.grad().defined());
  (void)other;
}

TEST_CASE("tape: misuse is explained (float64, cpu)") {
  Tensor x = leaf({1, 2}, {2});
  CHECK_THROWS_WITH_AS(backward(x * 2.0), doctest::Contains("backward: the loss must have one element, got shape [2]"),
                       Error);
  tape().clear();
  CHECK_THROWS_WITH_AS(Tensor::ones({2}, DType::I64).set_requires_grad(),
                       doctest::Contains("only floating-point tensors can require grad"), Error);
  CHECK_THROWS_WITH_AS(x.grad().numel(), doctest::Contains("use of an undefined tensor"), Error);
}

TEST_CASE("tape: backward with a seed gradient for a non-scalar output (float64, cpu)") {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = x * 3.0;
  tape().backward(y, Tensor::from_vector({1, 10}, {2}, DType::F64));
  CHECK(x.grad().to_vector() == std::vector<double>{3, 30});
}

TEST_CASE("tape: gradcheck of a small composed network (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  Tensor x = test::uniform({4, 3}, -1, 1, 21).set_requires_grad();
  Tensor w = test::uniform({1, 3}, -1, 1, 22).set_requires_grad();
  Tensor b = test::uniform({4, 1}, -1, 1, 23).set_requires_grad();
  test::gradcheck("sigmoid(x * w + b) / sum", [](V in) {
    Tensor h = sigmoid(in[0] * in[1] + in[2]);
    return h / sum(h, 1, true) + mean(log(h + 1.0), 0);
  }, {x, w, b});
}
