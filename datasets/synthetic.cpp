// synthetic.cpp: the stick-figure generator (datasets/synthetic.h): draw a pose, then paint
// back to front: background, clutter, distractor, the figure, occluders, pixel noise.
//
// Every random draw is its own statement: the order of evaluation inside one C++ expression is
// unspecified, and two draws in one expression could come out in a different order elsewhere.
#include "datasets/synthetic.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/philox.h"
#include "datasets/coco_dataset.h"
#include "datasets/draw.h"

namespace sar {

namespace {

constexpr double kDeg = 3.14159265358979323846 / 180;

enum Joint {
  kHeadTop, kNeck, kPelvis, kLeftShoulder, kRightShoulder, kLeftElbow, kRightElbow, kLeftWrist, kRightWrist,
  kLeftHip, kRightHip, kLeftKnee, kRightKnee, kLeftAnkle, kRightAnkle, kNumJoints
};

// Pixel-noise counters start here, above any sample's shape draws (a few hundred); one counter
// serves 5 pixels, so any image below 2^31 pixels stays below the next sample's counters.
constexpr uint64_t kNoiseCounter = uint64_t(1) << 20;

// The draws of one sample, in order: Philox keyed by the seed, counters (index << 32) + k.
class Draws {
 public:
  Draws(uint64_t seed, uint64_t index) : seed_(seed), base_(index << 32) {}
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * philox_uniform<double>(philox4x32_10(base_ + next_++, seed_));
  }
  bool chance(double p) { return uniform(0, 1) < p; }
  int below(int n) { return std::min(n - 1, int(uniform(0, n))); }
  double sign() { return chance(0.5) ? 1.0 : -1.0; }
  Philox4 noise(uint64_t block) const { return philox4x32_10(base_ + kNoiseCounter + block, seed_); }

