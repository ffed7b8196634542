// topdown: the crop pipeline (datasets/affine.h, datasets/topdown.h). Warp matrices against
// mmpose's three-point construction and the warp against an exact numpy bilinear reference
// (tools/make_warp_fixture.py), hand-made warps, round trips, an evaluation crop and its targets
// by hand, the flip, half-body and bbox rules on fixed seeds, augmentation statistics,
// determinism, agreement with encode_gaussian_heatmaps, and bad input.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "core/safetensors.h"
#include "datasets/affine.h"
#include "datasets/topdown.h"
#include "layers/heads/heatmap_codec.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

constexpr int kK = 17;

// COCO's layout: 17 keypoints, left/right pairs (1,2), (3,4), ..., (15,16), upper body 0-10.
DatasetMeta coco_like_meta() {
  DatasetMeta m;
  m.name = "coco-like";
  for (int j = 0; j < kK; ++j) m.keypoint_names.push_back("kpt" + std::to_string(j));
  m.flip_index = {0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15};
  for (int j = 0; j <= 10; ++j) m.upper_body.push_back(j);
  return m;
}

// W x H, channels that tell positions apart and are not mirror-symmetric.
Image pattern_image(int H, int W) {
  Image im{H, W, std::vector<uint8_t>(size_t(H) * W * 3)};
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      uint8_t* p = &im.rgb[(size_t(y) * W + x) * 3];
      p[0] = uint8_t(3 * x + y);
      p[1] = uint8_t(5 * y);
      p[2] = uint8_t((x * y + 7 * x) % 256);
    }
  return im;
}

Image constant_image(int H, int W, uint8_t r, uint8_t g, uint8_t b) {
  Image im{H, W, {}};
  for (int i = 0; i < H * W; ++i) im.rgb.insert(im.rgb.end(), {r, g, b});
  return im;
}

// A person in the box (40, 30, 60, 80) (w / h = 0.75: no aspect fix) of a 160 x 200 image,
// all keypoints labelled v = 2, upper body (0-10) above lower body (11-16).
PersonRecord standing_person() {
  PersonRecord p;
  p.image_path = "pattern";
  p.image_id = 42;
  p.score = 0.875f;
  p.bbox = {40, 30, 60, 80};
  for (int j = 0; j < kK; ++j) p.keypoints.insert(p.keypoints.end(), {45.f + 3.1f * j + (j % 2) * 20, 35.f + 4.3f * j, 2});
  return p;
}

TopdownConfig eval_config() {
  TopdownConfig c;
  c.train = false;
  return c;
}

// A training config with every augmentation off, and a small crop: tests switch on the
// augmentation they look at, and read the box and the matrix, not the pixels.
TopdownConfig quiet_train_config() {
  TopdownConfig c;
  c.flip_prob = c.half_body_prob = c.shift_prob = c.scale_prob = c.rotate_prob = 0;
  c.input_h = 32, c.input_w = 24, c.map_h = 8, c.map_w = 6, c.with_heatmaps = false;
  return c;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

// Value of channel c at crop pixel (u, v) of a [3, H, W] image.
float pixel(const CropSample& s, const TopdownConfig& c, int ch, int v, int u) {
  return s.image[(size_t(ch) * c.input_h + v) * c.input_w + u];
}

// The rotation of a crop's (unflipped) matrix, degrees: to_crop = s R(-r) + t.
double rotation_of(const Affine& m) { return std::atan2(m[1], m[0]) * 180.0 / M_PI; }

struct Moments {
  double n = 0, sum = 0, sum2 = 0;
  void add(double x) { n += 1; sum += x; sum2 += x * x; }
  double mean() const { return sum / n; }
  double stddev() const { return std::sqrt(sum2 / n - mean() * mean()); }
};

// The standard deviation of a standard normal truncated to [-1, 1]:
// var = 1 - 2 phi(1) / (Phi(1) - Phi(-1)).
double truncnorm_std() {
  const double phi1 = std::exp(-0.5) / std::sqrt(2 * M_PI), mass = std::erf(1 / std::sqrt(2.0));
  return std::sqrt(1 - 2 * phi1 / mass);
}

}  // namespace

// ---- affine.h ----

