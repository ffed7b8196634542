// sar_decode_topm: shapes, planted maps decoded by hand (m = 1 and m > 1 with gamma), ties,
// saturated logits, a 1x1 map, float32 against float64, CUDA parity for m = 1, 5, 30, errors.
#include <algorithm>
#include <cmath>

#include "core/ops/sar_decode.h"
#include "core/scalar_math.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

static double sigmoid(double s) { return 1.0 / (1.0 + std::exp(-s)); }

// A [N, C, H, W] tensor filled with `fill`, with values planted at (n, c, i, k).
struct Planted {
  int64_t N, C, H, W;
  std::vector<double> v;
  Planted(int64_t N_, int64_t C_, int64_t H_, int64_t W_, double fill)
      : N(N_), C(C_), H(H_), W(W_), v(size_t(N_ * C_ * H_ * W_), fill) {}
  double& at(int64_t n, int64_t c, int64_t i, int64_t k) { return v[size_t(((n * C + c) * H + i) * W + k)]; }
  Tensor tensor(DType dtype = DType::F64) const { return Tensor::from_vector(v, {N, C, H, W}, dtype); }
};

static SarDecodeOptions options(int m, double gamma = 0.0, double stride = 4.0) {
  SarDecodeOptions opt;
  opt.m = m;
  opt.gamma = gamma;
  opt.stride = stride;
  return opt;
}

TEST_CASE("sar_decode_topm: output shapes, dtypes and no tape (float32, cpu)") {
  Tensor logits = uniform({2, 3, 4, 5}, -2, 2, 1, DType::F32).set_requires_grad();
  Tensor offsets = uniform({2, 6, 4, 5}, -0.1, 0.1, 2, DType::F32).set_requires_grad();
  SarDecoded d = sar_decode_topm(offsets, logits, options(7, 0.2));
  CHECK(d.coords.shape() == Shape{2, 3, 7, 2});
  CHECK(d.scores.shape() == Shape{2, 3, 7});
  CHECK(d.count.shape() == Shape{2, 3});
  CHECK(d.coords.dtype() == DType::F32);
  CHECK(d.scores.dtype() == DType::F32);
  CHECK(d.count.dtype() == DType::I64);
  CHECK_FALSE(d.coords.requires_grad());  // inference only: nothing to differentiate
  CHECK_FALSE(d.scores.requires_grad());
}

TEST_CASE("sar_decode_topm: m = 1 finds the planted cells, in input pixels, with score max w_t (float64, cpu)") {
  // Two keypoints on a 4x5 map; every cell at logit -3 except one per keypoint.
  Planted logits(1, 2, 4, 5, -3.0), offsets(1, 4, 4, 5, 0.3);
  logits.at(0, 0, 2, 3) = 2.0;                       // keypoint 0: cell (row, col) = (2, 3)
  offsets.at(0, 0, 2, 3) = 0.05;                     // its o_x (channel 2j)
  offsets.at(0, 1, 2, 3) = -0.1;                     // its o_y (channel 2j + 1)
  logits.at(0, 1, 3, 0) = 0.5;                       // keypoint 1: cell (3, 0)
  offsets.at(0, 2, 3, 0) = -0.2;
  offsets.at(0, 3, 3, 0) = 0.25;
  SarDecoded d = sar_decode_topm(offsets.tensor(), logits.tensor(), options(1));
  std::vector<double> xy = d.coords.to_vector(), score = d.scores.to_vector();
  // x = 4 (col - 5 o_x), y = 4 (row - 4 o_y)
  CHECK(xy[0] == doctest::Approx(4 * (3 - 5 * 0.05)).epsilon(1e-14));   // 11
  CHECK(xy[1] == doctest::Approx(4 * (2 - 4 * -0.1)).epsilon(1e-14));   // 9.6
  CHECK(xy[2] == doctest::Approx(4 * (0 - 5 * -0.2)).epsilon(1e-14));   // 4
  CHECK(xy[3] == doctest::Approx(4 * (3 - 4 * 0.25)).epsilon(1e-14));   // 8
  // score = c_best / sum_t c_t over the 20 cells
  CHECK(score[0] == doctest::Approx(sigmoid(2.0) / (sigmoid(2.0) + 19 * sigmoid(-3.0))).epsilon(1e-14));
  CHECK(score[1] == doctest::Approx(sigmoid(0.5) / (sigmoid(0.5) + 19 * sigmoid(-3.0))).epsilon(1e-14));
  CHECK(d.count.to_vector() == std::vector<double>{1, 1});
  // The stride scales the coordinates and nothing else.
  SarDecoded d8 = sar_decode_topm(offsets.tensor(), logits.tensor(), options(1, 0.0, 8.0));
  CHECK(d8.coords.to_vector()[0] == doctest::Approx(2 * xy[0]).epsilon(1e-14));
  CHECK(d8.scores.to_vector() == score);
}

