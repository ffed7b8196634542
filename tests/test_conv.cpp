// conv2d and conv_transpose2d: shape rules, hand-computed answers (Sobel on a ramp, a
// deconv stamping its kernel), a direct-loop reference, the adjoint identity, float64
// gradcheck over several geometries, the 1x1 fast path, CUDA parity, errors.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <omp.h>

#include "core/cpu/kernels_cpu.h"
#include "core/ops/conv.h"
#include "core/ops/matmul.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;
using V = const std::vector<Tensor>&;

// The conv_transpose2d options of the adjoint of conv2d(opt) on an H x W image: the output
// padding restores the rows and columns the conv's floor division dropped.
static ConvTranspose2dOptions adjoint_options(const Conv2dOptions& o, int64_t H, int64_t W, int64_t kH, int64_t kW) {
  ConvTranspose2dOptions t;
  t.stride_h = o.stride_h;
  t.stride_w = o.stride_w;
  t.pad_h = o.pad_h;
  t.pad_w = o.pad_w;
  t.dilation_h = o.dilation_h;
  t.dilation_w = o.dilation_w;
  t.output_pad_h = int((H + 2 * o.pad_h - o.dilation_h * (kH - 1) - 1) % o.stride_h);
  t.output_pad_w = int((W + 2 * o.pad_w - o.dilation_w * (kW - 1) - 1) % o.stride_w);
  return t;
}

// conv2d straight from its definition, one loop per index: the reference for im2col.
static std::vector<double> conv2d_by_definition(const Tensor& x, const Tensor& w, const Conv2dOptions& o,
                                                const Shape& out) {
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector();
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t K = w.size(0), kH = w.size(2), kW = w.size(3), Ho = out[2], Wo = out[3];
  std::vector<double> y(out.numel(), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t oh = 0; oh < Ho; ++oh)
        for (int64_t ow = 0; ow < Wo; ++ow)
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < kH; ++i)
              for (int64_t j = 0; j < kW; ++j) {
                const int64_t h = oh * o.stride_h - o.pad_h + i * o.dilation_h;
                const int64_t v = ow * o.stride_w - o.pad_w + j * o.dilation_w;
                if (h < 0 || h >= H || v < 0 || v >= W) continue;
                y[((n * K + k) * Ho + oh) * Wo + ow] +=
                    wv[((k * C + c) * kH + i) * kW + j] * xv[((n * C + c) * H + h) * W + v];
              }
  return y;
}

static double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> av = a.to_vector(), bv = b.to_vector();
  REQUIRE(av.size() == bv.size());
  double total = 0;
  for (size_t i = 0; i < av.size(); ++i) total += av[i] * bv[i];
  return total;
}

// ---- shape rules ----

TEST_CASE("conv2d: output shape follows PyTorch's formula (float32, cpu)") {
  Tensor w3 = Tensor::ones({8, 3, 3, 3});
  CHECK(conv2d(Tensor::ones({1, 3, 9, 9}), w3, Tensor()).shape() == Shape{1, 8, 7, 7});
  CHECK(conv2d(Tensor::ones({3, 3, 9, 9}), w3, Tensor(), Conv2dOptions(2, 1)).shape() == Shape{3, 8, 5, 5});
  CHECK(conv2d(Tensor::ones({3, 3, 10, 10}), w3, Tensor(), Conv2dOptions(2, 1)).shape() == Shape{3, 8, 5, 5});
  CHECK(conv2d(Tensor::ones({1, 3, 9, 9}), w3, Tensor(), Conv2dOptions(1, 2, 2)).shape() == Shape{1, 8, 9, 9});
  // Ho = (7 + 2 - 2 - 1) / 2 + 1 = 4, Wo = (10 + 0 - 2*(2-1) - 1) / 3 + 1 = 3
  Tensor w = Tensor::ones({4, 2, 3, 2});
  CHECK(conv2d(Tensor::ones({3, 2, 7, 10}), w, Tensor::ones({4}), Conv2dOptions(2, 3, 1, 0, 1, 2)).shape() ==
        Shape{3, 4, 4, 3});
  CHECK(conv2d(Tensor::ones({1, 2, 1, 1}), Tensor::ones({5, 2, 1, 1}), Tensor()).shape() == Shape{1, 5, 1, 1});
}

TEST_CASE("conv_transpose2d: output shape follows PyTorch's formula (float32, cpu)") {
  // SimpleBaseline's deconv: kernel 4, stride 2, padding 1 doubles the size
  Tensor w4 = Tensor::ones({4, 2, 4, 4});
  CHECK(conv_transpose2d(Tensor::ones({1, 4, 8, 6}), w4, Tensor(), ConvTranspose2dOptions(2, 1)).shape() ==
        Shape{1, 2, 16, 12});
  CHECK(conv_transpose2d(Tensor::ones({3, 4, 5, 5}), w4, Tensor::ones({2})).shape() == Shape{3, 2, 8, 8});
  // (5 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 10: output_padding picks 10 over 9
  Tensor w3 = Tensor::ones({4, 2, 3, 3});
  CHECK(conv_transpose2d(Tensor::ones({1, 4, 5, 5}), w3, Tensor(), ConvTranspose2dOptions(2, 1, 1)).shape() ==
        Shape{1, 2, 10, 10});
  // output_padding >= stride is allowed when < dilation: (5 - 1) - 0 + 2*2 + 1 + 1 = 10
  CHECK(conv_transpose2d(Tensor::ones({1, 4, 5, 5}), w3, Tensor(), ConvTranspose2dOptions(1, 0, 1, 2)).shape() ==
        Shape{1, 2, 10, 10});
  // and conv2d with the same options maps both 9 and 10 back to 5
  Tensor back = Tensor::ones({4, 2, 3, 3});
  CHECK(conv2d(Tensor::ones({1, 2, 10, 10}), back, Tensor(), Conv2dOptions(2, 1)).shape() == Shape{1, 4, 5, 5});
  CHECK(conv2d(Tensor::ones({1, 2, 9, 9}), back, Tensor(), Conv2dOptions(2, 1)).shape() == Shape{1, 4, 5, 5});
}