TEST_CASE("affine: get_warp_matrix and the warp match mmpose's construction and a numpy reference (fixture, cpu)") {
  const std::string path = "tests/data/warp/warp.safetensors";
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> t;
  for (auto& [name, tensor] : load_safetensors(path, &metadata)) t[name] = tensor;
  REQUIRE_MESSAGE(metadata.size() == 2, path, ": expected the 2 cases of tools/make_warp_fixture.py");
  Image image{24, 32, {}};
  for (double v : t.at("image").to_vector()) image.rgb.push_back(uint8_t(v));
  for (const auto& [name, settings] : metadata) {
    CAPTURE(name);
    const std::vector<double> c = t.at(name + ".center").to_vector(), sc = t.at(name + ".scale").to_vector();
    const std::vector<double> ref = t.at(name + ".to_crop").to_vector();
    const Affine m = get_warp_matrix({c[0], c[1]}, {sc[0], sc[1]}, t.at(name + ".rotation").to_vector()[0], 16, 12);
    for (int i = 0; i < 6; ++i) CHECK(m[i] == doctest::Approx(ref[i]).epsilon(1e-12).scale(10));
    Affine to_crop;
    std::copy(ref.begin(), ref.end(), to_crop.begin());
    const std::vector<float> crop = warp_affine_bilinear(image, to_crop, 12, 16);  // [3, 12, 16]
    std::vector<float> expected;
    for (double v : t.at(name + ".crop").to_vector()) expected.push_back(float(v));
    CHECK(max_abs_diff(crop, expected) < 0.01);  // grey levels (5e-4 seen); OpenCV's 1/32 px steps are coarser
  }
}

TEST_CASE("affine: box centre -> crop centre, corners -> corners, and inverse round trips < 0.01 px (cpu)") {
  const int out_w = 192, out_h = 256;
  for (double rotation : {-80.0, -35.0, 0.0, 30.0, 80.0})
    for (double width : {15.0, 96.0, 500.0}) {
      CAPTURE(rotation);
      CAPTURE(width);
      const std::array<double, 2> center{123.4, 77.7}, scale{width, width / 0.75};
      const Affine m = get_warp_matrix(center, scale, rotation, out_w, out_h);
      float x, y;
      apply_affine(m, float(center[0]), float(center[1]), &x, &y);
      CHECK(x == doctest::Approx(out_w / 2.0).epsilon(1e-5));
      CHECK(y == doctest::Approx(out_h / 2.0).epsilon(1e-5));
      // The box's top-middle point, R(r) (0, -h/2) from the centre, goes to the crop's top middle.
      const double r = rotation * M_PI / 180;
      apply_affine(m, float(center[0] + std::sin(r) * scale[1] / 2), float(center[1] - std::cos(r) * scale[1] / 2),
                   &x, &y);
      CHECK(x == doctest::Approx(out_w / 2.0).epsilon(1e-4));
      CHECK(std::abs(y) < 1e-3);
      if (rotation == 0) {  // unrotated: the box's corners are the crop's
        apply_affine(m, float(center[0] + scale[0] / 2), float(center[1] + scale[1] / 2), &x, &y);
        CHECK(x == doctest::Approx(out_w).epsilon(1e-5));
        CHECK(y == doctest::Approx(out_h).epsilon(1e-5));
      }
      const Affine inv = invert_affine(m);
      for (float px : {-50.f, 0.f, 77.7f, 400.f})
        for (float py : {-20.f, 33.3f, 300.f}) {
          float cx, cy, bx, by;
          apply_affine(m, px, py, &cx, &cy);
          apply_affine(inv, cx, cy, &bx, &by);
          CHECK(std::abs(bx - px) < 0.01);
          CHECK(std::abs(by - py) < 0.01);
        }
    }
}

