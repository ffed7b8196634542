// Reductions: shapes, known values, ties, gradcheck, sum_to, CUDA parity, errors.
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "core/ops/reduce.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

TEST_CASE("sum/mean/max: shapes with and without keepdim (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 5});
  CHECK(sum(x, 1).shape() == Shape{2, 5});
  CHECK(sum(x, -1, true).shape() == Shape{2, 3, 1});
  CHECK(mean(x, 0).shape() == Shape{3, 5});
  CHECK(max(x, 2).shape() == Shape{2, 3});
  CHECK(sum(x).shape() == Shape{});
  CHECK(sum(x).item() == 30.0);
}

TEST_CASE("sum/mean/max: known values (float64, cpu)") {
  Tensor x = Tensor::from_vector({1, 5, 3, 4, 2, 6}, {2, 3}, DType::F64);
  CHECK(sum(x, 0).to_vector() == std::vector<double>{5, 7, 9});
  CHECK(sum(x, 1).to_vector() == std::vector<double>{9, 12});
  CHECK(mean(x, 1).to_vector() == std::vector<double>{3, 4});
  CHECK(mean(x).item() == 3.5);
  CHECK(max(x, 1).to_vector() == std::vector<double>{5, 6});
  CHECK(max(x, 0).to_vector() == std::vector<double>{4, 5, 6});
  CHECK(max(x).item() == 6.0);
  CHECK(argmax(x, 1).to_vector() == std::vector<double>{1, 2});
  CHECK(argmax(Tensor::from_vector({2, 7, 7, 1}, {4}), 0).item() == 1.0);  // ties: lowest index
}

TEST_CASE("sum/mean/max: gradcheck over every axis (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  for (int axis = 0; axis < 4; ++axis) {
    Tensor x = uniform({2, 3, 5, 4}, -1, 1, 30 + axis).set_requires_grad();
    test::gradcheck("sum axis " + std::to_string(axis), [axis](V in) { return sum(in[0], axis); }, {x});
    test::gradcheck("mean axis " + std::to_string(axis), [axis](V in) { return mean(in[0], axis, true); }, {x});
    // random values are distinct, so max is differentiable where we evaluate it
    test::gradcheck("max axis " + std::to_string(axis), [axis](V in) { return max(in[0], axis); }, {x});
  }
  Tensor x = uniform({3, 4}, -1, 1, 40).set_requires_grad();
  test::gradcheck("sum all", [](V in) { return sum(in[0]); }, {x});
  test::gradcheck("mean all", [](V in) { return mean(in[0]); }, {x});
  test::gradcheck("max all", [](V in) { return max(in[0]); }, {x});
}

TEST_CASE("sum_to: undoes broadcasting (float64, cpu)") {
  Tensor g = Tensor::ones({4, 2, 3}, DType::F64);
  CHECK(sum_to(g, {2, 3}).to_vector() == std::vector<double>(6, 4.0));
  CHECK(sum_to(g, {2, 1}).to_vector() == std::vector<double>{12, 12});
  CHECK(sum_to(g, {1, 1, 3}).shape() == Shape{1, 1, 3});
  CHECK(sum_to(g, {}).item() == 24.0);
  CHECK(sum_to(g, {4, 2, 3}).same(g));
  // two shapes that do not broadcast, and one that broadcasts to more than the tensor's shape
  CHECK_THROWS_WITH_AS(sum_to(g, {5}), doctest::Contains("sum_to: shapes [5] and [4, 2, 3] do not broadcast"), Error);
  CHECK_THROWS_WITH_AS(sum_to(Tensor::ones({2, 3}, DType::F64), {4, 2, 3}),
                       doctest::Contains("sum_to: [2, 3] is not a broadcast of [4, 2, 3]"), Error);
}

