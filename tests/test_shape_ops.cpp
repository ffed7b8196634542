// Shape ops: shape rules, known values, views, float64 gradcheck, CUDA parity, errors.
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;
using V = const std::vector<Tensor>&;

// Random int64 indices in [0, R), with repeats, so gather's backward must add.
static Tensor random_index(const Shape& shape, int64_t R, uint64_t seed) {
  return uniform(shape, 0, double(R), seed).to(DType::I64);  // the cast truncates: [0, R) -> 0..R-1
}

// d(sum(f(x)))/dx for one CPU input: how often each element of x reaches the output.
static std::vector<double> grad_of_sum(const Tensor& x, const std::function<Tensor(const Tensor&)>& f) {
  x.zero_grad();
  backward(sum(f(x)));
  return x.grad().to_vector();
}

// ---- reshape ----

TEST_CASE("reshape: -1 is inferred and the result is a view (float32, cpu)") {
  Tensor x = Tensor::arange(24);
  Tensor y = reshape(x, {2, -1, 4});
  CHECK(y.shape() == Shape{2, 3, 4});
  CHECK(reshape(x, {-1}).shape() == Shape{24});
  CHECK(y.raw_data() == x.raw_data());
  y.data<float>()[5] = 100;  // a write through the view is seen by x
  CHECK(x.to_vector()[5] == 100);
}

TEST_CASE("reshape: gradcheck (float64, cpu)") {
  Tensor x = uniform({2, 3, 5, 4}, -1, 1, 1).set_requires_grad();
  test::gradcheck("reshape", [](V in) { return reshape(in[0], {6, -1}); }, {x});
}

TEST_CASE("reshape: bad dims are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({4, 6});
  CHECK_THROWS_WITH_AS(reshape(x, {-1, -1}), doctest::Contains("reshape: only one dim may be -1"), Error);
  CHECK_THROWS_WITH_AS(reshape(x, {5, -1}), doctest::Contains("reshape: cannot infer the -1 dim"), Error);
  CHECK_THROWS_WITH_AS(reshape(x, {5, 5}), doctest::Contains("reshape: cannot view [4, 6]"), Error);
  CHECK_THROWS_WITH_AS(reshape(Tensor(), {1}), doctest::Contains("reshape: x is an undefined tensor"), Error);
}

// ---- permute, transpose ----

TEST_CASE("permute: output dim d is input dim order[d] (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 5, 4});
  CHECK(permute(x, {2, 0, 3, 1}).shape() == Shape{5, 2, 4, 3});
  CHECK(permute(x, {-1, 0, 1, 2}).shape() == Shape{4, 2, 3, 5});
  CHECK(transpose(x, 1, -1).shape() == Shape{2, 4, 5, 3});
  CHECK(transpose(Tensor::arange(6), 0, 0).to_vector() == Tensor::arange(6).to_vector());
}

TEST_CASE("permute: known values (float64 and int64, cpu)") {
  Tensor m = Tensor::arange(6, DType::F64);
  CHECK(transpose(reshape(m, {2, 3}), 0, 1).to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
  // x[a, b, c] = 12a + 4b + c, so out[c, a, b] must hold that same value.
  for (DType dt : {DType::F64, DType::I64}) {
    Tensor out = permute(reshape(Tensor::arange(24, dt), {2, 3, 4}), {2, 0, 1});
    REQUIRE(out.shape() == Shape{4, 2, 3});
    CHECK(out.dtype() == dt);
    std::vector<double> v = out.to_vector();
    for (int c = 0; c < 4; ++c)
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 3; ++b) CHECK(v[(c * 2 + a) * 3 + b] == 12 * a + 4 * b + c);
  }
}

TEST_CASE("permute: gradcheck (float64, cpu)") {
  auto x = [] { return uniform({2, 3, 5, 4}, -1, 1, 2).set_requires_grad(); };
  test::gradcheck("permute", [](V in) { return permute(in[0], {2, 0, 3, 1}); }, {x()});
  test::gradcheck("transpose", [](V in) { return transpose(in[0], 1, -1); }, {x()});
}

CUDA_TEST_CASE("permute: CUDA matches CPU (float32, cuda)") {
  // 1155 elements: not a multiple of the block size.
  auto x = [] { return uniform({3, 7, 11, 5}, -1, 1, 3).set_requires_grad(); };
  test::parity("permute", [](V in) { return permute(in[0], {3, 1, 0, 2}); }, {x()});
  test::parity("transpose", [](V in) { return transpose(in[0], 0, 2); }, {x()});
}

CUDA_TEST_CASE("permute: 8-byte elements match the CPU (float64 and int64, cuda)") {
  for (DType dt : {DType::F64, DType::I64}) {
    Tensor x = uniform({3, 7, 11, 5}, -50, 50, 4).to(dt);
    Tensor gpu = permute(x.to(Device::CUDA), {3, 1, 0, 2});
    REQUIRE(gpu.is_cuda());
    test::check_close("permute", permute(x, {3, 1, 0, 2}), gpu, 0, 0);
  }
}