 private:
  uint64_t seed_, base_, next_ = 0;
};

// Vector arithmetic on draw.h's Point: joints and limb directions.
Point operator+(Point a, Point b) { return {a.x + b.x, a.y + b.y}; }
Point operator-(Point a, Point b) { return {a.x - b.x, a.y - b.y}; }
Point operator*(Point a, double s) { return {a.x * s, a.y * s}; }
Point rotate(Point v, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {c * v.x - s * v.y, s * v.x + c * v.y};
}

Rgb random_colour(Draws& d) {
  const double hue = d.uniform(0, 360), s = d.uniform(0.1, 0.9);
  const double v = d.uniform(0.15, 0.95);
  return hsv(hue, s, v);
}

// One figure: joints in image pixels, and its torso length (neck to pelvis), the unit of every size.
struct Pose {
  Point joint[kNumJoints];
  double torso = 0;
};

// Standing height in torso lengths: head 0.42 + torso 1 + thigh 0.62 + shin 0.58.
constexpr double kHeightInTorsos = 2.62;

// A pose with the pelvis at the origin. `up` runs along the spine; `left` is the figure's left,
// which is image-right for a figure facing the camera (as in COCO), so left/right is geometry.
Pose sample_pose(Draws& d, double torso) {
  Pose p;
  p.torso = torso;
  const double lean = d.uniform(-35, 35) * kDeg;
  const Point up{std::sin(lean), -std::cos(lean)}, left{std::cos(lean), std::sin(lean)}, down = up * -1.0;
  const double width = d.uniform(0.6, 1.0);  // a figure turned from the camera is narrower
  auto length = [&](double mean) { return mean * torso * d.uniform(0.9, 1.1); };
  p.joint[kNeck] = up * torso;
  const double head_tilt = d.uniform(-25, 25) * kDeg;
  p.joint[kHeadTop] = p.joint[kNeck] + rotate(up, head_tilt) * length(0.42);
  for (int o = 0; o < 2; ++o) {  // o = 0 left, 1 right: joint index offsets in the enum
    const Point out = left * (o == 0 ? 1.0 : -1.0);
    // The first segment leaves `down` by `swing` toward `out` (0 hangs, 90 deg points out,
    // 180 up, negative crosses the body); the second bends by up to `max_flex` either way.
    auto limb = [&](int root, double swing_lo, double swing_hi, double max_flex, double upper, double lower) {
      const double swing = d.uniform(swing_lo, swing_hi) * kDeg;
      const Point dir = down * std::cos(swing) + out * std::sin(swing);
      const double flex = d.uniform(0, max_flex) * kDeg;
      const double flex_sign = d.sign();
      p.joint[root + 2] = p.joint[root] + dir * length(upper);
      p.joint[root + 4] = p.joint[root + 2] + rotate(dir, flex * flex_sign) * length(lower);
    };
    p.joint[kLeftShoulder + o] = p.joint[kNeck] + out * (0.33 * torso * width);
    p.joint[kLeftHip + o] = out * (0.2 * torso * width);
    limb(kLeftShoulder + o, -40, 180, 150, 0.52, 0.45);  // elbow = shoulder + 2, wrist = shoulder + 4
    limb(kLeftHip + o, -25, 70, 120, 0.62, 0.58);        // knee = hip + 2, ankle = hip + 4
  }
  return p;
}

// Moves a pose so the box of its joints is centred at (cx, cy).
void centre_pose(Pose* p, Point centre) {
  Point lo = p->joint[0], hi = p->joint[0];
  for (const Point& j : p->joint) {
    lo = {std::min(lo.x, j.x), std::min(lo.y, j.y)};
    hi = {std::max(hi.x, j.x), std::max(hi.y, j.y)};
  }
  const Point shift = centre - (lo + hi) * 0.5;
  for (Point& j : p->joint) j = j + shift;
}

// The annotated figure: size and position in the frame, drawn first in every sample so that
// joint_positions() can replay these draws alone.
Pose sample_main_figure(Draws& d, const SyntheticConfig& config) {
  const double height = d.uniform(config.min_height, config.max_height) * config.image_h;
  Pose p = sample_pose(d, height / kHeightInTorsos);
  const double jx = d.uniform(-0.2, 0.2) * config.image_w;
  const double jy = d.uniform(-0.12, 0.12) * config.image_h;
  centre_pose(&p, {config.image_w / 2.0 + jx, config.image_h / 2.0 + jy});
  return p;
}

// Joint hues: left warm, right cool, centre joints grey levels, so a joint's colour names it
// (the clutter uses every hue too, so colour alone does not find it).
Rgb joint_colour(Draws& d, int j) {
  static const double kHue[kNumJoints] = {0, 0, 0, 0, 220, 30, 190, 55, 160, 330, 260, 300, 130, 280, 95};
  static const double kGrey[3] = {0.95, 0.6, 0.3};  // head top, neck, pelvis
  const double hue_jitter = d.uniform(-8, 8), s = d.uniform(0.75, 1.0), v = d.uniform(0.8, 1.0);
  if (j <= kPelvis) return hsv(0, 0, kGrey[j] * v + 0.05);
  return hsv(kHue[j] + hue_jitter, s, v);
}

// Paints a figure: legs, torso, arms, head, then every joint's disc on top. `mask` (the
// annotated figure only) records its pixels.
void draw_figure(Image* image, const Pose& p, Draws& d, std::vector<uint8_t>* mask) {
  const Rgb top = random_colour(d), legs = random_colour(d);
  const double skin_hue = d.uniform(15, 35), skin_value = d.uniform(0.35, 0.95);
  const Rgb skin = hsv(skin_hue, 0.45, skin_value);
  const double T = p.torso;
  const Point* J = p.joint;
  auto limb = [&](int a, int b, double radius, Rgb colour) {
    paint(image, Region::capsule(J[a], J[b], radius * T), colour, 1, mask, 1);
  };
  for (int o = 0; o < 2; ++o) {
    limb(kPelvis, kLeftHip + o, 0.1, legs);
    limb(kLeftHip + o, kLeftKnee + o, 0.09, legs);
    limb(kLeftKnee + o, kLeftAnkle + o, 0.08, legs);
  }
  limb(kNeck, kPelvis, 0.17, top);
  for (int o = 0; o < 2; ++o) {
    limb(kNeck, kLeftShoulder + o, 0.08, top);
    limb(kLeftShoulder + o, kLeftElbow + o, 0.07, top);
    limb(kLeftElbow + o, kLeftWrist + o, 0.06, skin);
  }
  const Point head = (J[kNeck] + J[kHeadTop]) * 0.5, half = J[kHeadTop] - head;
  paint(image, Region::capsule(head, head, std::hypot(half.x, half.y)), skin, 1, mask, 1);
  const double disc = std::max(1.2, 0.065 * T);
  for (int j = 0; j < kNumJoints; ++j) paint(image, Region::capsule(J[j], J[j], disc), joint_colour(d, j), 1, mask, 1);
}

// Background: a two-colour gradient in a random direction, then rectangles, blobs and sticks.
void draw_background(Image* image, Draws& d, int shapes) {
  const Rgb c0 = random_colour(d), c1 = random_colour(d);
  const double angle = d.uniform(0, 360) * kDeg;
  const double W = image->width, H = image->height, span = std::max(W, H);
  const double gx = std::cos(angle) / span, gy = std::sin(angle) / span;  // gradient per pixel
  for (int y = 0; y < image->height; ++y)
    for (int x = 0; x < image->width; ++x) {
      const double t = std::clamp(0.5 + (x - W / 2) * gx + (y - H / 2) * gy, 0.0, 1.0);
      uint8_t* px = &image->rgb[(size_t(y) * image->width + x) * 3];
      px[0] = round_to_byte(c0.r + (c1.r - c0.r) * t);
      px[1] = round_to_byte(c0.g + (c1.g - c0.g) * t);
      px[2] = round_to_byte(c0.b + (c1.b - c0.b) * t);
    }
  for (int k = 0; k < shapes; ++k) {
    const int kind = d.below(3);
    const double cx = d.uniform(0, W), cy = d.uniform(0, H);
    const double sx = d.uniform(0.03, 0.2) * span, sy = d.uniform(0.03, 0.2) * span;
    const double angle_k = d.uniform(0, 180) * kDeg;
    const double alpha = d.uniform(0.5, 1.0);
    const Rgb colour = random_colour(d);
    Region s;
    if (kind == 0) s = Region::rect({cx - sx, cy - sy}, {cx + sx, cy + sy});
    else if (kind == 1) s = Region::ellipse({cx, cy}, {sx, sy}, angle_k);
    else s = Region::capsule({cx, cy}, Point{cx, cy} + rotate({2 * sx, 0}, angle_k), 0.1 * sy);  // a stick, like a limb
    paint(image, s, colour, alpha);
  }
}

// One Philox draw gives 16 random bytes: noise for 5 pixels (15 channel values).
void add_noise(Image* image, const Draws& d, int amplitude) {
  if (amplitude <= 0) return;
  // a random byte's noise, byte % (2 amplitude + 1) - amplitude, looked up: no division per value
  int noise_of_byte[256];
  for (int byte = 0; byte < 256; ++byte) noise_of_byte[byte] = byte % (2 * amplitude + 1) - amplitude;
  const size_t values = size_t(image->width) * image->height * 3;
  for (size_t block = 0; block * 15 < values; ++block) {
    const Philox4 r = d.noise(block);
    for (size_t k = 0; k < 15 && block * 15 + k < values; ++k) {
      const uint32_t byte = (r.v[k / 4] >> (8 * (k % 4))) & 255u;
      uint8_t& value = image->rgb[block * 15 + k];
      value = uint8_t(std::clamp(value + noise_of_byte[byte], 0, 255));
    }
  }
}

}  // namespace

