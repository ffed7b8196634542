// The synthetic stick-figure data set (datasets/synthetic.h): determinism, the meta data,
// keypoints on the drawn joints, visibility flags and boxes.
#include <algorithm>
#include <cmath>

#include "datasets/synthetic.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

SyntheticConfig small_config(uint64_t seed) {
  SyntheticConfig config;
  config.num_samples = 300;
  config.image_h = config.image_w = 64;
  config.seed = seed;
  return config;
}

// The hue in degrees of an RGB pixel, and its saturation.
void hue_of(const uint8_t* px, double* hue, double* saturation) {
  const double r = px[0] / 255.0, g = px[1] / 255.0, b = px[2] / 255.0;
  const double hi = std::max({r, g, b}), lo = std::min({r, g, b}), c = hi - lo;
  *saturation = hi > 0 ? c / hi : 0;
  if (c == 0) { *hue = 0; return; }
  double h = hi == r ? std::fmod((g - b) / c, 6.0) : hi == g ? (b - r) / c + 2 : (r - g) / c + 4;
  *hue = std::fmod(h * 60 + 360, 360);
}

}  // namespace

TEST_CASE("synthetic: a sample is a function of (seed, index)") {
  SyntheticDataset a(small_config(7)), b(small_config(7)), other_seed(small_config(8));
  Image ia, ib, ic;
  PersonRecord pa, pb, pc;
  a.get(5, &ia, &pa);
  b.get(5, &ib, &pb);
  CHECK(ia.rgb == ib.rgb);
  CHECK(pa.keypoints == pb.keypoints);
  CHECK(pa.bbox == pb.bbox);
  CHECK(pa.area == pb.area);
  a.get(5, &ib, &pb);  // again, after other calls
  CHECK(ia.rgb == ib.rgb);
  other_seed.get(5, &ic, &pc);
  CHECK(ia.rgb != ic.rgb);
  CHECK(pa.keypoints != pc.keypoints);
  a.get(6, &ic, &pc);
  CHECK(ia.rgb != ic.rgb);
  CHECK(pa.image_path == "synthetic/5");
  CHECK(pa.image_id == 5);
  CHECK(ia.height == 64);
  CHECK(ia.rgb.size() == 64 * 64 * 3);
}

TEST_CASE("synthetic: meta data: names, flip pairs, skeleton, sigmas") {
  const DatasetMeta meta = synthetic_meta();
  const int J = meta.num_keypoints();
  CHECK(J == 15);
  REQUIRE(int(meta.flip_index.size()) == J);
  REQUIRE(int(meta.sigmas.size()) == J);
  for (int j = 0; j < J; ++j) {
    const std::string& name = meta.keypoint_names[j];
    const std::string& mirror = meta.keypoint_names[meta.flip_index[j]];
    CHECK(meta.flip_index[meta.flip_index[j]] == j);
    if (name.rfind("left_", 0) == 0) CHECK(mirror == "right_" + name.substr(5));
    else if (name.rfind("right_", 0) == 0) CHECK(mirror == "left_" + name.substr(6));
    else CHECK(meta.flip_index[j] == j);
    CHECK(meta.sigmas[j] > 0.05f);
  }
  CHECK(meta.skeleton.size() == 14);
  for (auto [a, b] : meta.skeleton) CHECK((a >= 0 && a < J && b >= 0 && b < J && a != b));
  CHECK(meta.upper_body.size() == 8);  // head top, neck, shoulders, elbows, wrists
}

TEST_CASE("synthetic: each visible joint's pixel has the hue that names the joint") {
  // The hues synthetic.cpp paints joint discs with (left warm, right cool), from joint 3 on;
  // head top, neck and pelvis are grey.
  const double kHue[15] = {0, 0, 0, 0, 220, 30, 190, 55, 160, 330, 260, 300, 130, 280, 95};
  SyntheticConfig config = small_config(3);
  config.image_h = config.image_w = 128;  // discs of 2-3 px radius
  config.noise = 0;
  SyntheticDataset data(config);
  int checked = 0, matched = 0;
  for (size_t i = 0; i < 40; ++i) {
    Image image;
    PersonRecord p;
    data.get(i, &image, &p);
    for (int j = 3; j < 15; ++j) {
      if (p.keypoints[3 * j + 2] != 2) continue;
      const int x = int(std::lround(p.keypoints[3 * j])), y = int(std::lround(p.keypoints[3 * j + 1]));
      double hue, saturation;
      hue_of(&image.rgb[(size_t(y) * 128 + x) * 3], &hue, &saturation);
      const double diff = std::fabs(std::fmod(hue - kHue[j] + 540, 360) - 180);
      ++checked;
      matched += diff < 12 && saturation > 0.6;  // hue jitter is +-8 degrees
    }
  }
  // A joint disc drawn later (a wrist in front of a hip) may cover another joint's centre.
  CHECK(checked > 300);
  CHECK(matched >= 0.9 * checked);
}

TEST_CASE("synthetic: out-of-frame joints get v = 0, occluded ones v = 1, and the box holds the visible ones") {
  SyntheticConfig config = small_config(11);
  config.max_height = 0.95f;  // large figures, so some joints leave the frame
  SyntheticDataset data(config);
  int counts[3] = {0, 0, 0};
  for (size_t i = 0; i < data.size(); ++i) {
    Image image;
    PersonRecord p;
    data.get(i, &image, &p);
    const std::vector<float> truth = data.joint_positions(i);
    for (int j = 0; j < 15; ++j) {
      const float x = truth[2 * j], y = truth[2 * j + 1], v = p.keypoints[3 * j + 2];
      const bool inside = x >= -0.5f && x < 63.5f && y >= -0.5f && y < 63.5f;
      ++counts[int(v)];
      if (!inside) {
        CHECK(p.keypoints[3 * j] == 0.f);
        CHECK(p.keypoints[3 * j + 1] == 0.f);
        CHECK(v == 0.f);
        continue;
      }
      CHECK(v > 0.f);
      CHECK(p.keypoints[3 * j] == x);
      CHECK(p.keypoints[3 * j + 1] == y);
      if (v == 2.f) {  // a visible joint's disc is part of the figure, so inside its box
        CHECK(x >= p.bbox[0]);
        CHECK(x <= p.bbox[0] + p.bbox[2]);
        CHECK(y >= p.bbox[1]);
        CHECK(y <= p.bbox[1] + p.bbox[3]);
      }
    }
    CHECK(p.area > 0.f);
    CHECK(p.area <= p.bbox[2] * p.bbox[3]);
  }
  CHECK(counts[0] > 0);
  CHECK(counts[1] > 0);
  CHECK(counts[2] > 0.8 * 15 * data.size());
}

TEST_CASE("synthetic: a bad configuration or index is refused") {
  SyntheticConfig config = small_config(0);
  config.image_w = 8;
  CHECK_THROWS_WITH(SyntheticDataset{config}, doctest::Contains("at least 16x16"));
  config = small_config(0);
  config.min_height = 0.9f;
  config.max_height = 0.5f;
  CHECK_THROWS_WITH(SyntheticDataset{config}, doctest::Contains("min_height <= max_height"));
  SyntheticDataset data(small_config(0));
  Image image;
  PersonRecord p;
  CHECK_THROWS_WITH(data.get(300, &image, &p), doctest::Contains("index 300 out of range"));
}