// Rows of 777 (more than a CUDA block's threads) with NaNs, and the same values as columns, so
// that max over axis 1 of the first and axis 0 of the second take the two CUDA kernel paths.
// Row 0: NaNs at 2 and 600 (other threads of a CUDA block), the largest number 5 at 258;
// row 1: NaNs first and at 500, 7 at 300.
static std::pair<Tensor, Tensor> rows_and_columns_with_nans() {
  const int64_t R = 777;
  std::vector<double> rows(2 * R, 0.0), columns(2 * R, 0.0);
  rows[2] = rows[600] = rows[R] = rows[R + 500] = NAN;
  rows[258] = 5;
  rows[R + 300] = 7;
  for (int64_t r = 0; r < R; ++r)
    for (int64_t k = 0; k < 2; ++k) columns[r * 2 + k] = rows[k * R + r];
  return {Tensor::from_vector(rows, {2, R}), Tensor::from_vector(columns, {R, 2})};
}

// max's NaN rule (max_ranks_before): a NaN propagates, the first one of a row being the max
// and its arg-max, wherever it stands (row 0's at index 2, past a larger 5 at 258); a row
// without NaN keeps its maximum.
static void check_max_with_nans(const Tensor& rows, const Tensor& columns) {
  for (int axis : {1, 0}) {
    CAPTURE(axis);
    const Tensor& x = axis == 1 ? rows : columns;
    const std::vector<double> m = max(x, axis).to_vector();
    CHECK(std::isnan(m[0]));
    CHECK(std::isnan(m[1]));
    CHECK(argmax(x, axis).to_vector() == std::vector<double>{2, 0});
  }
  Tensor clean = Tensor::from_vector({1, 7, 7, 2}, {1, 4}).to(rows.device());
  CHECK(max(clean, 1).to_vector() == std::vector<double>{7});
  CHECK(argmax(clean, 1).to_vector() == std::vector<double>{1});
}

CUDA_TEST_CASE("sum/mean/max: CUDA matches CPU on both kernel paths (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  test::ParityOptions loose;
  loose.atol = 1e-4;  // float sums of a few thousand terms in different orders
  // Last axis (block per row, R > block size and not a multiple of it) and middle axis (thread per output).
  Tensor x = uniform({3, 7, 1000}, -1, 1, 50).set_requires_grad();
  for (int axis : {2, 1, 0}) {
    std::string a = std::to_string(axis);
    test::parity("sum axis " + a, [axis](V in) { return sum(in[0], axis); }, {x}, loose);
    test::parity("mean axis " + a, [axis](V in) { return mean(in[0], axis); }, {x});  // sums / R: ~1e-8 apart
    test::parity("max axis " + a, [axis](V in) { return max(in[0], axis); }, {x});
  }
  test::parity("sum all", [](V in) { return sum(in[0]); }, {x}, {1e-2, 1e-4, 11});
  // ties: every device picks the lowest index
  Tensor ties = Tensor::from_vector({1, 3, 3, 0, 3, 3, 2, 1}, {2, 4});
  CHECK(argmax(ties.to(Device::CUDA), 1).to_vector() == argmax(ties, 1).to_vector());
  Tensor many = Tensor::ones({2, 777});
  CHECK(argmax(many.to(Device::CUDA), 1).to_vector() == std::vector<double>{0, 0});
  // NaNs: the CPU's rule on both kernel paths
  auto [rows, columns] = rows_and_columns_with_nans();
  check_max_with_nans(rows.to(Device::CUDA), columns.to(Device::CUDA));
}

TEST_CASE("max: a NaN propagates, the first one wins, as in PyTorch (float32, cpu)") {
  auto [rows, columns] = rows_and_columns_with_nans();
  check_max_with_nans(rows, columns);
  rows.set_requires_grad();
  backward(sum(max(rows, 1)));  // the gradient goes to the NaNs that are the maxima
  const std::vector<double> g = rows.grad().to_vector();
  CHECK(g[2] == 1);
  CHECK(g[777] == 1);
  CHECK(std::accumulate(g.begin(), g.end(), 0.0) == 2);
}

TEST_CASE("reductions: bad axes and empty maxima are refused (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3});
  CHECK_THROWS_WITH_AS(sum(x, 2), doctest::Contains("sum: axis 2 is out of range for shape [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(max(Tensor::ones({2, 0}), 1), doctest::Contains("max: cannot take the max over an empty axis"),
                       Error);
  CHECK_THROWS_WITH_AS(mean(Tensor::ones({2}, DType::I64)), doctest::Contains("must be float32 or float64"), Error);
}