DatasetMeta synthetic_meta() {
  DatasetMeta meta;
  meta.name = "synthetic";
  meta.keypoint_names = {"head_top",    "neck",        "pelvis",     "left_shoulder", "right_shoulder",
                         "left_elbow",  "right_elbow", "left_wrist", "right_wrist",   "left_hip",
                         "right_hip",   "left_knee",   "right_knee", "left_ankle",    "right_ankle"};
  meta.skeleton = {{kHeadTop, kNeck},          {kNeck, kPelvis},           {kNeck, kLeftShoulder},
                   {kNeck, kRightShoulder},    {kLeftShoulder, kLeftElbow}, {kLeftElbow, kLeftWrist},
                   {kRightShoulder, kRightElbow}, {kRightElbow, kRightWrist}, {kPelvis, kLeftHip},
                   {kPelvis, kRightHip},       {kLeftHip, kLeftKnee},      {kLeftKnee, kLeftAnkle},
                   {kRightHip, kRightKnee},    {kRightKnee, kRightAnkle}};
  meta.flip_index = flip_index_from_names(meta.keypoint_names);  // left_X <-> right_X
  meta.sigmas = {.079f, .079f, .107f, .079f, .079f, .072f, .072f, .062f, .062f,
                 .107f, .107f, .087f, .087f, .089f, .089f};
  meta.upper_body = upper_body_from_names(meta.keypoint_names);  // head top, neck, arms
  return meta;
}

SyntheticDataset::SyntheticDataset(const SyntheticConfig& config) : config_(config), meta_(synthetic_meta()) {
  SAR_CHECK(config.image_h >= 16 && config.image_w >= 16, "SyntheticConfig: images must be at least 16x16, got ",
            config.image_h, "x", config.image_w);
  SAR_CHECK(uint64_t(config.image_h) * uint64_t(config.image_w) < (uint64_t(1) << 31),
            "SyntheticConfig: image_h * image_w must be below 2^31 (the noise counters), got ", config.image_h, "x",
            config.image_w);
  SAR_CHECK(config.num_samples < (uint64_t(1) << 32), "SyntheticConfig: num_samples must be below 2^32, got ",
            config.num_samples);
  SAR_CHECK(0 < config.min_height && config.min_height <= config.max_height,
            "SyntheticConfig: expected 0 < min_height <= max_height, got ", config.min_height, " and ",
            config.max_height);
  SAR_CHECK(config.noise >= 0 && config.noise <= 127 && config.clutter_shapes >= 0,
            "SyntheticConfig: noise must be in [0, 127] and clutter_shapes >= 0, got ", config.noise, " and ",
            config.clutter_shapes);
}

