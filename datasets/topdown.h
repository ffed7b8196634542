// topdown.h: one person -> one network input crop and its targets: mmpose 1.3.1's top-down
// pipeline as the official SAR configs run it (SAR_SPEC §2 targets, §4 augmentation).
//
//   box (x, y, w, h) -> centre = box midpoint, size = (w, h) * padding      GetBBoxCenterScale
//   train only, in this order:
//     flip       p = flip_prob: x -> W - 1 - x for keypoints and centre,     RandomFlip
//                left/right keypoints swapped by meta.flip_index
//     half-body  p = half_body_prob, when >= half_body_min_keypoints are     RandomHalfBody
//                labelled and >= 2 upper or >= 3 lower ones are (upper =
//                meta.upper_body, lower = the rest); prefers the upper body
//                with p = 0.7; the box becomes the labelled keypoints' mean
//                and their extent * 1.5
//     bbox       tn ~ normal truncated to [-1, 1], one per factor:          RandomBBoxTransform
//                centre += shift_factor * tn * size per axis (p = shift_prob),
//                size *= clamp(1 + scale_factor tn, scale_min, scale_max) (p = scale_prob),
//                rotation = rotate_factor * tn degrees (p = rotate_prob)
//   aspect fix: enlarge the short side to w / h = aspect                    TopdownAffine
//   warp: get_warp_matrix + warp_affine_bilinear, then (rgb - mean) / std   + data preprocessor
//   targets: keypoints through the same matrix; weight = min(1, v), 0 when  MSRAHeatmap codec
//            the 3 sigma window misses the map (SAR_SPEC §2); heatmaps by
//            encode_gaussian_heatmaps in map cells (crop px * map_w / input_w)
//
// The flip never mirrors pixels: it is composed into to_crop (warping the mirrored image equals
// sampling the original at the mirrored position, exactly, pixel grid and zero border included),
// so to_crop always maps the ORIGINAL image to the crop, flipped or not.
// Where this differs from mmpose: the box is kept in double (mmpose: float32) and the crop is
// not rounded to uint8 before normalization (both below a grey level); mmpose 1.3.1 draws the
// scale as (min + max) / 2 + (max - min) / 2 * tn, which the defaults reproduce exactly
// (1 + 0.5 tn never leaves [0.5, 1.5], so the clamp is idle); a half-body box of zero extent on
// both axes (coincident keypoints) is skipped, where mmpose would build a singular warp.
// SAR_SPEC §4 calls the half-body centre the keypoints' midpoint; mmpose takes their mean, as here.
// Boxes are used as given: the data set readers clip them to the image (mmpose clips while
// parsing the annotations) and drop degenerate ones.
#pragma once

#include <array>
#include <cstdint>

#include "datasets/sample.h"

namespace sar {

struct TopdownConfig {
  int input_h = 256, input_w = 192;  // crop size (network input)
  int map_h = 64, map_w = 48;        // heatmap / SAR grid size
  double aspect = 0.75;              // crop w / h; must equal input_w / input_h
  double padding = 1.25;             // box size multiplier (GetBBoxCenterScale)
  bool train = true;                 // false: no augmentation (evaluation crops)
  double flip_prob = 0.5, half_body_prob = 0.3;
  int half_body_min_keypoints = 9;   // labelled keypoints needed for half-body
  double shift_factor = 0.16, shift_prob = 0.3;
  double scale_factor = 0.5, scale_min = 0.5, scale_max = 1.5, scale_prob = 1.0;
  double rotate_factor = 80, rotate_prob = 0.6;  // degrees
  double sigma = 2.0;                // heatmap Gaussian, in map cells
  bool with_heatmaps = true;         // false: CropSample::heatmaps stays empty
  std::array<float, 3> mean{123.675f, 116.28f, 103.53f}, std{58.395f, 57.12f, 57.375f};  // ImageNet, RGB
};

// One crop of `person` from `image`. Deterministic in (seed, sample_counter): every random
// number is a Philox draw keyed by seed at counter (sample_counter << 24) | (draw << 16) |
// attempt, where draw is a fixed index per decision (topdown.cpp) and attempt counts the
// truncated normal's rejections, so the result depends on neither thread count nor call order.
// sample_counter < 2^40. Fills every field of CropSample: image [3, input_h, input_w]
// normalized; keypoints [K, 2] crop pixels (unlabelled ones transformed too); weight [K];
// heatmaps [K, map_h, map_w] when with_heatmaps; to_crop; flipped; centre and scale (the final
// box: after augmentation and the aspect fix, as mmpose's input_center / input_scale);
// image_id; score.
// Throws sar::Error when the image is empty, person.keypoints is not 3 * meta.num_keypoints(),
// a training crop may flip and meta.flip_index is not a permutation of the K keypoints,
// meta.upper_body has an index out of range, the box size is not positive and finite, the
// sizes are not positive, or aspect != input_w / input_h.
CropSample make_crop(const Image& image, const PersonRecord& person, const DatasetMeta& meta,
                     const TopdownConfig& config, uint64_t seed, uint64_t sample_counter);

// A crop-pixel position back to original-image pixels: the inverse of s.to_crop, which
// includes a training flip. Flip-test evaluation flips the crop tensor itself, outside
// make_crop: the caller first mirrors its predictions back into the unflipped crop
// (x -> input_w - 1 - x, keypoints swapped by meta.flip_index; SAR_SPEC §3) and then calls this.
void back_project(const CropSample& s, float x_crop, float y_crop, float* x_img, float* y_img);

}  // namespace sar