// One keypoint on a 3x4 map with zero offsets, so cell t = (row, col) decodes to stride * (col, row).
static const std::vector<double> kLogits = {-1, 3, 0.5, -2, 2, 2, -5, 4, 0, 1, -0.1, 0.2};

static void check_candidates(const SarDecoded& d, int m, const std::vector<int>& cells, double stride) {
  std::vector<double> xy = d.coords.to_vector(), score = d.scores.to_vector();
  REQUIRE(d.count.item() == double(cells.size()));
  for (int r = 0; r < m; ++r) {
    CAPTURE(r);
    const bool real = r < int(cells.size());
    const int t = real ? cells[size_t(r)] : 0;
    CHECK(xy[2 * r] == (real ? stride * (t % 4) : 0.0));
    CHECK(xy[2 * r + 1] == (real ? stride * (t / 4) : 0.0));
    CHECK(score[r] == (real ? doctest::Approx(sigmoid(kLogits[size_t(t)])).epsilon(1e-14) : doctest::Approx(0.0)));
  }
}

TEST_CASE("sar_decode_topm: m > 1 returns the best cells above gamma in order, ties to the lower index (float64, cpu)") {
  Tensor logits = Tensor::from_vector(kLogits, {1, 1, 3, 4}, DType::F64);
  Tensor offsets = Tensor::zeros({1, 2, 3, 4}, DType::F64);
  // gamma 0.5 keeps s >= 0 (sigmoid(0) = 0.5 exactly: the bound is inclusive). By logit:
  // 7 (4), 1 (3), 4 and 5 (2, tied: 4 first), 9 (1), 2 (0.5), 11 (0.2), 8 (0).
  check_candidates(sar_decode_topm(offsets, logits, options(5, 0.5, 2.0)), 5, {7, 1, 4, 5, 9}, 2.0);
  // Fewer than m pass: the 8 real ones, then zero slots; count says 8.
  check_candidates(sar_decode_topm(offsets, logits, options(10, 0.5, 2.0)), 10, {7, 1, 4, 5, 9, 2, 11, 8}, 2.0);
  // gamma 0.6 drops s < log(0.6 / 0.4) = 0.405: cells 11 and 8 go.
  check_candidates(sar_decode_topm(offsets, logits, options(8, 0.6, 2.0)), 8, {7, 1, 4, 5, 9, 2}, 2.0);
  // gamma 0 keeps every cell, so all m slots are real.
  check_candidates(sar_decode_topm(offsets, logits, options(12, 0.0, 2.0)), 12, {7, 1, 4, 5, 9, 2, 11, 8, 10, 0, 3, 6},
                   2.0);
  // Nothing passes gamma 0.99 (the best c is sigmoid(4) = 0.982).
  check_candidates(sar_decode_topm(offsets, logits, options(3, 0.99, 2.0)), 3, {}, 2.0);
}

TEST_CASE("sar_decode_topm: equal logits go to the lower cell index (float32, cpu)") {
  Tensor logits = Tensor::full({1, 1, 3, 5}, 0.7), offsets = Tensor::zeros({1, 2, 3, 5});
  SarDecoded one = sar_decode_topm(offsets, logits, options(1));
  CHECK(one.coords.to_vector() == std::vector<double>{0, 0});
  CHECK(one.scores.item() == doctest::Approx(1.0 / 15));  // w_t = 1 / G everywhere
  SarDecoded three = sar_decode_topm(offsets, logits, options(3));
  CHECK(three.coords.to_vector() == std::vector<double>{0, 0, 4, 0, 8, 0});  // cells 0, 1, 2
}

TEST_CASE("sar_decode_topm: saturated logits 20 and 25 still rank by logit (float32, cpu)") {
  // In float, sigmoid(20) and sigmoid(25) are both 1.0f: ranking by c_t would tie them and take
  // the lower cell 3; ranking by the logit takes cell 6 (i = 1, k = 2).
  REQUIRE(sigmoid_of(20.0f) == 1.0f);
  REQUIRE(sigmoid_of(25.0f) == 1.0f);
  Planted logits(1, 1, 2, 4, 0.0);
  logits.at(0, 0, 0, 3) = 20.0;
  logits.at(0, 0, 1, 2) = 25.0;
  Tensor offsets = Tensor::zeros({1, 2, 2, 4});
  SarDecoded one = sar_decode_topm(offsets, logits.tensor(DType::F32), options(1));
  CHECK(one.coords.to_vector() == std::vector<double>{8, 4});
  CHECK(one.scores.item() == doctest::Approx(1.0 / (2 + 6 * 0.5)));
  SarDecoded two = sar_decode_topm(offsets, logits.tensor(DType::F32), options(2, 0.9));
  CHECK(two.coords.to_vector() == std::vector<double>{8, 4, 12, 0});  // cell 6, then cell 3
  CHECK(two.scores.to_vector() == std::vector<double>{1, 1});
}

