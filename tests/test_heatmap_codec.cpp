// heatmap_codec: MSRA Gaussian targets by hand (peak, neighbours, window edge and corner), mmpose's
// rounding and bounds, visibility, decode's arg-max, ties, quarter shift and its bounds, round trips,
// and bad input.
#include <cmath>

#include "layers/heads/heatmap_codec.h"
#include "tests/test_util.h"

using namespace sar;

// Value at (j, v, u) of a [J, h, w] float map, and how many cells of map j are non-zero.
static double at(const Tensor& maps, int64_t j, int64_t v, int64_t u) {
  return double(maps.data<float>()[(j * maps.size(1) + v) * maps.size(2) + u]);
}
static int64_t nonzero(const Tensor& maps, int64_t j) {
  int64_t n = 0;
  const int64_t G = maps.size(1) * maps.size(2);
  for (int64_t t = 0; t < G; ++t) n += maps.data<float>()[j * G + t] != 0.f;
  return n;
}
// exp(-d^2 / (2 sigma^2)) for sigma = 2, as float (the maps are float32).
static double g2(double d2) { return double(float(std::exp(-d2 / 8.0))); }

TEST_CASE("heatmap_codec: encode matches a hand computation for sigma 2 (float32, cpu)") {
  // (10.3, 7.6) rounds to mu = (10, 8); (20.5, 3.49) to (21, 3): halves round up.
  HeatmapTargets t = encode_gaussian_heatmaps({10.3f, 7.6f, 20.5f, 3.49f}, {1, 2}, 24, 32, 2.0);
  REQUIRE(t.heatmaps.shape() == Shape{2, 24, 32});
  REQUIRE(t.weights.shape() == Shape{2});
  CHECK(t.weights.to_vector() == std::vector<double>{1, 1});  // visibility 2 counts as 1
  const Tensor& m = t.heatmaps;
  CHECK(at(m, 0, 8, 10) == 1.0);                        // the peak
  CHECK(at(m, 0, 8, 11) == g2(1));                      // the four neighbours: exp(-1/8)
  CHECK(at(m, 0, 8, 9) == g2(1));
  CHECK(at(m, 0, 7, 10) == g2(1));
  CHECK(at(m, 0, 9, 10) == g2(1));
  CHECK(at(m, 0, 9, 11) == g2(2));                      // a diagonal
  CHECK(at(m, 0, 8, 16) == g2(36));                     // the window edge, radius 3 sigma = 6
  CHECK(at(m, 0, 2, 10) == g2(36));
  CHECK(at(m, 0, 14, 16) == g2(72));                    // the window corner
  CHECK(at(m, 0, 8, 17) == 0.0);                        // outside the window
  CHECK(at(m, 0, 1, 10) == 0.0);
  CHECK(nonzero(m, 0) == 13 * 13);                      // the whole 13x13 window, nothing else
  CHECK(at(m, 1, 3, 21) == 1.0);
  CHECK(nonzero(m, 1) == 13 * 10);                      // rows -3..9 clipped to 0..9
}

TEST_CASE("heatmap_codec: keypoints partly outside the map stay supervised (float32, cpu)") {
  // x = -0.7: int(-0.2) truncates to 0 (a floor would give -1). x = -3: mu = int(-2.5) = -2,
  // window columns -8..4. x = 37: mu - 6 = 31, only the last column of the 32 is inside.
  HeatmapTargets t = encode_gaussian_heatmaps({-0.7f, 10.f, -3.f, 10.f, 37.f, 10.f}, {1, 1, 1}, 24, 32, 2.0);
  CHECK(t.weights.to_vector() == std::vector<double>{1, 1, 1});
  CHECK(at(t.heatmaps, 0, 10, 0) == 1.0);
  CHECK(at(t.heatmaps, 1, 10, 0) == g2(4));
  CHECK(at(t.heatmaps, 1, 10, 4) == g2(36));
  CHECK(nonzero(t.heatmaps, 1) == 5 * 13);
  CHECK(at(t.heatmaps, 2, 10, 31) == g2(36));
  CHECK(nonzero(t.heatmaps, 2) == 13);
}