TEST_CASE("permute: bad orders are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 4});
  CHECK_THROWS_WITH_AS(permute(x, {0, 0, 1}),
                       doctest::Contains("permute: order [0, 0, 1] is not a permutation of 3 dims"), Error);
  CHECK_THROWS_WITH_AS(permute(x, {1, 0}), doctest::Contains("permute: order [1, 0] is not a permutation of 3 dims"),
                       Error);
  CHECK_THROWS_WITH_AS(permute(x, {0, 1, 3}), doctest::Contains("is not a permutation"), Error);
  CHECK_THROWS_WITH_AS(transpose(x, 0, 3), doctest::Contains("transpose: axis 3 is out of range"), Error);
  CHECK_THROWS_WITH_AS(permute(Tensor(), {}), doctest::Contains("permute: x is an undefined tensor"), Error);
}

// ---- concat ----

TEST_CASE("concat: shapes add up along the axis (float32, cpu)") {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({2, 4}), c = Tensor::ones({5, 3});
  CHECK(concat({a, b}, 1).shape() == Shape{2, 7});
  CHECK(concat({a, b, a}, -1).shape() == Shape{2, 10});
  CHECK(concat({a, c}, 0).shape() == Shape{7, 3});
  CHECK(concat({a}, 0).shape() == Shape{2, 3});
}

TEST_CASE("concat: known values (float64, cpu)") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 2}, DType::F64);
  Tensor b = Tensor::from_vector({5, 6}, {2, 1}, DType::F64);
  Tensor c = Tensor::from_vector({7, 8}, {1, 2}, DType::F64);
  CHECK(concat({a, b}, 1).to_vector() == std::vector<double>{1, 2, 5, 3, 4, 6});
  CHECK(concat({a, c}, 0).to_vector() == std::vector<double>{1, 2, 3, 4, 7, 8});
  CHECK(concat({b, a}, 1).to_vector() == std::vector<double>{5, 1, 2, 6, 3, 4});
}

TEST_CASE("concat: gradcheck (float64, cpu)") {
  Tensor a = uniform({2, 3, 5, 4}, -1, 1, 5).set_requires_grad();
  Tensor b = uniform({2, 1, 5, 4}, -1, 1, 6).set_requires_grad();
  Tensor c = uniform({2, 2, 5, 4}, -1, 1, 7).set_requires_grad();
  test::gradcheck("concat axis 1", [](V in) { return concat({in[0], in[1], in[2]}, 1); }, {a, b, c});
  Tensor d = uniform({2, 3, 5, 3}, -1, 1, 8).set_requires_grad();
  test::gradcheck("concat axis 3", [](V in) { return concat({in[0], in[1]}, 3); }, {a, d});
  Tensor e = uniform({3, 3, 5, 4}, -1, 1, 9).set_requires_grad();
  test::gradcheck("concat axis 0", [](V in) { return concat({in[0], in[1]}, 0); }, {a, e});
  Tensor constant = uniform({2, 3, 5, 4}, -1, 1, 10);  // needs no gradient: gets none
  test::gradcheck("concat with a constant", [](V in) { return concat({in[1], in[0]}, 2); }, {a, constant});
}

CUDA_TEST_CASE("concat: CUDA matches CPU (float32, cuda)") {
  auto a = [] { return uniform({3, 7, 33}, -1, 1, 11).set_requires_grad(); };
  auto b = [] { return uniform({3, 5, 33}, -1, 1, 12).set_requires_grad(); };
  auto c = [] { return uniform({3, 7, 9}, -1, 1, 13).set_requires_grad(); };
  test::parity("concat axis 1", [](V in) { return concat({in[0], in[1]}, 1); }, {a(), b()});
  test::parity("concat axis 2", [](V in) { return concat({in[0], in[1]}, 2); }, {a(), c()});
  test::parity("concat axis 0", [](V in) { return concat({in[0], in[1]}, 0); }, {a(), a()});
}

TEST_CASE("concat: bad inputs are refused by name (float32, cpu)") {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({2, 4});
  CHECK_THROWS_WITH_AS(concat({a, b}, 0),
                       doctest::Contains("concat: input 1 has shape [2, 4] but input 0 has [2, 3]; all dims but axis 0 "
                                         "must match"),
                       Error);
  CHECK_THROWS_WITH_AS(concat({a, Tensor::ones({2, 3, 1})}, 1),
                       doctest::Contains("concat: input 1 has shape [2, 3, 1]"), Error);
  CHECK_THROWS_WITH_AS(concat({a, Tensor::ones({2, 3}, DType::F64)}, 1),
                       doctest::Contains("concat: input 1 is float64 but input 0 is float32"), Error);
  CHECK_THROWS_WITH_AS(concat({}, 0), doctest::Contains("concat: needs at least one tensor"), Error);
  CHECK_THROWS_WITH_AS(concat({a, Tensor()}, 0), doctest::Contains("concat: input 1 is an undefined tensor"), Error);
  CHECK_THROWS_WITH_AS(concat({a, b}, 2), doctest::Contains("concat: axis 2 is out of range"), Error);
}