TEST_CASE("sar_decode_topm: a 1x1 map has one candidate with w = 1, and m = 1 ignores gamma (float64, cpu)") {
  Tensor logits = Tensor::from_vector({-7, 3}, {2, 1, 1, 1}, DType::F64);
  Tensor offsets = Tensor::from_vector({0.1, -0.2, -1, 2}, {2, 2, 1, 1}, DType::F64);
  SarDecoded d = sar_decode_topm(offsets, logits, options(1, 0.9));
  std::vector<double> xy = d.coords.to_vector();
  CHECK(xy[0] == doctest::Approx(-0.4));  // 4 * (0 - 1 * 0.1)
  CHECK(xy[1] == doctest::Approx(0.8));   // 4 * (0 - 1 * -0.2)
  CHECK(xy[2] == doctest::Approx(4.0));
  CHECK(xy[3] == doctest::Approx(-8.0));
  CHECK(d.scores.to_vector() == std::vector<double>{1, 1});
  CHECK(d.count.to_vector() == std::vector<double>{1, 1});  // sigmoid(-7) < 0.9, but m = 1 keeps it
}

TEST_CASE("sar_decode_topm: float32 and float64 agree (float32, cpu)") {
  Tensor logits = uniform({2, 3, 7, 9}, -4, 2, 3);
  Tensor offsets = uniform({2, 6, 7, 9}, -0.3, 0.3, 4);
  for (int m : {1, 5, 20}) {
    CAPTURE(m);
    SarDecodeOptions opt = options(m, m == 1 ? 0.0 : 0.4);
    SarDecoded d64 = sar_decode_topm(offsets, logits, opt);
    SarDecoded d32 = sar_decode_topm(offsets.to(DType::F32), logits.to(DType::F32), opt);
    test::check_close("coords", d64.coords, d32.coords, 1e-4, 1e-5);
    test::check_close("scores", d64.scores, d32.scores, 1e-6, 1e-5);
    test::check_close("count", d64.count, d32.count, 0, 0);
  }
}

// Logits rounded to multiples of 0.5, so many cells tie.
static Tensor quantized(const Tensor& x) {
  std::vector<double> v = x.to_vector();
  for (double& e : v) e = std::round(2 * e) / 2;
  return Tensor::from_vector(v, x.shape(), x.dtype());
}

CUDA_TEST_CASE("sar_decode_topm: CUDA matches CPU for m = 1, 5, 30 (float32, cuda)") {
  struct Case {
    int64_t N, J, H, W;
    int m;
    double gamma;
    bool ties;
  };
  // G = 323 and 667: more cells than threads and not a multiple of 32; 35 cells with m = 30 and
  // gamma 0.6: fewer than m pass in most rows; quantized logits: ties everywhere; a 1x1 map.
  const Case cases[] = {{2, 3, 17, 19, 1, 0.0, false}, {2, 3, 17, 19, 5, 0.3, false}, {2, 3, 23, 29, 30, 0.6, false},
                        {2, 3, 5, 7, 30, 0.6, false},  {3, 2, 13, 21, 1, 0.0, true},  {3, 2, 13, 21, 30, 0.4, true},
                        {2, 2, 1, 1, 1, 0.0, false}};
  uint64_t seed = 10;
  for (const Case& c : cases) {
    std::string name = "N" + std::to_string(c.N) + " J" + std::to_string(c.J) + " " + std::to_string(c.H) + "x" +
                       std::to_string(c.W) + " m" + std::to_string(c.m) + (c.ties ? " ties" : "");
    CAPTURE(name);
    Tensor logits = uniform({c.N, c.J, c.H, c.W}, -4, 1, seed++, DType::F32);
    if (c.ties) logits = quantized(logits);
    Tensor offsets = uniform({c.N, 2 * c.J, c.H, c.W}, -0.5, 0.5, seed++, DType::F32);
    SarDecodeOptions opt = options(c.m, c.gamma);
    SarDecoded cpu = sar_decode_topm(offsets, logits, opt);
    SarDecoded gpu = sar_decode_topm(offsets.to(Device::CUDA), logits.to(Device::CUDA), opt);
    REQUIRE(gpu.coords.is_cuda());
    test::check_close(name + ": coords", cpu.coords, gpu.coords, 1e-4, 1e-5);
    test::check_close(name + ": scores", cpu.scores, gpu.scores, 1e-6, 1e-5);
    test::check_close(name + ": count", cpu.count, gpu.count, 0, 0);
  }
}