std::vector<float> SyntheticDataset::joint_positions(size_t index) const {
  SAR_CHECK(index < size(), "SyntheticDataset: index ", index, " out of range for ", size(), " samples");
  Draws d(config_.seed, index);
  const Pose p = sample_main_figure(d, config_);
  std::vector<float> xy;
  for (const Point& j : p.joint) {
    xy.push_back(float(j.x));
    xy.push_back(float(j.y));
  }
  return xy;
}

void SyntheticDataset::get(size_t index, Image* image, PersonRecord* person) const {
  SAR_CHECK(index < size(), "SyntheticDataset: index ", index, " out of range for ", size(), " samples");
  const int H = config_.image_h, W = config_.image_w;
  Draws d(config_.seed, index);
  const Pose figure = sample_main_figure(d, config_);

  image->height = H;
  image->width = W;
  image->rgb.assign(size_t(H) * W * 3, 0);
  draw_background(image, d, config_.clutter_shapes);

  // A smaller distractor to one side and behind: the same kind of figure, not annotated.
  if (d.chance(config_.distractor_prob)) {
    const double scale = d.uniform(0.5, 0.8);
    Pose other = sample_pose(d, figure.torso * scale);
    const double side = d.sign(), dx = d.uniform(0.3, 0.55) * W, dy = d.uniform(-0.1, 0.1) * H;
    centre_pose(&other, {W / 2.0 + side * dx, H / 2.0 + dy});
    draw_figure(image, other, d, nullptr);
  }

  std::vector<uint8_t> mask(size_t(H) * W, 0);  // 1 where the annotated figure shows
  draw_figure(image, figure, d, &mask);

  // Occluders in front, each near a random joint: a joint whose centre they cover gets v = 1.
  std::vector<Region> occluders;
  if (d.chance(config_.occluder_prob)) {
    const int count = 1 + d.below(2);
    for (int k = 0; k < count; ++k) {
      const Point at = figure.joint[d.below(kNumJoints)];
      const double ox = d.uniform(-0.15, 0.15) * figure.torso, oy = d.uniform(-0.15, 0.15) * figure.torso;
      const double sx = d.uniform(0.15, 0.4) * figure.torso, sy = d.uniform(0.15, 0.4) * figure.torso;
      const double angle = d.uniform(0, 180) * kDeg;
      const bool is_rect = d.chance(0.5);
      const Rgb colour = random_colour(d);
      const Point c{at.x + ox, at.y + oy};
      occluders.push_back(is_rect ? Region::rect({c.x - sx, c.y - sy}, {c.x + sx, c.y + sy})
                                   : Region::ellipse(c, {sx, sy}, angle));
      paint(image, occluders.back(), colour, 1, &mask, 0);
    }
  }
  add_noise(image, d, config_.noise);

  person->image_path = "synthetic/" + std::to_string(index);
  person->image_id = int64_t(index);
  person->annotation_id = int64_t(index);
  person->score = 1.f;
  person->image_width = W;
  person->image_height = H;
  person->keypoints.assign(3 * kNumJoints, 0.f);
  for (int j = 0; j < kNumJoints; ++j) {
    const Point p = figure.joint[j];
    if (!(p.x >= -0.5 && p.x < W - 0.5 && p.y >= -0.5 && p.y < H - 0.5)) continue;  // out of frame: (0, 0, 0)
    bool covered = false;
    for (const Region& s : occluders) covered = covered || s.coverage(p.x, p.y) >= 0.5;
    person->keypoints[3 * j] = float(p.x);
    person->keypoints[3 * j + 1] = float(p.y);
    person->keypoints[3 * j + 2] = covered ? 1.f : 2.f;
  }
  // The box of the visible figure pixels (pixel x spans [x - 0.5, x + 0.5]); the figure is
  // centred in the frame and larger than any occluder, so some of it always shows.
  int x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      if (mask[size_t(y) * W + x]) {
        x0 = std::min(x0, x); x1 = std::max(x1, x);
        y0 = std::min(y0, y); y1 = std::max(y1, y);
      }
  SAR_CHECK(x1 >= 0, "SyntheticDataset: sample ", index, " has no visible figure pixel");
  person->bbox = {x0 - 0.5f, y0 - 0.5f, float(x1 - x0 + 1), float(y1 - y0 + 1)};
  person->area = kBoxAreaToSegmentArea * person->bbox[2] * person->bbox[3];
}

}  // namespace sar