TEST_CASE("affine: the warp by hand: identity, a half-pixel shift with the zero border, a crop off the image (cpu)") {
  const Image im = pattern_image(3, 4);
  auto at = [&](int c, int y, int x) { return float(im.rgb[(size_t(y) * 4 + x) * 3 + c]); };
  const std::vector<float> same = warp_affine_bilinear(im, Affine{1, 0, 0, 0, 1, 0}, 3, 4);  // [3, 3, 4]
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) CHECK(same[(c * 3 + y) * 4 + x] == at(c, y, x));
  // Crop pixel u samples the image at x = u - 0.5: the mean of pixels u - 1 and u, and at u = 0
  // half of pixel 0 (its left tap, x = -1, reads the border's 0).
  const std::vector<float> shifted = warp_affine_bilinear(im, Affine{1, 0, 0.5, 0, 1, 0}, 3, 4);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 3; ++y) {
      CHECK(shifted[(c * 3 + y) * 4] == doctest::Approx(0.5 * at(c, y, 0)));
      for (int x = 1; x < 4; ++x)
        CHECK(shifted[(c * 3 + y) * 4 + x] == doctest::Approx(0.5 * (at(c, y, x - 1) + at(c, y, x))));
    }
  const std::vector<float> off = warp_affine_bilinear(im, Affine{1, 0, -10, 0, 1, 0}, 3, 4);
  CHECK(*std::max_element(off.begin(), off.end()) == 0.f);
}

TEST_CASE("affine: bad inputs are refused by name (cpu)") {
  CHECK_THROWS_WITH_AS(get_warp_matrix({0, 0}, {0, 10}, 0, 192, 256),
                       doctest::Contains("get_warp_matrix: the box width scale[0] must be positive"), Error);
  CHECK_THROWS_WITH_AS(get_warp_matrix({0, 0}, {10, 10}, 0, 0, 256),
                       doctest::Contains("get_warp_matrix: the crop must be at least 1x1"), Error);
  CHECK_THROWS_WITH_AS(invert_affine(Affine{1, 2, 0, 2, 4, 0}), doctest::Contains("invert_affine: the matrix"), Error);
  Image bad = pattern_image(3, 4);
  bad.rgb.pop_back();
  CHECK_THROWS_WITH_AS(warp_affine_bilinear(bad, Affine{1, 0, 0, 0, 1, 0}, 3, 4),
                       doctest::Contains("warp_affine_bilinear: image.rgb must hold height * width * 3 = 36"), Error);
  CHECK_THROWS_WITH_AS(warp_affine_bilinear(Image{}, Affine{1, 0, 0, 0, 1, 0}, 3, 4),
                       doctest::Contains("warp_affine_bilinear: the image is empty"), Error);
}

// ---- topdown.h ----