// ---- known answers ----

TEST_CASE("conv2d: Sobel filters on a ramp give the slopes (float64, cpu)") {
  // x[h, w] = 2w + 3h. Sobel-x weighs the columns -1, 0, +1 by 1, 2, 1 per row, so it sees
  // (1 + 2 + 1) * (x[w+1] - x[w-1]) = 4 * 2 * 2 = 16 inside the image, and Sobel-y 4 * 2 * 3 = 24.
  std::vector<double> ramp;
  for (int h = 0; h < 5; ++h)
    for (int w = 0; w < 6; ++w) ramp.push_back(2 * w + 3 * h);
  Tensor x = Tensor::from_vector(ramp, {1, 1, 5, 6}, DType::F64);
  Tensor sobel = Tensor::from_vector({-1, 0, 1, -2, 0, 2, -1, 0, 1,     // d/dw
                                      -1, -2, -1, 0, 0, 0, 1, 2, 1},   // d/dh
                                     {2, 1, 3, 3}, DType::F64);
  Tensor bias = Tensor::from_vector({1, -1}, {2}, DType::F64);

  Tensor valid = conv2d(x, sobel, bias);
  REQUIRE(valid.shape() == Shape{1, 2, 3, 4});
  std::vector<double> expected(12, 17.0);
  expected.resize(24, 23.0);
  CHECK(valid.to_vector() == expected);

  // With padding 1 the corner window (0, 0) covers x[-1..1, -1..1], zero outside: Sobel-x
  // adds 2 * x[0, 1] + 1 * x[1, 1] = 2*2 + 5 = 9, Sobel-y adds 2 * x[1, 0] + x[1, 1] = 6 + 5 = 11.
  Tensor padded = conv2d(x, sobel, bias, Conv2dOptions(1, 1));
  REQUIRE(padded.shape() == Shape{1, 2, 5, 6});
  std::vector<double> p = padded.to_vector();
  CHECK(p[0] == 9.0 + 1);
  CHECK(p[30] == 11.0 - 1);
  CHECK(p[1 * 6 + 2] == 17.0);  // an inner pixel: the slope again
}

TEST_CASE("conv_transpose2d: a one-hot input stamps the kernel at stride offsets (float64, cpu)") {
  // out[h*s - p + i, w*s - p + j] += x[h, w] * k[i, j]: x = 2 at (1, 2) of a 2x3 input puts
  // 2k at rows 2..3, columns 4..5 of the 4x6 output (stride 2, no padding).
  Tensor x = Tensor::from_vector({0, 0, 0, 0, 0, 2}, {1, 1, 2, 3}, DType::F64);
  Tensor k = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}, DType::F64);
  Tensor y = conv_transpose2d(x, k, Tensor(), ConvTranspose2dOptions(2, 0));
  REQUIRE(y.shape() == Shape{1, 1, 4, 6});
  CHECK(y.to_vector() == std::vector<double>{0, 0, 0, 0, 0, 0,  //
                                             0, 0, 0, 0, 0, 0,  //
                                             0, 0, 0, 0, 2, 4,  //
                                             0, 0, 0, 0, 6, 8});
  // padding 1 trims one row/column from every side: rows 1..2 and columns 3..4 remain
  Tensor trimmed = conv_transpose2d(x, k, Tensor::from_vector({10}, {1}, DType::F64), ConvTranspose2dOptions(2, 1));
  REQUIRE(trimmed.shape() == Shape{1, 1, 2, 4});
  CHECK(trimmed.to_vector() == std::vector<double>{10, 10, 10, 10, 10, 10, 10, 12});
}

// ---- the im2col kernels against the definition ----

struct Geometry {
  std::string name;
  Shape x, w;  // x [N, Cin, H, W], conv weight [Cout, Cin, kH, kW]
  Conv2dOptions opt;
};

static std::vector<Geometry> small_geometries() {
  return {
      {"3x3 pad 1", {2, 3, 5, 6}, {2, 3, 3, 3}, Conv2dOptions(1, 1)},
      {"3x3 stride 2, leftover row", {2, 3, 5, 6}, {2, 3, 3, 3}, Conv2dOptions(2, 0)},
      {"2x3 mixed stride/pad/dilation", {2, 3, 5, 6}, {2, 3, 2, 3}, Conv2dOptions(2, 1, 1, 0, 1, 2)},
      {"1x1 pointwise", {2, 3, 5, 6}, {2, 3, 1, 1}, Conv2dOptions()},
      {"1x1 pointwise, batch 1 (no im2col)", {1, 3, 5, 6}, {2, 3, 1, 1}, Conv2dOptions()},
      {"1x1 stride 2", {1, 3, 5, 6}, {2, 3, 1, 1}, Conv2dOptions(2, 0)},
      {"4x4 stride 2 pad 1, batch 3", {3, 2, 6, 5}, {2, 2, 4, 4}, Conv2dOptions(2, 1)},
      {"3x3 dilation 2 pad 2, batch 1", {1, 2, 7, 6}, {3, 2, 3, 3}, Conv2dOptions(1, 2, 2)},
  };
}