// ---- slice ----

TEST_CASE("slice: known values along each axis (float32, cpu)") {
  Tensor x = reshape(Tensor::arange(20), {4, 5});
  Tensor cols = slice(x, 1, 1, 3);
  CHECK(cols.shape() == Shape{4, 2});
  CHECK(cols.to_vector() == std::vector<double>{1, 2, 6, 7, 11, 12, 16, 17});
  CHECK(slice(x, -1, 4, 5).to_vector() == std::vector<double>{4, 9, 14, 19});
  CHECK(slice(x, 0, 2, 4).to_vector() == std::vector<double>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
  CHECK(slice(x, 1, 2, 2).shape() == Shape{4, 0});
}

TEST_CASE("slice: along axis 0 is a view that still records a node (float64, cpu)") {
  Tensor x = reshape(Tensor::arange(20, DType::F64), {4, 5}).clone().set_requires_grad();
  size_t nodes = tape().size();
  Tensor rows = slice(x, 0, 1, 3);
  CHECK(tape().size() == nodes + 1);
  CHECK(rows.raw_data() == static_cast<double*>(x.raw_data()) + 5);
  tape().clear();
  // Rows 1 and 2 reached the output, rows 0 and 3 did not.
  std::vector<double> g = grad_of_sum(x, [](const Tensor& t) { return slice(t, 0, 1, 3); });
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 5; ++c) CHECK(g[r * 5 + c] == (r == 1 || r == 2 ? 1.0 : 0.0));
}

TEST_CASE("slice: gradcheck (float64, cpu)") {
  auto x = [] { return uniform({2, 3, 5, 4}, -1, 1, 14).set_requires_grad(); };
  test::gradcheck("slice axis 0", [](V in) { return slice(in[0], 0, 1, 2); }, {x()});
  test::gradcheck("slice axis 1", [](V in) { return slice(in[0], 1, 1, 3); }, {x()});
  test::gradcheck("slice axis 3", [](V in) { return slice(in[0], 3, 0, 3); }, {x()});
}

CUDA_TEST_CASE("slice: CUDA matches CPU (float32, cuda)") {
  auto x = [] { return uniform({5, 7, 33}, -1, 1, 15).set_requires_grad(); };
  test::parity("slice axis 0", [](V in) { return slice(in[0], 0, 1, 4); }, {x()});
  test::parity("slice axis 1", [](V in) { return slice(in[0], 1, 2, 7); }, {x()});
  test::parity("slice axis 2", [](V in) { return slice(in[0], 2, 3, 30); }, {x()});
}

TEST_CASE("slice: bad bounds are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({4, 5});
  CHECK_THROWS_WITH_AS(slice(x, 1, 3, 9), doctest::Contains("slice: [3, 9) out of range for axis 1 of size 5"), Error);
  CHECK_THROWS_WITH_AS(slice(x, 1, 3, 2), doctest::Contains("slice: [3, 2) out of range"), Error);
  CHECK_THROWS_WITH_AS(slice(x, 0, -1, 2), doctest::Contains("slice: negative bounds are not supported"), Error);
  CHECK_THROWS_WITH_AS(slice(x, 2, 0, 1), doctest::Contains("slice: axis 2 is out of range"), Error);
}

// ---- gather ----

TEST_CASE("gather: the output has the index's shape (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 5});
  CHECK(gather(x, 1, Tensor::zeros({2, 7, 5}, DType::I64)).shape() == Shape{2, 7, 5});
  CHECK(gather(x, -1, Tensor::zeros({2, 3, 1}, DType::I64)).shape() == Shape{2, 3, 1});
}

TEST_CASE("gather: known values, as torch.gather (float64, cpu)") {
  Tensor t = Tensor::from_vector({1, 2, 3, 4}, {2, 2}, DType::F64);
  // out[i][j] = t[i][index[i][j]]
  CHECK(gather(t, 1, Tensor::from_vector({0, 0, 1, 0}, {2, 2}, DType::I64)).to_vector() ==
        std::vector<double>{1, 1, 4, 3});
  // out[i][j] = t[index[i][j]][j]
  CHECK(gather(t, 0, Tensor::from_vector({1, 0, 0, 0, 1, 1}, {3, 2}, DType::I64)).to_vector() ==
        std::vector<double>{3, 2, 1, 2, 3, 4});
}