TEST_CASE("topdown: an evaluation crop by hand: box, aspect fix, centre, weights, heatmap peak (cpu)") {
  const DatasetMeta meta = coco_like_meta();
  const TopdownConfig c = eval_config();
  PersonRecord p;
  p.image_id = 7;
  p.score = 0.5f;
  p.bbox = {20, 10, 30, 60};  // centre (35, 40); padded (37.5, 75); aspect-fixed (56.25, 75)
  p.keypoints.assign(3 * kK, 0.f);
  const double s = 192 / 56.25;  // crop pixels per image pixel
  auto put = [&](int j, double crop_x, double crop_y, float v) {  // a keypoint placed by its crop position
    p.keypoints[3 * j] = float(35 + (crop_x - 96) / s);
    p.keypoints[3 * j + 1] = float(40 + (crop_y - 128) / s);
    p.keypoints[3 * j + 2] = v;
  };
  put(0, 96, 128, 2);           // the box centre
  put(1, 0, 0, 2);              // the aspect-fixed box's top-left corner
  put(2, 96, 128, 0);           // unlabelled
  put(3, -8, 128, 2);           // map x -2: outside the crop, its window still touches the map
  put(4, -400, 128, 2);         // far out
  put(5, 40, 200, 1);           // occluded (v = 1) still counts 1
  put(6, 4 * 54.0, 128, 2);     // map x 54: mu - 6 = 48 >= w, the window misses the map
  put(7, 4 * 53.4, 128, 2);     // map x 53.4: mu = 53, the window's last column is the map's
  const CropSample out = make_crop(constant_image(200, 160, 1, 2, 3), p, meta, c, 1, 0);

  CHECK(out.center == std::array<float, 2>{35, 40});
  CHECK(out.scale == std::array<float, 2>{56.25f, 75});
  const Affine expected{s, 0, 96 - 35 * s, 0, s, 128 - 40 * s};
  for (int i = 0; i < 6; ++i) CHECK(out.to_crop[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  CHECK_FALSE(out.flipped);
  CHECK(out.image_id == 7);
  CHECK(out.score == 0.5f);
  REQUIRE(out.image.size() == size_t(3 * 256 * 192));
  REQUIRE(out.keypoints.size() == size_t(2 * kK));
  REQUIRE(out.heatmaps.size() == size_t(kK * 64 * 48));
  CHECK(out.keypoints[0] == doctest::Approx(96).epsilon(1e-5));
  CHECK(out.keypoints[1] == doctest::Approx(128).epsilon(1e-5));
  CHECK(std::abs(out.keypoints[2]) < 1e-4);
  CHECK(std::abs(out.keypoints[3]) < 1e-4);
  const std::vector<float> expected_weight{1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(out.weight == expected_weight);
  CHECK(out.heatmaps[(0 * 64 + 32) * 48 + 24] == 1.f);  // keypoint 0 at map (24, 32)
  CHECK(*std::max_element(out.heatmaps.begin() + 2 * 64 * 48, out.heatmaps.begin() + 3 * 64 * 48) == 0.f);
}

TEST_CASE("topdown: the input is (rgb - mean) / std, and 0 grey outside the image (cpu)") {
  const TopdownConfig c = eval_config();
  PersonRecord p = standing_person();
  p.bbox = {0, 50, 30, 60};  // centre x 15, aspect-fixed half width 28.125: the crop's left edge is off the image
  const CropSample out = make_crop(constant_image(200, 160, 200, 100, 50), p, coco_like_meta(), c, 1, 0);
  const float rgb[3] = {200, 100, 50};
  for (int ch = 0; ch < 3; ++ch) {
    CHECK(pixel(out, c, ch, 128, 96) == doctest::Approx((rgb[ch] - c.mean[ch]) / c.std[ch]).epsilon(1e-6));
    CHECK(pixel(out, c, ch, 128, 0) == doctest::Approx(-c.mean[ch] / c.std[ch]).epsilon(1e-6));
  }
}

TEST_CASE("topdown: training crops back-project onto the original keypoints < 0.01 px (cpu)") {
  const DatasetMeta meta = coco_like_meta();
  const PersonRecord p = standing_person();
  const Image im = pattern_image(200, 160);
  int flipped = 0;
  for (uint64_t counter = 0; counter < 40; ++counter) {
    const CropSample s = make_crop(im, p, meta, TopdownConfig{}, 3, counter);
    flipped += s.flipped;
    for (int j = 0; j < kK; ++j) {
      const int from = s.flipped ? meta.flip_index[j] : j;  // crop keypoint j is person keypoint `from`
      float x, y;
      back_project(s, s.keypoints[2 * j], s.keypoints[2 * j + 1], &x, &y);
      CHECK(std::abs(x - p.keypoints[3 * from]) < 0.01);
      CHECK(std::abs(y - p.keypoints[3 * from + 1]) < 0.01);
    }
  }
  CHECK(flipped > 0);
  CHECK(flipped < 40);
}

TEST_CASE("topdown: flipping the mirrored image and person gives the unflipped crop (cpu)") {
  const DatasetMeta meta = coco_like_meta();
  const int H = 200, W = 160;
  const Image im = pattern_image(H, W);
  const PersonRecord p = standing_person();
  // The mirror image (x -> W - 1 - x) and person: left and right swapped, box mirrored.
  Image mirrored = im;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int ch = 0; ch < 3; ++ch)
        mirrored.rgb[(size_t(y) * W + x) * 3 + ch] = im.rgb[(size_t(y) * W + (W - 1 - x)) * 3 + ch];
  PersonRecord q = p;
  q.bbox[0] = W - 1 - p.bbox[0] - p.bbox[2];
  for (int j = 0; j < kK; ++j) {
    const int from = meta.flip_index[j];
    q.keypoints[3 * j] = W - 1 - p.keypoints[3 * from];
    q.keypoints[3 * j + 1] = p.keypoints[3 * from + 1];
    q.keypoints[3 * j + 2] = p.keypoints[3 * from + 2];
  }
  TopdownConfig never = TopdownConfig{}, always = TopdownConfig{};  // every other augmentation on
  never.flip_prob = 0;
  always.flip_prob = 1;
  for (uint64_t counter = 0; counter < 20; ++counter) {
    CAPTURE(counter);
    const CropSample a = make_crop(im, p, meta, never, 11, counter);
    const CropSample b = make_crop(mirrored, q, meta, always, 11, counter);
    CHECK_FALSE(a.flipped);
    CHECK(b.flipped);
    CHECK(max_abs_diff(a.image, b.image) < 1e-3);
    CHECK(max_abs_diff(a.keypoints, b.keypoints) < 1e-3);
    CHECK(a.weight == b.weight);
    CHECK(max_abs_diff(a.heatmaps, b.heatmaps) < 1e-6);
    CHECK(std::abs(a.center[0] - b.center[0]) < 1e-3);
    CHECK(a.scale == b.scale);
  }
}

TEST_CASE("topdown: half-body needs 9 labelled keypoints, counted as min(1, v) (cpu)") {
  TopdownConfig c = quiet_train_config();
  c.half_body_prob = 1;
  PersonRecord p = standing_person();
  for (int j = 8; j < kK; ++j) p.keypoints[3 * j + 2] = 0;  // 8 labelled, v = 2: the sum of v would be 16
  const Image im = pattern_image(200, 160);
  const CropSample unchanged = make_crop(im, p, coco_like_meta(), eval_config(), 1, 0);
  for (uint64_t counter = 0; counter < 50; ++counter) {
    const CropSample s = make_crop(im, p, coco_like_meta(), c, 5, counter);
    CHECK(s.center == unchanged.center);
    CHECK(s.scale == unchanged.scale);
  }
}

TEST_CASE("topdown: a forced half-body box is the keypoints' mean and 1.5 x their extent, aspect-fixed (cpu)") {
  TopdownConfig c = quiet_train_config();
  c.half_body_prob = 1;
  PersonRecord p = standing_person();
  // Upper body 0-8 and lower body 11-12 labelled: 11 in all, only 2 lower (< 3), so the upper
  // body is taken whatever the preference draw says.
  for (int j : {9, 10, 13, 14, 15, 16}) p.keypoints[3 * j + 2] = 0;
  double sx = 0, sy = 0, x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
  for (int j = 0; j <= 8; ++j) {
    const double x = p.keypoints[3 * j], y = p.keypoints[3 * j + 1];
    sx += x;
    sy += y;
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  }
  double w = (x1 - x0) * 1.5, h = (y1 - y0) * 1.5;
  if (w > h * 0.75) h = w / 0.75; else w = h * 0.75;
  const Image im = pattern_image(200, 160);
  for (uint64_t counter = 0; counter < 20; ++counter) {
    const CropSample s = make_crop(im, p, coco_like_meta(), c, 9, counter);
    CHECK(s.center[0] == doctest::Approx(sx / 9).epsilon(1e-6));
    CHECK(s.center[1] == doctest::Approx(sy / 9).epsilon(1e-6));
    CHECK(s.scale[0] == doctest::Approx(w).epsilon(1e-6));
    CHECK(s.scale[1] == doctest::Approx(h).epsilon(1e-6));
  }
}

TEST_CASE("topdown: half-body picks the upper body 70% of the time and applies with p = 0.3 (cpu)") {
  TopdownConfig c = quiet_train_config();
  const DatasetMeta meta = coco_like_meta();
  const PersonRecord p = standing_person();  // 11 upper and 6 lower keypoints labelled: both halves qualify
  const Image im = pattern_image(200, 160);
  const float full_y = make_crop(im, p, meta, eval_config(), 1, 0).center[1];
  const int n = 1000;
  int upper = 0, applied = 0;
  c.half_body_prob = 1;
  for (int counter = 0; counter < n; ++counter) {
    const float y = make_crop(im, p, meta, c, 2, counter).center[1];
    upper += y < full_y;  // the upper body's keypoints lie above the box centre
  }
  c.half_body_prob = 0.3;
  for (int counter = 0; counter < n; ++counter) applied += make_crop(im, p, meta, c, 2, counter).center[1] != full_y;
  CHECK(std::abs(upper / double(n) - 0.7) < 0.06);  // 4 standard deviations
  CHECK(std::abs(applied / double(n) - 0.3) < 0.06);
}

TEST_CASE("topdown: bbox transform: truncated normal factors, their probabilities and ranges (cpu)") {
  TopdownConfig c = quiet_train_config();
  c.shift_prob = 0.3, c.scale_prob = 1.0, c.rotate_prob = 0.6;
  const PersonRecord p = standing_person();  // centre (70, 70), padded size (75, 100), aspect 0.75 already
  const Image im = pattern_image(200, 160);
  const int n = 4000;
  Moments rot, scale, shift_x, shift_y;
  int rotated = 0, shifted = 0;
  for (int counter = 0; counter < n; ++counter) {
    const CropSample s = make_crop(im, p, coco_like_meta(), c, 77, counter);
    const double r = rotation_of(s.to_crop), f = s.scale[1] / 100.0;
    REQUIRE(std::abs(r) <= 80 + 1e-9);
    REQUIRE(f >= 0.5);
    REQUIRE(f <= 1.5);
    if (r != 0) ++rotated, rot.add(r / 80);
    scale.add((f - 1) / 0.5);
    // The shift is in units of the size before the rescale: 0.16 * tn * (75, 100).
    const double tx = (s.center[0] - 70) / (0.16 * 75), ty = (s.center[1] - 70) / (0.16 * 100);
    REQUIRE(std::abs(tx) <= 1 + 1e-5);
    REQUIRE(std::abs(ty) <= 1 + 1e-5);
    if (tx != 0 || ty != 0) ++shifted, shift_x.add(tx), shift_y.add(ty);
  }
  // Probabilities within 4 standard deviations, moments near the truncated normal's.
  CHECK(std::abs(rotated / double(n) - 0.6) < 0.031);
  CHECK(std::abs(shifted / double(n) - 0.3) < 0.029);
  const double sd = truncnorm_std();  // 0.5396
  for (const Moments* m : {&rot, &scale, &shift_x, &shift_y}) {
    CHECK(std::abs(m->mean()) < 0.04);
    CHECK(m->stddev() == doctest::Approx(sd).epsilon(0.05));
  }
  // A narrower range clamps the scale factor.
  c.scale_min = 0.8, c.scale_max = 1.2;
  int at_bound = 0;
  for (int counter = 0; counter < 200; ++counter) {
    const double f = make_crop(im, p, coco_like_meta(), c, 77, counter).scale[1] / 100.0;
    REQUIRE(f >= 0.8 - 1e-6);
    REQUIRE(f <= 1.2 + 1e-6);
    at_bound += std::abs(f - 0.8) < 1e-6 || std::abs(f - 1.2) < 1e-6;
  }
  CHECK(at_bound > 0);
}

TEST_CASE("topdown: deterministic in (seed, counter), whatever the thread or the order (cpu)") {
  const DatasetMeta meta = coco_like_meta();
  const PersonRecord p = standing_person();
  const Image im = pattern_image(200, 160);
  const TopdownConfig c;
  const int n = 12;
  std::vector<CropSample> serial(n), parallel(n);
  for (int i = n - 1; i >= 0; --i) serial[i] = make_crop(im, p, meta, c, 21, i);  // backwards
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; ++i) parallel[i] = make_crop(im, p, meta, c, 21, i);
  for (int i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(serial[i].image == parallel[i].image);
    CHECK(serial[i].keypoints == parallel[i].keypoints);
    CHECK(serial[i].heatmaps == parallel[i].heatmaps);
    CHECK(serial[i].to_crop == parallel[i].to_crop);
    for (int k = 0; k < i; ++k) CHECK(serial[i].to_crop != serial[k].to_crop);  // the scale is redrawn every time
  }
  CHECK(make_crop(im, p, meta, c, 22, 0).to_crop != serial[0].to_crop);  // another seed
}

TEST_CASE("topdown: weights and heatmaps are encode_gaussian_heatmaps' on the crop's keypoints (cpu)") {
  const DatasetMeta meta = coco_like_meta();
  PersonRecord p = standing_person();
  for (int j : {3, 8}) p.keypoints[3 * j + 2] = 0;
  for (int j : {5, 12}) p.keypoints[3 * j + 2] = 1;
  p.keypoints[3 * 16] = 150;  // far right of the box: outside many crops
  p.keypoints[3 * 15 + 1] = 190;
  const Image im = pattern_image(200, 160);
  TopdownConfig with = TopdownConfig{}, without = TopdownConfig{};
  without.with_heatmaps = false;
  int dropped = 0;
  for (uint64_t counter = 0; counter < 60; ++counter) {
    const CropSample s = make_crop(im, p, meta, with, 4, counter);
    std::vector<float> in_map(2 * kK), vis(kK);
    for (int j = 0; j < kK; ++j) {
      in_map[2 * j] = s.keypoints[2 * j] * (48.f / 192);
      in_map[2 * j + 1] = s.keypoints[2 * j + 1] * (64.f / 256);
      vis[j] = std::min(1.f, p.keypoints[3 * (s.flipped ? meta.flip_index[j] : j) + 2]);
    }
    const HeatmapTargets ref = encode_gaussian_heatmaps(in_map, vis, 64, 48, 2.0);
    std::vector<float> ref_weight;
    for (double w : ref.weights.to_vector()) ref_weight.push_back(float(w));
    CHECK(s.weight == ref_weight);
    CHECK(s.heatmaps == std::vector<float>(ref.heatmaps.data<float>(), ref.heatmaps.data<float>() + kK * 64 * 48));
    const CropSample lean = make_crop(im, p, meta, without, 4, counter);
    CHECK(lean.heatmaps.empty());
    CHECK(lean.weight == s.weight);
    CHECK(lean.image == s.image);
    for (int j = 0; j < kK; ++j) dropped += vis[j] > 0 && s.weight[j] == 0;
  }
  CHECK(dropped > 0);  // some labelled keypoints left the map
}

TEST_CASE("topdown: bad inputs are refused by name (cpu)") {
  const Image im = pattern_image(200, 160);
  const DatasetMeta meta = coco_like_meta();
  const PersonRecord good = standing_person();
  const TopdownConfig c;
  PersonRecord p = good;
  p.keypoints.pop_back();
  CHECK_THROWS_WITH_AS(make_crop(im, p, meta, c, 0, 0),
                       doctest::Contains("make_crop: person.keypoints must hold (x, y, v) for the 17 keypoints"), Error);
  p = good;
  p.keypoints[3] = NAN;
  CHECK_THROWS_WITH_AS(make_crop(im, p, meta, c, 0, 0), doctest::Contains("make_crop: keypoint 1 is labelled"), Error);
  p = good;
  p.bbox[2] = 0;
  CHECK_THROWS_WITH_AS(make_crop(im, p, meta, c, 0, 0), doctest::Contains("make_crop: person.bbox"), Error);
  TopdownConfig square = c;
  square.input_w = 256;
  CHECK_THROWS_WITH_AS(make_crop(im, good, meta, square, 0, 0),
                       doctest::Contains("make_crop: config.aspect must equal input_w / input_h"), Error);
  DatasetMeta bad_flip = meta;
  bad_flip.flip_index[2] = 2;  // 2 twice, 1 never
  CHECK_THROWS_WITH_AS(make_crop(im, good, bad_flip, c, 0, 0),
                       doctest::Contains("make_crop: meta.flip_index must be a permutation"), Error);
  CHECK_NOTHROW(make_crop(im, good, bad_flip, eval_config(), 0, 0));  // evaluation never flips
  DatasetMeta bad_upper = meta;
  bad_upper.upper_body.push_back(17);
  CHECK_THROWS_WITH_AS(make_crop(im, good, bad_upper, c, 0, 0),
                       doctest::Contains("make_crop: meta.upper_body holds keypoint 17"), Error);
  CHECK_THROWS_WITH_AS(make_crop(im, good, meta, c, 0, uint64_t(1) << 40),
                       doctest::Contains("make_crop: sample_counter must be below 2^40"), Error);
  CHECK_THROWS_WITH_AS(make_crop(Image{}, good, meta, eval_config(), 0, 0),
                       doctest::Contains("warp_affine_bilinear: the image is empty"), Error);
}