// The largest difference between conv2d (with a bias) and the definition, on uniform inputs.
static double error_against_definition(const Geometry& c) {
  Tensor x = uniform(c.x, -1, 1, 1), w = uniform(c.w, -1, 1, 2), b = uniform({c.w[0]}, -1, 1, 3);
  Tensor y = conv2d(x, w, b, c.opt);
  const std::vector<double> ref = conv2d_by_definition(x, w, c.opt, y.shape()), got = y.to_vector();
  const std::vector<double> bv = b.to_vector();
  const int64_t P = y.size(2) * y.size(3);
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::fabs(ref[i] + bv[i / P % c.w[0]] - got[i]));
  return worst;
}

TEST_CASE("conv2d: im2col + GEMM matches the definition (float64, cpu)") {
  std::vector<Geometry> cases = small_geometries();
  // The CPU kernel folds ceil(512 / P) images into one GEMM (kGemmWidth in core/cpu/conv.cpp):
  // P = 225 makes chunks of 3 + 2 images, P = 144 chunks of 4 + 1, and P = 576 one image each.
  // (A 3x3 stride-1 conv of that size would go to Winograd, tested below.)
  cases.push_back({"5x5 pad 2, 15x15, batch 5", {5, 2, 15, 15}, {3, 2, 5, 5}, Conv2dOptions(1, 2)});
  cases.push_back({"1x1, 12x12, batch 5", {5, 4, 12, 12}, {2, 4, 1, 1}, Conv2dOptions()});
  cases.push_back({"1x1, 24x24, batch 3", {3, 4, 24, 24}, {2, 4, 1, 1}, Conv2dOptions()});
  for (const Geometry& c : cases) {
    CAPTURE(c.name);
    CHECK(error_against_definition(c) < 1e-12);
  }
}

// conv_transpose2d is the adjoint of conv2d with the same weight and geometry.
TEST_CASE("conv_transpose2d: <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> (float64, cpu)") {
  for (const Geometry& c : small_geometries()) {
    CAPTURE(c.name);
    Tensor x = uniform(c.x, -1, 1, 4), w = uniform(c.w, -1, 1, 5);
    Tensor conv_x = conv2d(x, w, Tensor(), c.opt);
    Tensor y = uniform(conv_x.shape(), -1, 1, 6);
    Tensor deconv_y = conv_transpose2d(y, w, Tensor(), adjoint_options(c.opt, c.x[2], c.x[3], c.w[2], c.w[3]));
    REQUIRE(deconv_y.shape() == x.shape());
    CHECK(dot(conv_x, y) == doctest::Approx(dot(x, deconv_y)).epsilon(1e-12));
  }
}

TEST_CASE("conv2d: a 1x1 kernel is a matmul over channels (float64, cpu)") {
  // One image: the CPU kernel skips im2col and multiplies x as it is.
  Tensor x = uniform({1, 5, 4, 3}, -1, 1, 7), w = uniform({6, 5, 1, 1}, -1, 1, 8);
  Tensor y = conv2d(x, w, Tensor());
  Tensor expected = matmul(reshape(w, {6, 5}), reshape(x, {5, 12}));
  CHECK(test::max_abs_diff(reshape(y, {6, 12}), expected) < 1e-14);
}

// ---- Winograd F(2x2, 3x3): the CPU's 3x3 stride-1 convs with enough 2x2 output tiles ----

static ConvGeometry geometry_of(const Geometry& c) {
  const Conv2dOptions& o = c.opt;
  const int64_t Ho = (c.x[2] + 2 * o.pad_h - o.dilation_h * (c.w[2] - 1) - 1) / o.stride_h + 1;
  const int64_t Wo = (c.x[3] + 2 * o.pad_w - o.dilation_w * (c.w[3] - 1) - 1) / o.stride_w + 1;
  return {c.x[0], c.x[1], c.x[2], c.x[3], c.w[0], Ho, Wo, c.w[2], c.w[3],
          o.stride_h, o.stride_w, o.pad_h, o.pad_w, o.dilation_h, o.dilation_w};
}

// Odd sizes (a last tile half outside the output), each padding 0-2, unequal channel
// counts, and images cut into several blocks of tile rows with a shorter last one (blocks of
// about 64 tiles forward, 256 for the filter gradient, kForwardBlockTiles and
// kFilterBlockTiles in core/cpu/conv_winograd.cpp: 21 rows of 15 tiles make blocks of 4 rows,
// 4 + ... + 4 + 1, and of 17 rows, 17 + 4), or blocks of several whole images (5 images of 30
// tiles: 2 + 2 + 1 forward on two threads).
static std::vector<Geometry> winograd_geometries() {
  return {
      {"pad 1, 15x13, batch 5", {5, 3, 15, 13}, {4, 3, 3, 3}, Conv2dOptions(1, 1)},
      {"pad 0 x 2, 12x9, batch 5", {5, 2, 12, 9}, {3, 2, 3, 3}, Conv2dOptions(1, 1, 0, 2, 1, 1)},
      {"pad 2 x 0, 9x14, batch 6", {6, 3, 9, 14}, {2, 3, 3, 3}, Conv2dOptions(1, 1, 2, 0, 1, 1)},
      {"pad 1, 42x30, batch 3 (blocks of tile rows)", {3, 2, 42, 30}, {3, 2, 3, 3}, Conv2dOptions(1, 1)},
  };
}