TEST_CASE("gather: an element picked twice gets both gradients (float64, cpu)") {
  Tensor x = Tensor::from_vector({10, 20, 30}, {3}, DType::F64).set_requires_grad();
  Tensor index = Tensor::from_vector({0, 0, 2}, {3}, DType::I64);
  CHECK(grad_of_sum(x, [&](const Tensor& t) { return gather(t, 0, index); }) == std::vector<double>{2, 0, 1});
}

TEST_CASE("gather: gradcheck (float64, cpu)") {
  Tensor x = uniform({2, 3, 5, 4}, -1, 1, 16).set_requires_grad();
  Tensor along2 = random_index({2, 3, 7, 4}, 5, 17);
  Tensor along0 = random_index({3, 3, 5, 4}, 2, 18);
  test::gradcheck("gather axis 2", [&](V in) { return gather(in[0], 2, along2); }, {x});
  test::gradcheck("gather axis 0", [&](V in) { return gather(in[0], 0, along0); }, {x});
}

CUDA_TEST_CASE("gather: CUDA matches CPU (float32, cuda)") {
  auto x = [] { return uniform({3, 7, 33}, -1, 1, 19).set_requires_grad(); };
  // More picks than rows along axis 1, so the backward's atomicAdd meets collisions.
  test::parity("gather axis 1", [](V in) { return gather(in[0], 1, in[1]); }, {x(), random_index({3, 11, 33}, 7, 20)});
  test::parity("gather axis 2", [](V in) { return gather(in[0], 2, in[1]); }, {x(), random_index({3, 7, 5}, 33, 21)});
}

CUDA_TEST_CASE("gather: an out-of-range index throws on CUDA too (float32, cuda)") {
  Tensor x = Tensor::ones({2, 5}, DType::F32, Device::CUDA);
  Tensor index = Tensor::from_vector({0, 1, 9, 2}, {2, 2}, DType::I64, Device::CUDA);
  CHECK_THROWS_WITH_AS(gather(x, 1, index), doctest::Contains("gather: index value 9 is out of range [0, 5)"), Error);
  // The error flag is reset per call: a good index afterwards works.
  Tensor good = Tensor::from_vector({4, 0, 1, 2}, {2, 2}, DType::I64, Device::CUDA);
  CHECK(gather(x, 1, good).to_vector() == std::vector<double>{1, 1, 1, 1});
}

TEST_CASE("gather: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({2, 5});
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::zeros({2, 2})),
                       doctest::Contains("gather: index must be int64, got float32"), Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::zeros({3, 2}, DType::I64)),
                       doctest::Contains("gather: index has shape [3, 2] but x has [2, 5]; all dims but axis 1 "
                                         "must match"),
                       Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::zeros({2}, DType::I64)), doctest::Contains("gather: index has shape [2]"),
                       Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::from_vector({0, 5}, {2, 1}, DType::I64)),
                       doctest::Contains("gather: index value 5 is out of range [0, 5)"), Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::from_vector({-1, 0}, {2, 1}, DType::I64)),
                       doctest::Contains("gather: index value -1 is out of range [0, 5)"), Error);
  CHECK_THROWS_WITH_AS(gather(Tensor::ones({2}, DType::I64), 0, Tensor::zeros({2}, DType::I64)),
                       doctest::Contains("gather: x must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(gather(x, 2, Tensor::zeros({2, 5}, DType::I64)),
                       doctest::Contains("gather: axis 2 is out of range"), Error);
}

// ---- compositions ----

TEST_CASE("concat of two overlapping slices: the overlap gets both gradients (float64, cpu)") {
  // Columns 2 and 3 are in both slices.
  auto diamond = [](const Tensor& t) { return concat({slice(t, 1, 0, 4), slice(t, 1, 2, 6)}, 1); };
  Tensor x = uniform({3, 6}, -1, 1, 22).set_requires_grad();
  std::vector<double> g = grad_of_sum(x, diamond);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 6; ++c) CHECK(g[r * 6 + c] == (c == 2 || c == 3 ? 2.0 : 1.0));
  test::gradcheck("diamond along axis 1", [&](V in) { return diamond(in[0]); }, {x});
  // Along axis 0 both slices are views of x's storage.
  auto rows = [](V in) { return concat({slice(in[0], 0, 0, 2), slice(in[0], 0, 1, 3)}, 0); };
  test::gradcheck("diamond along axis 0", rows, {x});
}

CUDA_TEST_CASE("concat of two overlapping slices: CUDA matches CPU (float32, cuda)") {
  auto x = [] { return uniform({5, 7, 33}, -1, 1, 23).set_requires_grad(); };
  test::parity("diamond", [](V in) { return concat({slice(in[0], 1, 0, 5), slice(in[0], 1, 3, 7)}, 1); }, {x()});
}