TEST_CASE("sar_decode_topm: bad inputs are refused with the argument named (float32, cpu)") {
  Tensor logits = Tensor::zeros({1, 2, 3, 4}), offsets = Tensor::zeros({1, 4, 3, 4});
  auto decode = [](const Tensor& o, const Tensor& s, SarDecodeOptions opt = {}) { sar_decode_topm(o, s, opt); };
  CHECK_THROWS_WITH_AS(decode(offsets, Tensor::zeros({2, 3, 4})),
                       doctest::Contains("sar_decode_topm: logits must be [N, J, h, w], got [2, 3, 4]"), Error);
  CHECK_THROWS_WITH_AS(decode(Tensor::zeros({1, 2, 3, 4}), logits),
                       doctest::Contains("offsets must be [N, 2J, h, w] = [1, 4, 3, 4]"), Error);
  CHECK_THROWS_WITH_AS(decode(Tensor::zeros({1, 4, 3, 0}), Tensor::zeros({1, 2, 3, 0})),
                       doctest::Contains("map of at least 1x1 cells"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets.to(DType::F64), logits),
                       doctest::Contains("offsets is float64 but logits is float32"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, Tensor::zeros({1, 2, 3, 4}, DType::I64)),
                       doctest::Contains("logits must be float32 or float64"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(0)), doctest::Contains("m must be in [1, 64], got 0"), Error);
  CHECK_THROWS_WITH_AS(decode(Tensor::zeros({1, 2, 10, 10}), Tensor::zeros({1, 1, 10, 10}), options(65)),
                       doctest::Contains("m must be in [1, 64], got 65"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(13)),
                       doctest::Contains("m must be at most the 12 cells of the 3x4 map, got 13"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(2, -0.1)), doctest::Contains("gamma must be in [0, 1]"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(2, 1.5)), doctest::Contains("gamma must be in [0, 1]"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(2, std::nan(""))), doctest::Contains("gamma must be in [0, 1]"),
                       Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(1, 0, 0)),
                       doctest::Contains("stride must be positive and finite, got 0"), Error);
  CHECK_THROWS_WITH_AS(decode(offsets, logits, options(1, 0, INFINITY)),
                       doctest::Contains("stride must be positive and finite"), Error);
}

TEST_CASE("sar_decode: the top-1 score stays finite where every c_t underflows (float32, cpu)") {
  // logits near -120: sigmoid underflows to 0 in float32, so c_best / sum c would be 0 / 0
  Tensor logits = Tensor::from_vector({-121, -120, -122, -125}, {1, 1, 2, 2});
  Tensor offsets = Tensor::zeros({1, 2, 2, 2});
  SarDecoded d = sar_decode_topm(offsets, logits);
  const double e1 = std::exp(-1.0), e2 = std::exp(-2.0), e5 = std::exp(-5.0);
  CHECK(d.scores.item() == doctest::Approx(1.0 / (1.0 + e1 + e2 + e5)).epsilon(1e-5));
  CHECK(d.count.item() == 1.0);
}

TEST_CASE("sar_decode: the top-1 score max w_t = c_best / sum c_t on both sides of s_best = 0 (float32, cpu)") {
  // The score's two forms (core/sar_decode_math.h, SarDecodeWeightRatio) against the definition
  // in float64, where no c_t here underflows: saturated best logits (c_t ~ 1 for every large s_t),
  // cells so far below the best that the per-cell exp overflows to inf (a true 0), and maps of
  // logits drawn from [-30, 30] and [-60, -20].
  const std::vector<std::vector<double>> maps = {
      {50, 20, -3, 0.5}, {3, -100, -200, 1}, {0, -0.0, -1, -2}, {-1, -90, -95, -2}, {-30, -31, -40, -35}};
  auto expected_score = [](const std::vector<double>& s) {
    const double best = *std::max_element(s.begin(), s.end());
    double sum = 0;
    for (double v : s) sum += sigmoid(v);
    return sigmoid(best) / sum;
  };
  for (const auto& map : maps) {
    const SarDecoded d = sar_decode_topm(Tensor::zeros({1, 2, 2, 2}), Tensor::from_vector(map, {1, 1, 2, 2}, DType::F32));
    CAPTURE(map[0]);
    CHECK(d.scores.item() == doctest::Approx(expected_score(map)).epsilon(1e-6));
  }
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{{-30, 30}, {-60, -20}}) {
    const Tensor logits = uniform({2, 3, 16, 12}, lo, hi, 7, DType::F32);
    const std::vector<double> scores = sar_decode_topm(Tensor::zeros({2, 6, 16, 12}), logits).scores.to_vector();
    const std::vector<double> all = logits.to_vector();  // float32 values, exact in double
    for (size_t row = 0; row < 6; ++row) {
      CAPTURE(lo);
      CAPTURE(row);
      const std::vector<double> map(all.begin() + long(row * 192), all.begin() + long((row + 1) * 192));
      CHECK(scores[row] == doctest::Approx(expected_score(map)).epsilon(1e-5));
    }
  }
}