TEST_CASE("conv2d: Winograd takes the 3x3 stride-1 convs with enough tiles, im2col the rest (cpu)") {
  for (const Geometry& c : winograd_geometries()) {
    CAPTURE(c.name);
    CHECK(winograd_fits(geometry_of(c)));
  }
  // ResNet-50's layer4 at batch 8: 8 images of 4x3 tiles, too few for 16 narrow GEMMs
  CHECK_FALSE(winograd_fits(geometry_of({"8x6", {8, 512, 8, 6}, {512, 512, 3, 3}, Conv2dOptions(1, 1)})));
  CHECK(winograd_fits(geometry_of({"8x6", {32, 512, 8, 6}, {512, 512, 3, 3}, Conv2dOptions(1, 1)})));
  for (const Conv2dOptions& o : {Conv2dOptions(2, 1), Conv2dOptions(1, 3), Conv2dOptions(1, 2, 2)}) {
    CAPTURE(o.stride_h);
    CAPTURE(o.pad_h);
    CHECK_FALSE(winograd_fits(geometry_of({"", {8, 16, 40, 40}, {16, 16, 3, 3}, o})));
  }
  CHECK_FALSE(winograd_fits(geometry_of({"5x5", {8, 16, 40, 40}, {16, 16, 5, 5}, Conv2dOptions(1, 2)})));
}

// 4x4 stride-2 convs with padding 1 on an even map (the deconvs' shape, conv_winograd_s2.cpp):
// an odd small map (a last tile half outside), unequal channel counts, two blocks of tile
// rows per image (30 rows of 9 tiles, blocks of about 256 tiles: 28 + 2 rows), and blocks of
// several whole images with a shorter last one (17 images of 16 tiles: 16 + 1 on one thread,
// 8 + 8 + 1 on two, 5 + 5 + 5 + 2 on three).
static std::vector<Geometry> winograd_s2_geometries() {
  return {
      {"30x26 -> 15x13, batch 5", {5, 3, 30, 26}, {2, 3, 4, 4}, Conv2dOptions(2, 1)},
      {"120x36 -> 60x18, batch 2 (blocks of tile rows)", {2, 2, 120, 36}, {3, 2, 4, 4}, Conv2dOptions(2, 1)},
      {"16x16 -> 8x8, batch 17 (blocks of images)", {17, 2, 16, 16}, {3, 2, 4, 4}, Conv2dOptions(2, 1)},
  };
}

TEST_CASE("conv2d: Winograd 4x4/2 takes the deconvs' shape with enough tiles, im2col the rest (cpu)") {
  for (const Geometry& c : winograd_s2_geometries()) {
    CAPTURE(c.name);
    CHECK(winograd_s2_fits(geometry_of(c)));
    CHECK_FALSE(winograd_fits(geometry_of(c)));
  }
  // ResNet-50's deconv1 at batch 8 (16x12 -> 8x6: 8 images of 4x3 tiles) is too small; deconv2 fits
  CHECK_FALSE(winograd_s2_fits(geometry_of({"deconv1", {8, 256, 16, 12}, {2048, 256, 4, 4}, Conv2dOptions(2, 1)})));
  CHECK(winograd_s2_fits(geometry_of({"deconv2", {8, 256, 32, 24}, {256, 256, 4, 4}, Conv2dOptions(2, 1)})));
  // small maps, however many: 8x8 -> 4x4 has 4 tiles an image; 16x16 -> 8x8 has 16, enough from batch 16 on
  CHECK_FALSE(winograd_s2_fits(geometry_of({"", {64, 256, 8, 8}, {256, 256, 4, 4}, Conv2dOptions(2, 1)})));
  CHECK_FALSE(winograd_s2_fits(geometry_of({"", {8, 256, 16, 16}, {256, 256, 4, 4}, Conv2dOptions(2, 1)})));
  CHECK(winograd_s2_fits(geometry_of({"", {16, 256, 16, 16}, {256, 256, 4, 4}, Conv2dOptions(2, 1)})));
  // an odd large map, other paddings or strides, other filters
  CHECK_FALSE(winograd_s2_fits(geometry_of({"", {3, 3, 31, 26}, {2, 3, 4, 4}, Conv2dOptions(2, 1)})));
  CHECK_FALSE(winograd_s2_fits(geometry_of({"", {3, 3, 30, 26}, {2, 3, 4, 4}, Conv2dOptions(2, 0)})));
  CHECK_FALSE(winograd_s2_fits(geometry_of({"", {3, 3, 30, 26}, {2, 3, 4, 4}, Conv2dOptions(1, 1)})));
  CHECK_FALSE(winograd_s2_fits(geometry_of({"", {3, 3, 30, 26}, {2, 3, 3, 3}, Conv2dOptions(2, 1)})));
}