TEST_CASE("heatmap_codec: keypoints fully outside, invisible or unlabelled get weight 0 and a zero map (float32, cpu)") {
  const float inf = INFINITY;
  // x = 38: mu - 6 = 32 = w; y = 30: mu - 6 = 24 = h; x = -9: mu = int(-8.5) = -8, mu + 7 < 0;
  // x = +inf; an invisible keypoint in the middle of the map.
  HeatmapTargets t = encode_gaussian_heatmaps({38, 5, 10, 30, -9, 5, inf, 5, 10, 10}, {1, 1, 1, 1, 0}, 24, 32, 2.0);
  CHECK(t.weights.to_vector() == std::vector<double>(5, 0.0));
  for (int64_t j = 0; j < 5; ++j) CHECK(nonzero(t.heatmaps, j) == 0);
  // mmpose's left bound: x = -7.6 gives mu = int(-7.1) = -7 and mu + 6 + 1 = 0, which is not
  // < 0, so the weight stays 1 although the window (columns -13..-1) misses the map.
  HeatmapTargets edge = encode_gaussian_heatmaps({-7.6f, 5.f, 5.f, -7.6f}, {1, 1}, 24, 32, 2.0);
  CHECK(edge.weights.to_vector() == std::vector<double>{1, 1});
  CHECK(nonzero(edge.heatmaps, 0) == 0);
  CHECK(nonzero(edge.heatmaps, 1) == 0);
  // For a 3 sigma that is no integer, mmpose truncates the right bound: sigma 1.5 and x = -7
  // give mu = -6 and int(-6 + 4.5 + 1) = int(-0.5) = 0, not < 0: weight 1, map all 0; x = -7.6
  // gives mu = -7 and int(-1.5) = -1: weight 0.
  HeatmapTargets wide = encode_gaussian_heatmaps({-7.f, 5.f, -7.6f, 5.f}, {1, 1}, 24, 32, 1.5);
  CHECK(wide.weights.to_vector() == std::vector<double>{1, 0});
  CHECK(nonzero(wide.heatmaps, 0) == 0);
  CHECK(gaussian_window_touches_map(5.f, -7.f, 24, 32, 1.5));
  CHECK_FALSE(gaussian_window_touches_map(5.f, -7.6f, 24, 32, 1.5));
}

TEST_CASE("heatmap_codec: decode takes the first maximum, its value, and mmpose's quarter shift (float32, cpu)") {
  // Four 6x7 maps, each zero but for a few cells (map j, row v, column u, value).
  struct Cell {
    int j, v, u;
    float value;
  };
  const Cell cells[] = {
      // map 0: peak at (x, y) = (3, 3); right 0.5 > left 0.2 -> x + 0.25; up 0.6 > down 0.1 -> y - 0.25
      {0, 3, 3, 1.f}, {0, 3, 4, 0.5f}, {0, 3, 2, 0.2f}, {0, 2, 3, 0.6f}, {0, 4, 3, 0.1f},
      // map 1: two equal maxima, (4, 1) comes first in row-major order; equal neighbours: no shift
      {1, 1, 4, 0.9f}, {1, 3, 2, 0.9f},
      // map 2: peak at x = 1, where mmpose does not shift x (1 < x fails), but shifts y (2 <= y <= 3)
      {2, 2, 1, 0.8f}, {2, 2, 2, 0.4f}, {2, 3, 1, 0.3f},
      // map 3: peak in row 0, where mmpose shifts neither x (0 < y fails) nor y (1 < y fails)
      {3, 0, 3, 0.7f}, {3, 0, 4, 0.5f}, {3, 1, 3, 0.5f}};
  Tensor maps = Tensor::zeros({1, 4, 6, 7});
  for (const Cell& c : cells) maps.data<float>()[(c.j * 6 + c.v) * 7 + c.u] = c.value;
  HeatmapPeaks peaks = decode_heatmaps(maps);
  REQUIRE(peaks.coords.shape() == Shape{1, 4, 2});
  REQUIRE(peaks.scores.shape() == Shape{1, 4});
  CHECK(peaks.coords.to_vector() == std::vector<double>{3.25, 2.75, 4, 1, 1, 2.25, 3, 0});
  CHECK(peaks.scores.to_vector() == std::vector<double>{1.0, double(0.9f), double(0.8f), double(0.7f)});
}

TEST_CASE("heatmap_codec: a map without a positive value decodes to (-1, -1), as mmpose (float64, cpu)") {
  HeatmapPeaks peaks = decode_heatmaps(Tensor::full({2, 1, 3, 4}, -0.5, DType::F64));
  CHECK(peaks.coords.dtype() == DType::F64);
  CHECK(peaks.coords.to_vector() == std::vector<double>{-1, -1, -1, -1});
  CHECK(peaks.scores.to_vector() == std::vector<double>{-0.5, -0.5});
  // A 1x1 map: the one cell, never shifted.
  HeatmapPeaks one = decode_heatmaps(Tensor::full({1, 1, 1, 1}, 0.3));
  CHECK(one.coords.to_vector() == std::vector<double>{0, 0});
}

TEST_CASE("heatmap_codec: encode -> decode returns mu, within half a cell (float32, cpu)") {
  // The MSRA target is symmetric about the integer mu, so the quarter shift never fires and the
  // round trip is exactly int(x + 0.5): an error of up to half a cell, never more.
  const std::vector<float> xy = {10.3f, 7.6f, 20.5f, 3.49f, 5.1f, 12.9f, 30.2f, 22.8f};
  HeatmapTargets t = encode_gaussian_heatmaps(xy, {1, 1, 1, 1}, 24, 32, 2.0);
  HeatmapPeaks peaks = decode_heatmaps(t.heatmaps.view_as_shape({1, 4, 24, 32}));
  std::vector<double> got = peaks.coords.to_vector();
  for (size_t i = 0; i < xy.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == std::trunc(xy[i] + 0.5f));
    CHECK(std::fabs(got[i] - xy[i]) <= 0.5);
  }
  CHECK(peaks.scores.to_vector() == std::vector<double>(4, 1.0));
}

