// sample.h: the data types every data set, transform and loader shares.
//
//   PersonRecord   one annotated (or detected) person as a data set lists it: image, box, keypoints
//   Image          decoded pixels, RGB uint8, row-major H x W x 3
//   DatasetMeta    what is data, not code: keypoint names, skeleton, flip pairs, OKS sigmas
//   CropSample     one person after the top-down pipeline: the network's input crop and targets,
//                  plus the affine transform back to the original image (for evaluation)
//
// Coordinates: pixels, x right, y down, pixel-index convention (pixel (0, 0)'s centre is (0, 0)),
// as COCO keypoints and mmpose use. Boxes are COCO (x, y, w, h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sar {

struct DatasetMeta {
  std::string name;                              // "coco", "lspet", "synthetic", ...
  std::vector<std::string> keypoint_names;       // K names, in keypoint order
  std::vector<std::pair<int, int>> skeleton;     // limbs as 0-based keypoint index pairs (for drawing)
  std::vector<int> flip_index;                   // K: the keypoint a horizontal flip maps each one to
  std::vector<float> sigmas;                     // K: OKS sigmas (COCO's for COCO; per data set otherwise)
  std::vector<int> upper_body;                   // keypoints of the upper body (half-body augmentation)
  int num_keypoints() const { return int(keypoint_names.size()); }
};

struct PersonRecord {
  std::string image_path;          // absolute, or relative to the data set's image folder
  int64_t image_id = 0;
  int64_t annotation_id = -1;      // -1 for detector boxes
  std::array<float, 4> bbox{};     // (x, y, w, h) in image pixels
  std::vector<float> keypoints;    // K * 3: (x, y, v); v = 0 unlabelled, 1 occluded, 2 visible
  float score = 1.f;               // detector score (1 for ground-truth boxes)
  float area = 0.f;                // COCO segment area (OKS scale); 0 when unknown
  int image_width = 0, image_height = 0;  // from the json, when given
};

struct Image {
  int height = 0, width = 0;
  std::vector<uint8_t> rgb;  // [height, width, 3]
};

// The 2x3 affine matrix [a b c; d e f] mapping original-image pixels to crop pixels:
// x' = a x + b y + c, y' = d x + e y + f.
using Affine = std::array<double, 6>;

struct CropSample {
  std::vector<float> image;        // [3, input_h, input_w], RGB, normalized by the ImageNet mean/std
  std::vector<float> keypoints;    // [K, 2] in crop pixels
  std::vector<float> weight;       // [K] 1 = supervised, 0 = not
  std::vector<float> heatmaps;     // [K, map_h, map_w] Gaussian targets (empty when not asked for)
  Affine to_crop{};                // original image -> crop (its inverse back-projects predictions)
  bool flipped = false;
  int64_t image_id = 0;
  float score = 1.f;               // the box's detector score, for rescoring
  std::array<float, 2> center{}, scale{};  // the crop's box centre and size in image pixels (OKS area, results)
};

}  // namespace sar