TEST_CASE("conv2d: SAR_CPU_CONV=im2col turns Winograd off; other values are refused by name (float64, cpu)") {
  const Geometry c = winograd_geometries()[0];
  Tensor x = uniform(c.x, -1, 1, 40), w = uniform(c.w, -1, 1, 41);
  const Tensor winograd = conv2d(x, w, Tensor(), c.opt);
  struct UnsetOnExit {  // whatever fails below, later tests see the variable unset
    ~UnsetOnExit() { unsetenv("SAR_CPU_CONV"); }
  } unset_on_exit;
  setenv("SAR_CPU_CONV", "im2col", 1);
  CHECK_FALSE(winograd_fits(geometry_of(c)));
  CHECK_FALSE(winograd_s2_fits(geometry_of(winograd_s2_geometries()[0])));
  const Tensor im2col = conv2d(x, w, Tensor(), c.opt);
  setenv("SAR_CPU_CONV", "winograd", 1);
  CHECK_THROWS_WITH_AS(winograd_fits(geometry_of(c)), doctest::Contains("SAR_CPU_CONV must be auto or im2col"),
                       Error);
  setenv("SAR_CPU_CONV", "auto", 1);
  CHECK(winograd_fits(geometry_of(c)));
  unsetenv("SAR_CPU_CONV");
  CHECK(test::max_abs_diff(winograd, im2col) < 1e-12);
  CHECK(test::max_abs_diff(winograd, im2col) > 0);  // two algorithms: not the same rounding
}

TEST_CASE("conv2d: Winograd matches the definition, and conv_transpose2d stays its adjoint (float64, cpu)") {
  for (const Geometry& c : winograd_geometries()) {
    CAPTURE(c.name);
    CHECK(error_against_definition(c) < 1e-12);
    // conv_transpose2d's forward is conv2d's backward data, the flipped-filter Winograd
    Tensor x = uniform(c.x, -1, 1, 31), w = uniform(c.w, -1, 1, 32);
    Tensor y_seed = uniform(conv2d(x, w, Tensor(), c.opt).shape(), -1, 1, 34);
    Tensor back = conv_transpose2d(y_seed, w, Tensor(), adjoint_options(c.opt, c.x[2], c.x[3], 3, 3));
    CHECK(dot(conv2d(x, w, Tensor(), c.opt), y_seed) == doctest::Approx(dot(x, back)).epsilon(1e-12));
  }
}

static void compare_with_im2col_on_threads(const Geometry& c) {
  const ConvGeometry g = geometry_of(c);
  const std::vector<double> x = uniform(c.x, -1, 1, 42).to_vector(), w = uniform(c.w, -1, 1, 43).to_vector();
  const std::vector<double> dy = uniform({g.N, g.Cy, g.Ho, g.Wo}, -1, 1, 44).to_vector();
  struct Answers {
    std::vector<double> y, dx, dw;
  };
  const auto run = [&] {
    Answers a{std::vector<double>(dy.size()), std::vector<double>(x.size()), std::vector<double>(w.size())};
    conv2d_forward_cpu<double>(a.y.data(), x.data(), w.data(), nullptr, g);
    conv2d_backward_data_cpu<double>(a.dx.data(), dy.data(), w.data(), nullptr, g);
    conv2d_backward_filter_cpu<double>(a.dw.data(), dy.data(), x.data(), g);
    return a;
  };
  const auto max_diff = [](const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
    return worst;
  };
  setenv("SAR_CPU_CONV", "im2col", 1);
  const Answers im2col = run();
  unsetenv("SAR_CPU_CONV");
  REQUIRE((winograd_fits(g) || winograd_s2_fits(g)));
  const int threads_before = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    omp_set_num_threads(threads);
    const Answers winograd = run();
    CHECK(max_diff(winograd.y, im2col.y) < 1e-12);
    CHECK(max_diff(winograd.dx, im2col.dx) < 1e-12);
    CHECK(max_diff(winograd.dw, im2col.dw) < 1e-12);
  }
  omp_set_num_threads(threads_before);
}

// The blocks depend on the thread count (no thread is left without one), and the filter
// gradient is summed per thread: each count must give im2col's answer, in both algorithms.
TEST_CASE("conv2d: Winograd gives im2col's answers on 1, 2 and 3 threads (float64, cpu)") {
  for (const Geometry& c : {winograd_geometries()[1], winograd_geometries()[3], winograd_s2_geometries()[1],
                            winograd_s2_geometries()[2]}) {
    CAPTURE(c.name);
    compare_with_im2col_on_threads(c);
  }
}

TEST_CASE("conv2d: Winograd gradcheck of x, weight and bias (float64, cpu)") {
  test::GradcheckOptions sampled;
  sampled.max_elements = 30;
  for (const Geometry& c : winograd_geometries()) {
    const Conv2dOptions opt = c.opt;
    test::gradcheck("conv2d Winograd " + c.name, [opt](V in) { return conv2d(in[0], in[1], in[2], opt); },
                    {uniform(c.x, -1, 1, 35).set_requires_grad(), uniform(c.w, -1, 1, 36).set_requires_grad(),
                     uniform({c.w[0]}, -1, 1, 37).set_requires_grad()},
                    sampled);
  }
}

