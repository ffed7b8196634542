// synthetic.h: a built-in keypoint data set that needs no files: articulated stick figures with
// known joints, in the same format as a real data set (Image + PersonRecord + DatasetMeta), so
// the whole pipeline (crops, loader, training, evaluation) runs and can be tested anywhere.
//
// Sample i is a pure function of (seed, i): every random choice is a Philox-4x32-10 draw keyed
// by the seed with counter (i << 32) + k, so samples can be made in any order, on any thread.
//
// One sample: a 15-joint humanoid (torso length, limb lengths, lean, joint angles, shoulder and
// hip width, scale and position drawn at random; large in the frame) on a cluttered background
// (gradient, rectangles, blobs, sticks, pixel noise), limbs as anti-aliased thick capsules in
// clothing colours, each joint a round disc whose hue names it (left joints warm, right cool,
// centre grey), jittered per sample. Sometimes a second, smaller, unannotated figure stands
// behind as a distractor, and foreground occluders cover some joints. Keypoints, COCO style:
//   v = 2  visible;  v = 1  inside the image but its centre is covered by an occluder;
//   v = 0  outside the image (the pixel area -0.5 <= x < W - 0.5), stored as (0, 0, 0).
// bbox is the tight box of the figure's visible pixels; area (OKS's scale) is 0.53 x its w x h, as
// CrowdPose gives people without a segmentation: a stick figure's own pixel count (thin limbs,
// ~23% of its box against ~50% for a COCO person) would make OKS far stricter than on a COCO
// person of the same size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "datasets/sample.h"

namespace sar {

constexpr float kBoxAreaToSegmentArea = 0.53f;  // CrowdPose's area for people without a segmentation

struct SyntheticConfig {
  size_t num_samples = 1000;
  int image_h = 256, image_w = 256;
  uint64_t seed = 0;
  float min_height = 0.55f, max_height = 0.85f;  // standing figure height (head top to ankles) / image_h
  float occluder_prob = 0.4f;    // chance that a sample gets foreground occluders near its joints
  float distractor_prob = 0.25f; // chance of a second, smaller, unannotated figure behind
  int clutter_shapes = 14;       // background rectangles, blobs and sticks
  int noise = 12;                // pixel noise amplitude: uniform in [-noise, noise] per channel
};

// The synthetic skeleton: 15 joints, names with left_/right_ prefixes (so flip pairs are data),
// 14 limbs, the upper body for half-body augmentation, and OKS sigmas: COCO's for the shared
// joints (shoulders .079, elbows .072, wrists .062, hips .107, knees .087, ankles .089),
// CrowdPose's .079 for head top and neck, the hips' .107 for the pelvis, so OKS on this set
// reads like OKS on COCO.
DatasetMeta synthetic_meta();

class SyntheticDataset {
 public:
  explicit SyntheticDataset(const SyntheticConfig& config);
  const DatasetMeta& meta() const { return meta_; }
  size_t size() const { return config_.num_samples; }
  // Renders sample `index` (< size()); thread-safe. person->image_path is "synthetic/<index>".
  void get(size_t index, Image* image, PersonRecord* person) const;
  // The figure's J joints before visibility is decided, [J * 2] (x, y) in image pixels,
  // wherever they fall (the ground truth that get() clips to the frame).
  std::vector<float> joint_positions(size_t index) const;

 private:
  SyntheticConfig config_;
  DatasetMeta meta_;
};

}  // namespace sar