TEST_CASE("heatmap_codec: a sub-cell Gaussian decodes within a quarter cell, toward the true position (float64, cpu)") {
  // Unquantized Gaussians centred at sub-cell positions (what a trained network approximates):
  // the arg-max is the nearest cell and the quarter shift moves toward the centre.
  const int64_t h = 16, w = 20;
  const std::vector<double> xs = {7.1, 7.3, 7.5, 8.0, 8.7, 9.9}, ys = {6.6, 5.2, 8.45, 8.0, 4.9, 10.3};
  std::vector<double> v(xs.size() * h * w);
  for (size_t j = 0; j < xs.size(); ++j)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        v[(j * h + y) * w + x] = std::exp(-((x - xs[j]) * (x - xs[j]) + (y - ys[j]) * (y - ys[j])) / 8.0);
  HeatmapPeaks peaks = decode_heatmaps(Tensor::from_vector(v, {1, int64_t(xs.size()), h, w}, DType::F64));
  std::vector<double> got = peaks.coords.to_vector();
  for (size_t j = 0; j < xs.size(); ++j) {
    CAPTURE(j);
    CHECK(std::fabs(got[2 * j] - xs[j]) <= 0.25 + 1e-12);
    CHECK(std::fabs(got[2 * j + 1] - ys[j]) <= 0.25 + 1e-12);
  }
  CHECK(got[0] == 7.25);  // 7.1: cell 7, the right neighbour is nearer, so + 0.25
  CHECK(got[4] == 7.25);  // 7.5: a tie between cells 7 and 8 goes to 7, then + 0.25
  CHECK(got[6] == 8.0);   // 8.0: equal neighbours, no shift
  CHECK(got[1] == 6.75);  // y = 6.6: cell 7, the upper neighbour is nearer, so - 0.25
}

CUDA_TEST_CASE("heatmap_codec: decoding a CUDA tensor gives the CPU result (float32, cuda)") {
  Tensor maps = test::uniform({2, 3, 9, 11}, 0, 1, 5, DType::F32);
  HeatmapPeaks cpu = decode_heatmaps(maps), gpu = decode_heatmaps(maps.to(Device::CUDA));
  CHECK_FALSE(gpu.coords.is_cuda());
  CHECK(gpu.coords.to_vector() == cpu.coords.to_vector());
  CHECK(gpu.scores.to_vector() == cpu.scores.to_vector());
}

TEST_CASE("heatmap_codec: bad input is refused with the argument named (float32, cpu)") {
  CHECK_THROWS_WITH_AS(encode_gaussian_heatmaps({1, 2, 3}, {1, 1}, 8, 8, 2.0),
                       doctest::Contains("encode_gaussian_heatmaps: xy must hold an (x, y) pair per keypoint, "
                                         "2 * 2 = 4 values for the 2 visibility flags, got 3"),
                       Error);
  CHECK_THROWS_WITH_AS(encode_gaussian_heatmaps({1, 2}, {1}, 0, 8, 2.0),
                       doctest::Contains("the heatmap must be at least 1x1, got h = 0, w = 8"), Error);
  CHECK_THROWS_WITH_AS(encode_gaussian_heatmaps({1, 2}, {1}, 8, 8, 0.0),
                       doctest::Contains("sigma must be positive and finite, got 0"), Error);
  CHECK_THROWS_WITH_AS(encode_gaussian_heatmaps({1, NAN}, {1}, 8, 8, 2.0),
                       doctest::Contains("keypoint 0 is labelled but its position is (1, nan)"), Error);
  CHECK_NOTHROW(encode_gaussian_heatmaps({NAN, NAN}, {0}, 8, 8, 2.0));  // unlabelled: its position is not read
  CHECK_THROWS_WITH_AS(decode_heatmaps(Tensor::zeros({3, 8, 8})),
                       doctest::Contains("decode_heatmaps: heatmaps must be [N, J, h, w], got [3, 8, 8]"), Error);
  CHECK_THROWS_WITH_AS(decode_heatmaps(Tensor::zeros({1, 3, 0, 8})),
                       doctest::Contains("decode_heatmaps: heatmaps must have a map of at least 1x1 cells"), Error);
  CHECK_THROWS_WITH_AS(decode_heatmaps(Tensor::zeros({1, 1, 2, 2}, DType::I64)),
                       doctest::Contains("decode_heatmaps: CPU kernels take float32 or float64, got int64"), Error);
}