// Through both ops that take this shape: conv2d (stride 2) and conv_transpose2d, whose forward
// is conv2d's backward data and whose backward runs conv2d's forward and filter gradient.
TEST_CASE("conv2d and conv_transpose2d: Winograd 4x4/2 gradcheck of x, weight and bias (float64, cpu)") {
  test::GradcheckOptions sampled;
  sampled.max_elements = 30;
  for (const Geometry& c : winograd_s2_geometries()) {
    const Conv2dOptions opt = c.opt;
    test::gradcheck("conv2d Winograd 4x4/2 " + c.name, [opt](V in) { return conv2d(in[0], in[1], in[2], opt); },
                    {uniform(c.x, -1, 1, 45).set_requires_grad(), uniform(c.w, -1, 1, 46).set_requires_grad(),
                     uniform({c.w[0]}, -1, 1, 47).set_requires_grad()},
                    sampled);
    const Shape small = conv2d(uniform(c.x, -1, 1, 45), uniform(c.w, -1, 1, 46), Tensor(), opt).shape();
    const ConvTranspose2dOptions t = adjoint_options(opt, c.x[2], c.x[3], 4, 4);
    test::gradcheck("conv_transpose2d Winograd 4x4/2 " + c.name,
                    [t](V in) { return conv_transpose2d(in[0], in[1], in[2], t); },
                    {uniform(small, -1, 1, 48).set_requires_grad(), uniform(c.w, -1, 1, 49).set_requires_grad(),
                     uniform({c.w[1]}, -1, 1, 50).set_requires_grad()},
                    sampled);
  }
}

