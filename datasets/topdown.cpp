// topdown.cpp: the top-down crop pipeline (datasets/topdown.h), step by step as mmpose 1.3.1's
// GetBBoxCenterScale, RandomFlip, RandomHalfBody, RandomBBoxTransform, TopdownAffine and the
// MSRAHeatmap codec run it for the official SAR configs (SAR_SPEC §4).
#include "datasets/topdown.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/philox.h"
#include "datasets/affine.h"
#include "layers/heads/heatmap_codec.h"

namespace sar {

namespace {

// One Philox stream per random decision; the index is part of the counter (topdown.h), so
// adding a draw never shifts the others.
enum Draw : uint64_t {
  kFlip, kHalfBody, kHalfBodyUpper,     // uniforms
  kShiftApply, kScaleApply, kRotateApply,
  kShiftX, kShiftY, kScale, kRotate,    // truncated normals
};

// RandomHalfBody's defaults in mmpose 1.3.1, which the SAR configs keep (SAR_SPEC §4).
constexpr int kMinUpper = 2, kMinLower = 3;
constexpr double kPreferUpperProb = 0.7, kHalfBodyPadding = 1.5;

struct SampleRng {
  uint64_t seed, sample;

  Philox4 bits(Draw draw, uint64_t attempt) const {
    return philox4x32_10((sample << 24) + (uint64_t(draw) << 16) + attempt, seed);
  }
  double uniform(Draw draw) const { return philox_uniform<double>(bits(draw, 0)); }
  // scipy's truncnorm.rvs(-1, 1), which RandomBBoxTransform draws: a standard normal
  // conditioned on [-1, 1], by rejection (68% accepted: the 65536 rejections in a row that
  // would overflow the 16-bit attempt field have odds below 1e-32000).
  double truncnorm(Draw draw) const {
    for (uint64_t attempt = 0;; ++attempt) {
      const double z = philox_normal(bits(draw, attempt));
      if (std::abs(z) <= 1.0) return z;
    }
  }
};

// The person's keypoints as the pipeline moves them: positions in image pixels and
// visibility min(1, v) (mmpose's keypoints_visible).
struct Keypoints {
  std::vector<double> x, y;  // [K]
  std::vector<float> vis;    // [K]
};

struct Box {
  std::array<double, 2> center, scale;  // image pixels: centre, (w, h)
  double rotation = 0;                  // degrees
};

void check_inputs(const PersonRecord& person, const DatasetMeta& meta,
                  const TopdownConfig& config) {
  const char* op = "make_crop";
  const int K = meta.num_keypoints();
  SAR_CHECK(person.keypoints.size() == size_t(3 * K), op, ": person.keypoints must hold (x, y, v) for the ", K,
            " keypoints of ", meta.name, ", ", 3 * K, " values, got ", person.keypoints.size(), " (image ",
            person.image_path, ")");
  for (int j = 0; j < K; ++j)
    SAR_CHECK(!(person.keypoints[3 * j + 2] > 0) ||
                  (std::isfinite(person.keypoints[3 * j]) && std::isfinite(person.keypoints[3 * j + 1])),
              op, ": keypoint ", j, " is labelled but at (", person.keypoints[3 * j], ", ",
              person.keypoints[3 * j + 1], ") (image ", person.image_path, ")");
  const auto& b = person.bbox;
  SAR_CHECK(std::isfinite(b[0]) && std::isfinite(b[1]) && b[2] > 0 && b[3] > 0 && std::isfinite(b[2]) &&
                std::isfinite(b[3]),
            op, ": person.bbox (x, y, w, h) must be finite with w, h > 0, got (", b[0], ", ", b[1], ", ", b[2], ", ",
            b[3], ") (image ", person.image_path, "); hint: the readers drop degenerate boxes");
  SAR_CHECK(config.input_h > 0 && config.input_w > 0 && config.map_h > 0 && config.map_w > 0, op,
            ": input and map sizes must be positive, got input ", config.input_w, "x", config.input_h, ", map ",
            config.map_w, "x", config.map_h);
  SAR_CHECK(std::abs(config.aspect - double(config.input_w) / config.input_h) < 1e-9, op,
            ": config.aspect must equal input_w / input_h = ", double(config.input_w) / config.input_h, ", got ",
            config.aspect, " (TopdownAffine fixes the box to the input's aspect ratio)");
  SAR_CHECK(config.padding > 0 && std::isfinite(config.padding), op, ": config.padding must be positive, got ",
            config.padding);
  SAR_CHECK(config.sigma > 0 && std::isfinite(config.sigma), op, ": config.sigma must be positive, got ", config.sigma);
  if (config.train && config.flip_prob > 0) {
    std::vector<bool> seen(K, false);
    bool permutation = meta.flip_index.size() == size_t(K);
    for (size_t j = 0; permutation && j < meta.flip_index.size(); ++j) {
      const int to = meta.flip_index[j];
      permutation = to >= 0 && to < K && !seen[to];
      if (permutation) seen[to] = true;
    }
    SAR_CHECK(permutation, op, ": meta.flip_index must be a permutation of the ", K, " keypoints of ", meta.name,
              " (the flip swaps left and right), got ", meta.flip_index.size(), " entries");
  }
  if (config.train && config.half_body_prob > 0)
    for (int j : meta.upper_body)
      SAR_CHECK(j >= 0 && j < K, op, ": meta.upper_body holds keypoint ", j, ", outside [0, ", K, ") for ", meta.name);
}

// RandomFlip: mirror the keypoints and the centre about the image's vertical middle
// (x -> W - 1 - x, pixel-index convention) and swap left and right.
void flip(Keypoints& kp, Box& box, const DatasetMeta& meta, int image_width) {
  const Keypoints src = kp;
  for (size_t j = 0; j < kp.x.size(); ++j) {
    const int from = meta.flip_index[j];
    kp.x[j] = image_width - 1 - src.x[from];
    kp.y[j] = src.y[from];
    kp.vis[j] = src.vis[from];
  }
  box.center[0] = image_width - 1 - box.center[0];
}

// RandomHalfBody: with enough labelled keypoints, maybe replace the box by one around the
// upper or the lower body's labelled keypoints (mean, extent * 1.5). A box of extent 0 on both
// axes (coincident keypoints) is not used: it has no crop, and mmpose would fail on it.
void half_body(const Keypoints& kp, Box& box, const DatasetMeta& meta, const TopdownConfig& config,
               const SampleRng& rng) {
  double labelled = 0;  // mmpose: keypoints_visible.sum()
  for (float v : kp.vis) labelled += v;
  if (labelled < config.half_body_min_keypoints || !(rng.uniform(kHalfBody) < config.half_body_prob)) return;
  std::vector<bool> is_upper(kp.vis.size(), false);
  for (int j : meta.upper_body) is_upper[j] = true;
  std::vector<int> upper, lower;  // labelled keypoints of each half
  for (size_t j = 0; j < kp.vis.size(); ++j)
    if (kp.vis[j] > 0) (is_upper[j] ? upper : lower).push_back(int(j));
  const bool upper_ok = int(upper.size()) >= kMinUpper, lower_ok = int(lower.size()) >= kMinLower;
  if (!upper_ok && !lower_ok) return;
  const bool take_upper = !lower_ok || (upper_ok && rng.uniform(kHalfBodyUpper) < kPreferUpperProb);
  const std::vector<int>& ids = take_upper ? upper : lower;
  double sx = 0, sy = 0, x0 = kp.x[ids[0]], x1 = x0, y0 = kp.y[ids[0]], y1 = y0;
  for (int j : ids) {
    sx += kp.x[j];
    sy += kp.y[j];
    x0 = std::min(x0, kp.x[j]);
    x1 = std::max(x1, kp.x[j]);
    y0 = std::min(y0, kp.y[j]);
    y1 = std::max(y1, kp.y[j]);
  }
  if (x1 == x0 && y1 == y0) return;
  box.center = {sx / ids.size(), sy / ids.size()};
  box.scale = {(x1 - x0) * kHalfBodyPadding, (y1 - y0) * kHalfBodyPadding};
}

// RandomBBoxTransform: shift (in units of the box size, per axis), rescale, rotate; each
// applied with its own probability.
void bbox_transform(Box& box, const TopdownConfig& config, const SampleRng& rng) {
  if (rng.uniform(kShiftApply) < config.shift_prob) {
    box.center[0] += config.shift_factor * rng.truncnorm(kShiftX) * box.scale[0];
    box.center[1] += config.shift_factor * rng.truncnorm(kShiftY) * box.scale[1];
  }
  if (rng.uniform(kScaleApply) < config.scale_prob) {
    const double f =
        std::min(std::max(1.0 + config.scale_factor * rng.truncnorm(kScale), config.scale_min), config.scale_max);
    box.scale = {box.scale[0] * f, box.scale[1] * f};
  }
  if (rng.uniform(kRotateApply) < config.rotate_prob) box.rotation = config.rotate_factor * rng.truncnorm(kRotate);
}

// TopdownAffine's aspect fix: enlarge the short side so that w / h = aspect.
void fix_aspect(Box& box, double aspect) {
  if (box.scale[0] > box.scale[1] * aspect)
    box.scale[1] = box.scale[0] / aspect;
  else
    box.scale[0] = box.scale[1] * aspect;
}

// m applied after the mirror x -> W - 1 - x: warping the mirrored image through m samples the
// original at the mirrored position.
Affine after_mirror(const Affine& m, int image_width) {
  return Affine{-m[0], m[1], m[0] * (image_width - 1) + m[2], -m[3], m[4], m[3] * (image_width - 1) + m[5]};
}

}  // namespace

CropSample make_crop(const Image& image, const PersonRecord& person, const DatasetMeta& meta,
                     const TopdownConfig& config, uint64_t seed, uint64_t sample_counter) {
  check_inputs(person, meta, config);  // the image is checked by warp_affine_bilinear
  SAR_CHECK(sample_counter < (uint64_t(1) << 40), "make_crop: sample_counter must be below 2^40 (the top 40 bits ",
            "of the 64-bit Philox counter), got ", sample_counter);
  const int K = meta.num_keypoints();
  Keypoints kp{std::vector<double>(K), std::vector<double>(K), std::vector<float>(K)};
  for (int j = 0; j < K; ++j) {
    kp.x[j] = person.keypoints[3 * j];
    kp.y[j] = person.keypoints[3 * j + 1];
    kp.vis[j] = std::min(1.f, person.keypoints[3 * j + 2]);
  }
  // GetBBoxCenterScale: the box midpoint, the box size * padding.
  const auto& b = person.bbox;
  Box box{{b[0] + 0.5 * b[2], b[1] + 0.5 * b[3]}, {b[2] * config.padding, b[3] * config.padding}};

  CropSample s;
  if (config.train) {
    const SampleRng rng{seed, sample_counter};
    s.flipped = rng.uniform(kFlip) < config.flip_prob;
    if (s.flipped) flip(kp, box, meta, image.width);
    half_body(kp, box, meta, config, rng);
    bbox_transform(box, config, rng);
  }
  fix_aspect(box, config.aspect);
  const Affine warp = get_warp_matrix(box.center, box.scale, box.rotation, config.input_w, config.input_h);
  s.to_crop = s.flipped ? after_mirror(warp, image.width) : warp;

  // The input: [3, input_h, input_w], (rgb - mean) / std per channel.
  s.image = warp_affine_bilinear(image, s.to_crop, config.input_h, config.input_w);
  const int64_t plane = int64_t(config.input_h) * config.input_w;
  for (int c = 0; c < 3; ++c) {
    float* p = s.image.data() + c * plane;
    const float mean = config.mean[c], inv_std = 1.f / config.std[c];
    for (int64_t i = 0; i < plane; ++i) p[i] = (p[i] - mean) * inv_std;
  }

  // Targets: keypoints in crop pixels [K, 2] (kp is already flipped: it goes through `warp`),
  // their map-cell positions [K, 2], and the weights [K].
  s.keypoints.resize(2 * K);
  s.weight.resize(K);
  std::vector<float> in_map(2 * K);
  const float to_map_x = float(config.map_w) / config.input_w, to_map_y = float(config.map_h) / config.input_h;
  for (int j = 0; j < K; ++j) {
    float* xy = &s.keypoints[2 * j];
    apply_affine(warp, float(kp.x[j]), float(kp.y[j]), &xy[0], &xy[1]);
    in_map[2 * j] = xy[0] * to_map_x;
    in_map[2 * j + 1] = xy[1] * to_map_y;
    const bool touches =
        gaussian_window_touches_map(in_map[2 * j], in_map[2 * j + 1], config.map_h, config.map_w, config.sigma);
    s.weight[j] = kp.vis[j] > 0 && touches ? kp.vis[j] : 0.f;
  }
  if (config.with_heatmaps) {
    const Tensor maps = encode_gaussian_heatmaps(in_map, kp.vis, config.map_h, config.map_w, config.sigma).heatmaps;
    s.heatmaps.assign(maps.data<float>(), maps.data<float>() + maps.numel());  // [K, map_h, map_w]
  }
  s.center = {float(box.center[0]), float(box.center[1])};
  s.scale = {float(box.scale[0]), float(box.scale[1])};
  s.image_id = person.image_id;
  s.score = person.score;
  return s;
}

void back_project(const CropSample& s, float x_crop, float y_crop, float* x_img, float* y_img) {
  apply_affine(invert_affine(s.to_crop), x_crop, y_crop, x_img, y_img);
}

}  // namespace sar
