// upsample_nearest2d and upsample_bilinear2d: shape rules, hand-computed values (PyTorch's
// source coordinates for both align_corners settings, up and down), backward by hand, float64
// gradcheck, CUDA parity, errors.
#include "core/ops/upsample.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

static Tensor image(const std::vector<double>& values, int64_t H, int64_t W) {
  return Tensor::from_vector(values, {1, 1, H, W}, DType::F64);
}

static void check_values(const Tensor& t, const std::vector<double>& expected) {
  std::vector<double> v = t.to_vector();
  REQUIRE(v.size() == expected.size());
  for (size_t i = 0; i < v.size(); ++i) {
    CAPTURE(i);
    CHECK(v[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  }
}

TEST_CASE("upsample: output shapes (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 4, 5});
  CHECK(upsample_nearest2d(x, 2).shape() == Shape{2, 3, 8, 10});
  CHECK(upsample_nearest2d(x, 8).shape() == Shape{2, 3, 32, 40});
  CHECK(upsample_nearest2d(x, 1).shape() == Shape{2, 3, 4, 5});
  CHECK(upsample_bilinear2d(x, 7, 9).shape() == Shape{2, 3, 7, 9});
  CHECK(upsample_bilinear2d(x, 1, 2, true).shape() == Shape{2, 3, 1, 2});
}

TEST_CASE("upsample_nearest2d: hand-computed values and block-sum backward (float64, cpu)") {
  Tensor x = image({1, 2, 3, 4}, 2, 2).set_requires_grad();
  Tensor y = upsample_nearest2d(x, 2);
  CHECK(y.to_vector() == std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // dy = 0..15 over the 4x4 output; each input sums its 2x2 block: 0+1+4+5, 2+3+6+7, ...
  tape().backward(y, Tensor::arange(16, DType::F64).view_as_shape({1, 1, 4, 4}));
  CHECK(x.grad().to_vector() == std::vector<double>{10, 18, 42, 50});
  CHECK(upsample_nearest2d(image({5, 6}, 1, 2), 3).to_vector() ==
        std::vector<double>{5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6});
}

TEST_CASE("upsample_bilinear2d: hand-computed values as PyTorch gives them (float64, cpu)") {
  Tensor x = image({1, 2, 3, 4}, 2, 2);
  // align_corners=False: src = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge)
  check_values(upsample_bilinear2d(x, 4, 4, false), {1.0, 1.25, 1.75, 2.0,  //
                                                     1.5, 1.75, 2.25, 2.5,  //
                                                     2.5, 2.75, 3.25, 3.5,  //
                                                     3.0, 3.25, 3.75, 4.0});
  // align_corners=True: the corners stay, src = d * (2 - 1) / (3 - 1)
  check_values(upsample_bilinear2d(x, 3, 3, true), {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
  // A non-integer ratio, 3 -> 5: src = (d + 0.5) * 0.6 - 0.5 = 0 (clamped), 0.4, 1.0, 1.6, 2.2 (edge)
  check_values(upsample_bilinear2d(image({0, 10, 20}, 1, 3), 1, 5, false), {0, 4, 10, 16, 20});
  // Downsampling 4 -> 2: src = 0.5 and 2.5 (align_corners=False), 0 and 3 (True)
  Tensor row = image({0, 1, 2, 3}, 1, 4);
  check_values(upsample_bilinear2d(row, 1, 2, false), {0.5, 2.5});
  check_values(upsample_bilinear2d(row, 1, 2, true), {0, 3});
  // One output: the centre (src = 1.5) without aligned corners, the first element with them
  check_values(upsample_bilinear2d(row, 1, 1, false), {1.5});
  check_values(upsample_bilinear2d(row, 1, 1, true), {0});
  // The same size is the identity in both settings
  Tensor z = uniform({2, 3, 5, 4}, -1, 1, 1);
  CHECK(test::max_abs_diff(upsample_bilinear2d(z, 5, 4, false), z) == 0);
  CHECK(test::max_abs_diff(upsample_bilinear2d(z, 5, 4, true), z) < 1e-15);
}

TEST_CASE("upsample_bilinear2d: hand-computed backward, edge included (float64, cpu)") {
  // [a, b] -> 4 outputs: a, 0.75a + 0.25b, 0.25a + 0.75b, b (the last clamps both neighbours to b).
  Tensor x = image({1, 2}, 1, 2).set_requires_grad();
  tape().backward(upsample_bilinear2d(x, 1, 4), image({1, 10, 100, 1000}, 1, 4));
  check_values(x.grad(), {1 + 7.5 + 25, 2.5 + 75 + 1000});
}

TEST_CASE("upsample: gradcheck (float64, cpu)") {
  using V = const std::vector<Tensor>&;
  Tensor x = uniform({2, 3, 5, 4}, -1, 1, 2).set_requires_grad();
  for (int scale : {2, 3}) {
    test::gradcheck("upsample_nearest2d x" + std::to_string(scale),
                    [scale](V in) { return upsample_nearest2d(in[0], scale); }, {x});
  }
  struct Size {
    int h, w;
  };
  for (Size size : {Size{7, 9}, Size{3, 2}, Size{5, 4}, Size{1, 1}, Size{10, 3}}) {
    for (bool align : {false, true}) {
      std::string what = "upsample_bilinear2d to " + std::to_string(size.h) + "x" + std::to_string(size.w) +
                         (align ? " align_corners" : "");
      test::gradcheck(what, [size, align](V in) { return upsample_bilinear2d(in[0], size.h, size.w, align); }, {x});
    }
  }
}

CUDA_TEST_CASE("upsample: CUDA matches CPU (float32, cuda)") {
  using V = const std::vector<Tensor>&;
  // 2*3*9*7 = 378 inputs: not a multiple of the block size, nor are the outputs.
  Tensor x = uniform({2, 3, 9, 7}, -1, 1, 3).set_requires_grad();
  for (int scale : {2, 4, 8}) {
    test::parity("upsample_nearest2d x" + std::to_string(scale),
                 [scale](V in) { return upsample_nearest2d(in[0], scale); }, {x});
  }
  Tensor z = uniform({3, 5, 13, 11}, -1, 1, 4).set_requires_grad();
  struct Size {
    int h, w;
  };
  for (Size size : {Size{29, 23}, Size{64, 48}, Size{7, 5}, Size{13, 11}, Size{1, 3}}) {
    for (bool align : {false, true}) {
      std::string what = "upsample_bilinear2d [3, 5, 13, 11] to " + std::to_string(size.h) + "x" +
                         std::to_string(size.w) + (align ? " align_corners" : "");
      test::parity(what, [size, align](V in) { return upsample_bilinear2d(in[0], size.h, size.w, align); }, {z});
    }
  }
}

TEST_CASE("upsample: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({1, 2, 4, 4});
  CHECK_THROWS_WITH_AS(upsample_nearest2d(Tensor::ones({2, 4, 4}), 2),
                       doctest::Contains("upsample_nearest2d: x must be [N, C, H, W], got [2, 4, 4]"), Error);
  CHECK_THROWS_WITH_AS(upsample_nearest2d(x, 0), doctest::Contains("upsample_nearest2d: scale must be >= 1, got 0"),
                       Error);
  CHECK_THROWS_WITH_AS(upsample_nearest2d(Tensor::ones({1, 2, 4, 4}, DType::I64), 2),
                       doctest::Contains("upsample_nearest2d: x must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(upsample_bilinear2d(Tensor::ones({4, 4}), 8, 8),
                       doctest::Contains("upsample_bilinear2d: x must be [N, C, H, W], got [4, 4]"), Error);
  CHECK_THROWS_WITH_AS(upsample_bilinear2d(x, 0, 8),
                       doctest::Contains("upsample_bilinear2d: out_h and out_w must be >= 1, got 0 and 8"), Error);
  CHECK_THROWS_WITH_AS(upsample_bilinear2d(Tensor::ones({1, 2, 0, 4}), 8, 8),
                       doctest::Contains("upsample_bilinear2d: x must have H, W >= 1, got [1, 2, 0, 4]"), Error);
}