// A float32 answer's largest error against the float64 one must stay within 1e-6 of the
// output's scale (its largest magnitude).
static void check_float32_error(const std::string& what, const Tensor& ref64, const Tensor& got32) {
  const std::vector<double> ref = ref64.to_vector(), got = got32.to_vector();
  double worst = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    worst = std::max(worst, std::fabs(ref[i] - got[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  MESSAGE(what, " float32: max error ", worst, " at output scale ", scale);
  CHECK(worst < 1e-6 * scale);
}

// float32: the transforms add up to 4 inputs (or filter taps) before each product, so the
// rounding grows a little over im2col's; on a ResNet-like conv (64 channels, He-scaled
// weights) it stays within a few 1e-7 of the output's scale.
TEST_CASE("conv2d: Winograd in float32 stays within 1e-6 of the scale of the float64 answer (cpu)") {
  const Geometry c{"64 channels, 24x20, batch 2", {2, 64, 24, 20}, {64, 64, 3, 3}, Conv2dOptions(1, 1)};
  REQUIRE(winograd_fits(geometry_of(c)));
  const double bound = std::sqrt(6.0 / (64 * 9));  // He-uniform
  Tensor x = uniform(c.x, -1, 1, 38), w = uniform(c.w, -bound, bound, 39);
  check_float32_error("Winograd", conv2d(x, w, Tensor(), c.opt),
                      conv2d(x.to(DType::F32), w.to(DType::F32), Tensor(), c.opt));
}

// The deconv shape: conv_transpose2d 64 -> 64 channels, 16x12 -> 32x24, batch 6 (288 tiles).
TEST_CASE("conv_transpose2d: Winograd 4x4/2 in float32 stays within 1e-6 of the scale of the float64 answer (cpu)") {
  REQUIRE(winograd_s2_fits(geometry_of({"", {6, 64, 32, 24}, {64, 64, 4, 4}, Conv2dOptions(2, 1)})));
  const double bound = std::sqrt(6.0 / (64 * 16));
  Tensor x = uniform({6, 64, 16, 12}, -1, 1, 51), w = uniform({64, 64, 4, 4}, -bound, bound, 52);
  const ConvTranspose2dOptions opt(2, 1);
  check_float32_error("Winograd 4x4/2", conv_transpose2d(x, w, Tensor(), opt),
                      conv_transpose2d(x.to(DType::F32), w.to(DType::F32), Tensor(), opt));
}

// ---- gradients ----

TEST_CASE("conv2d: gradcheck of x, weight and bias (float64, cpu)") {
  for (const Geometry& c : small_geometries()) {
    const Conv2dOptions opt = c.opt;
    test::gradcheck("conv2d " + c.name, [opt](V in) { return conv2d(in[0], in[1], in[2], opt); },
                    {uniform(c.x, -1, 1, 9).set_requires_grad(), uniform(c.w, -1, 1, 10).set_requires_grad(),
                     uniform({c.w[0]}, -1, 1, 11).set_requires_grad()});
  }
  // several images per GEMM with a partial last chunk (see the im2col test), sampled
  test::GradcheckOptions sampled;
  sampled.max_elements = 40;
  test::gradcheck("conv2d 5x5 15x15 batch 5", [](V in) { return conv2d(in[0], in[1], in[2], Conv2dOptions(1, 2)); },
                  {uniform({5, 2, 15, 15}, -1, 1, 12).set_requires_grad(),
                   uniform({3, 2, 5, 5}, -1, 1, 13).set_requires_grad(), uniform({3}, -1, 1, 14).set_requires_grad()},
                  sampled);
  test::gradcheck("conv2d 1x1 12x12 batch 5", [](V in) { return conv2d(in[0], in[1], in[2], Conv2dOptions()); },
                  {uniform({5, 4, 12, 12}, -1, 1, 15).set_requires_grad(),
                   uniform({2, 4, 1, 1}, -1, 1, 16).set_requires_grad(), uniform({2}, -1, 1, 17).set_requires_grad()},
                  sampled);
}

TEST_CASE("conv_transpose2d: gradcheck of x, weight and bias (float64, cpu)") {
  struct Case {
    std::string name;
    Shape x, w;  // x [N, Cin, H, W], weight [Cin, Cout, kH, kW]
    ConvTranspose2dOptions opt;
  };
  ConvTranspose2dOptions mixed;  // stride 2x1, padding 1x0, output_padding 1x0, dilation 1x2
  mixed.stride_h = 2;
  mixed.pad_h = 1;
  mixed.output_pad_h = 1;
  mixed.dilation_w = 2;
  const std::vector<Case> cases = {
      {"4x4 stride 2 pad 1", {2, 3, 5, 6}, {3, 2, 4, 4}, ConvTranspose2dOptions(2, 1)},
      {"3x3 stride 2 output_padding 1", {2, 3, 4, 3}, {3, 2, 3, 3}, ConvTranspose2dOptions(2, 1, 1)},
      {"2x3 mixed", {1, 3, 4, 5}, {3, 2, 2, 3}, mixed},
      {"1x1 pointwise, batch 3", {3, 3, 5, 6}, {3, 2, 1, 1}, ConvTranspose2dOptions()},
      {"1x1 pointwise, batch 1 (no im2col)", {1, 3, 5, 6}, {3, 2, 1, 1}, ConvTranspose2dOptions()},
      {"output_padding >= stride, < dilation", {2, 2, 4, 3}, {2, 3, 3, 3}, ConvTranspose2dOptions(1, 0, 1, 2)},
  };
  for (const Case& c : cases) {
    const ConvTranspose2dOptions opt = c.opt;
    test::gradcheck("conv_transpose2d " + c.name,
                    [opt](V in) { return conv_transpose2d(in[0], in[1], in[2], opt); },
                    {uniform(c.x, -1, 1, 15).set_requires_grad(), uniform(c.w, -1, 1, 16).set_requires_grad(),
                     uniform({c.w[1]}, -1, 1, 17).set_requires_grad()});
  }
}

TEST_CASE("conv2d: backward makes only the gradients asked for (float64, cpu)") {
  Tensor x = uniform({2, 3, 5, 6}, -1, 1, 18), w = uniform({2, 3, 3, 3}, -1, 1, 19).set_requires_grad();
  test::gradcheck("conv2d, weight only", [](V in) { return conv2d(in[0], in[1], Tensor(), Conv2dOptions(2, 1)); },
                  {x, w});
  CHECK_FALSE(x.grad().defined());
  Tensor xd = uniform({2, 3, 5, 6}, -1, 1, 20).set_requires_grad(), wd = uniform({3, 2, 4, 4}, -1, 1, 21);
  Tensor bd = uniform({2}, -1, 1, 22);
  test::gradcheck("conv_transpose2d, x only",
                  [](V in) { return conv_transpose2d(in[0], in[1], in[2], ConvTranspose2dOptions(2, 1)); },
                  {xd, wd, bd});
  CHECK_FALSE(wd.grad().defined());
  CHECK_FALSE(bd.grad().defined());
}

// ---- CUDA ----

CUDA_TEST_CASE("conv2d: CUDA matches CPU over several geometries (float32, cuda)") {
  // cuDNN may pick Winograd or FFT algorithms, whose float32 rounding differs from a GEMM's
  // by up to ~1e-4 of the largest values (here up to ~10); a wrong index or a lost tap or
  // bias differs by O(0.1-1).
  test::ParityOptions tol;
  tol.atol = 1e-3;
  tol.rtol = 1e-3;
  std::vector<Geometry> cases = small_geometries();
  cases.push_back({"ResNet stem 7x7 stride 2 pad 3", {2, 3, 33, 30}, {16, 3, 7, 7}, Conv2dOptions(2, 3)});
  cases.push_back({"3x3 pad 1, 64 channels", {3, 64, 17, 13}, {32, 64, 3, 3}, Conv2dOptions(1, 1)});
  cases.push_back({"1x1, 64 -> 256", {2, 64, 12, 9}, {256, 64, 1, 1}, Conv2dOptions()});
  for (const Geometry& c : cases) {
    const Conv2dOptions opt = c.opt;
    Tensor x = uniform(c.x, -1, 1, 23).set_requires_grad(), w = uniform(c.w, -1, 1, 24).set_requires_grad();
    test::parity("conv2d " + c.name, [opt](V in) { return conv2d(in[0], in[1], in[2], opt); },
                 {x, w, uniform({c.w[0]}, -1, 1, 25).set_requires_grad()}, tol);
    test::parity("conv2d " + c.name + ", no bias", [opt](V in) { return conv2d(in[0], in[1], Tensor(), opt); },
                 {x, w}, tol);
  }
}

CUDA_TEST_CASE("conv_transpose2d: CUDA matches CPU, SimpleBaseline's 4x4 stride-2 deconv included (float32, cuda)") {
  test::ParityOptions tol;  // as for conv2d above
  tol.atol = 1e-3;
  tol.rtol = 1e-3;
  struct Case {
    std::string name;
    Shape x, w;
    ConvTranspose2dOptions opt;
  };
  const std::vector<Case> cases = {
      {"4x4 stride 2 pad 1 (SimpleBaseline)", {2, 64, 8, 6}, {64, 32, 4, 4}, ConvTranspose2dOptions(2, 1)},
      {"3x3 stride 2 output_padding 1", {3, 5, 7, 4}, {5, 4, 3, 3}, ConvTranspose2dOptions(2, 1, 1)},
      {"1x1", {1, 6, 5, 7}, {6, 3, 1, 1}, ConvTranspose2dOptions()},
      {"3x3 dilation 2", {2, 4, 6, 5}, {4, 2, 3, 3}, ConvTranspose2dOptions(1, 1, 0, 2)},
  };
  for (const Case& c : cases) {
    const ConvTranspose2dOptions opt = c.opt;
    test::parity("conv_transpose2d " + c.name, [opt](V in) { return conv_transpose2d(in[0], in[1], in[2], opt); },
                 {uniform(c.x, -1, 1, 26).set_requires_grad(), uniform(c.w, -1, 1, 27).set_requires_grad(),
                  uniform({c.w[1]}, -1, 1, 28).set_requires_grad()},
                 tol);
  }
}

CUDA_TEST_CASE("conv2d: repeated shapes reuse the cached plan and give the same result (float32, cuda)") {
  Tensor x = uniform({2, 8, 9, 9}, -1, 1, 29, DType::F32).to(Device::CUDA);
  Tensor w = uniform({4, 8, 3, 3}, -1, 1, 30, DType::F32).to(Device::CUDA);
  Tensor first = conv2d(x, w, Tensor(), Conv2dOptions(2, 1));
  conv2d(uniform({1, 8, 20, 20}, -1, 1, 31, DType::F32).to(Device::CUDA), w, Tensor());  // another plan between
  Tensor again = conv2d(x, w, Tensor(), Conv2dOptions(2, 1));
  CHECK(test::max_abs_diff(first, again) < 1e-6);
}

CUDA_TEST_CASE("conv_transpose2d: output_padding >= stride is refused on CUDA by name (float32, cuda)") {
  // allowed (output_padding 1 < dilation 2) and computed on the CPU, but cuDNN cannot
  Tensor x = Tensor::ones({1, 2, 4, 3}, DType::F32, Device::CUDA);
  Tensor w = Tensor::ones({2, 3, 3, 3}, DType::F32, Device::CUDA);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, w, Tensor(), ConvTranspose2dOptions(1, 0, 1, 2)),
                       doctest::Contains("conv_transpose2d: output_padding >= stride runs on the CPU only"), Error);
}

// ---- errors ----

TEST_CASE("conv2d: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 9, 9});
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 4, 3, 3}), Tensor()),
                       doctest::Contains("conv2d: weight must be [Cout, Cin, kH, kW] with Cin = 3 (x is [2, 3, 9, 9]), "
                                         "got [8, 4, 3, 3]"),
                       Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3}), Tensor()),
                       doctest::Contains("conv2d: weight must be [Cout, Cin, kH, kW]"), Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({3, 9, 9}), Tensor::ones({8, 3, 3, 3}), Tensor()),
                       doctest::Contains("conv2d: x must be [N, Cin, H, W], got [3, 9, 9]"), Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({0, 3, 9, 9}), Tensor::ones({8, 3, 3, 3}), Tensor()),
                       doctest::Contains("conv2d: x must have every size >= 1, got [0, 3, 9, 9]"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3, 3}), Tensor::ones({4})),
                       doctest::Contains("conv2d: bias must be [Cout] = [8], got [4]"), Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({1, 1, 5, 5}), Tensor::ones({1, 1, 7, 7}), Tensor()),
                       doctest::Contains("conv2d: output would be empty: input 5x5, kernel 7x7 (dilation 1), "
                                         "padding 0"),
                       Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3, 3}), Tensor(), Conv2dOptions(0, 1)),
                       doctest::Contains("conv2d: stride must be >= 1, got 0x0"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3, 3}), Tensor(), Conv2dOptions(1, -1)),
                       doctest::Contains("conv2d: padding must be >= 0, got -1x-1"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3, 3}), Tensor(), Conv2dOptions(1, 0, 0)),
                       doctest::Contains("conv2d: dilation must be >= 1, got 0x0"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3, 3}, DType::F64), Tensor()),
                       doctest::Contains("conv2d: x is float32 but weight is float64"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones({8, 3, 3, 3}), Tensor::ones({8}, DType::F64)),
                       doctest::Contains("conv2d: x is float32 but bias is float64"), Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({2, 3, 9, 9}, DType::I64), Tensor::ones({8, 3, 3, 3}), Tensor()),
                       doctest::Contains("conv2d: x must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor(), Tensor()), doctest::Contains("conv2d: weight is an undefined tensor"),
                       Error);
}

TEST_CASE("conv_transpose2d: bad inputs are refused by name (float32, cpu)") {
  Tensor x = Tensor::ones({2, 3, 4, 4});
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::ones({2, 3, 4, 4}), Tensor()),
                       doctest::Contains("conv_transpose2d: weight must be [Cin, Cout, kH, kW] with Cin = 3 "
                                         "(x is [2, 3, 4, 4]), got [2, 3, 4, 4]"),
                       Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::ones({3, 2, 4, 4}), Tensor::ones({3})),
                       doctest::Contains("conv_transpose2d: bias must be [Cout] = [2], got [3]"), Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::ones({3, 2, 4, 4}), Tensor(), ConvTranspose2dOptions(2, 1, 2)),
                       doctest::Contains("conv_transpose2d: output_padding must be >= 0 and smaller than stride or "
                                         "dilation, got output_padding 2 with stride 2, dilation 1 (height)"),
                       Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(Tensor::ones({1, 1, 1, 1}), Tensor::ones({1, 1, 1, 1}), Tensor(),
                                        ConvTranspose2dOptions(1, 1)),
                       doctest::Contains("conv_transpose2d: output would be empty: input 1x1, kernel 1x1 "
                                         "(dilation 1), stride 1, padding 1, output_padding 0 give -1x-1"),
                       Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::ones({3, 2, 4, 4}), Tensor(), ConvTranspose2dOptions(0, 1)),
                       doctest::Contains("conv_transpose2d: stride must be >= 1"), Error);
}
