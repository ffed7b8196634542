// coco_dataset.h: keypoint annotation files read into one KeypointDataset.
//
//   load_coco_keypoints   COCO person-keypoints json and the data sets that reuse its layout
//                         (LSPET as converted here, CrowdPose, OCHuman, ...)
//   load_coco_wholebody   COCO-WholeBody (133 keypoints), reading only
//   load_detections       a person-detector results json, boxes on the images of a data set
//   load_mpii_json        MPII in mmpose's json layout (joints, joints_vis, center, scale)
//
// Coordinates follow datasets/sample.h: pixels, pixel (0, 0)'s centre at (0, 0), COCO (x, y, w, h)
// boxes. PersonRecord::image_path is the json's file name, relative to image_root; resolve it
// with image_file().
//
// Bad input throws a sar::Error naming the file and the JSON field, e.g.
//   data/train.json: annotations[12].keypoints has 50 values, expected 51 = 3 x 17
// Structural faults (not JSON, no "images"/"annotations"/"categories", no usable keypoint
// category) always throw. A fault inside one entry of "images" or "annotations" (wrong length,
// negative box, unknown or repeated id, ...) throws too, unless skip_bad is set: then that entry
// is skipped with one line on stderr (file, index, reason) and counted in `skipped`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/sample.h"

namespace sar {

// One entry of the json's "images": every image is kept, also those whose people were all
// dropped (evaluation scores detections on every image, and detections look images up here).
struct ImageRecord {
  int64_t id = 0;
  std::string file_name;  // relative to the data set's image_root
  int width = 0, height = 0;  // 0 where the format gives no size (MPII)
};

struct KeypointDataset {
  DatasetMeta meta;
  std::string image_root;            // the folder the file names are relative to
  std::vector<ImageRecord> images;   // in file order
  std::vector<PersonRecord> people;  // in file order, after the filters of the load options
  int64_t skipped = 0;               // bad entries skipped under skip_bad (each warned on stderr)
};

struct CocoLoadOptions {
  bool skip_bad = false;   // skip and count a bad entry instead of throwing
  bool drop_crowd = true;  // drop iscrowd annotations (crowd regions have no usable keypoints)
  // Drop people with fewer labelled keypoints (v > 0, counted here: CrowdPose's num_keypoints
  // field leaves out head and neck, so the field itself is not used). SAR_SPEC §4 drops
  // num_keypoints == 0 for training; 0 keeps everyone (evaluation).
  int min_keypoints = 1;
  // Clip each box to [0, W-1] x [0, H-1] as mmpose does (corner-wise), then drop the boxes left
  // with no width or height (SAR_SPEC §4). Off: boxes as given, only zero-size ones dropped.
  bool clip_boxes = true;
  int category_id = 1;  // the keypoint category; when no category has this id, the only one with keypoints
};

// COCO-format person keypoints. Meta from the chosen category:
//   keypoint_names  its "keypoints"
//   skeleton        its "skeleton", 1-based in the file, 0-based here; a skeleton naming a keypoint
//                   past K (CrowdPose ships COCO's 17-keypoint skeleton with 14 keypoints) is
//                   dropped with a warning: it is only for drawing
//   flip_index      from the names: left_*/right_* and l_*/r_* (or *_left/*_right, *_l/*_r) swap;
//                   a side without its partner is an error
//   sigmas          the category's "sigmas" field when present; else per name: COCO's 17 OKS
//                   sigmas, and CrowdPose's 0.079 for head/head_top/top_head and neck;
//                   kDefaultSigma for any other name
//   upper_body      names containing nose, eye, ear, shoulder, elbow, wrist, head, neck or thorax
// meta.name is the json file's name without folder and extension ("person_keypoints_val2017").
KeypointDataset load_coco_keypoints(const std::string& json_path, const std::string& image_root,
                                    const CocoLoadOptions& options = {});

// COCO-WholeBody: each annotation's keypoints, foot_kpts, face_kpts, lefthand_kpts and
// righthand_kpts (17 + 6 + 68 + 21 + 21 = 133) concatenated in that order, the order of the
// official evaluation (jin-s13/COCO-WholeBody, evaluation/myeval_wholebody.py), with its
// per-part sigmas and mmpose's keypoint names (configs/_base_/datasets/coco_wholebody.py).
// min_keypoints counts labelled keypoints (v > 0) over all 133. The face and hand v values are
// kept as the file gives them: besides 0, 1 and 2 they hold fractions (0.19) in the official
// ground truth, so any v in [0, 2] is read there. The *_box and *_valid fields are not read.
KeypointDataset load_coco_wholebody(const std::string& json_path, const std::string& image_root,
                                    const CocoLoadOptions& options = {});

// COCO-WholeBody's parts in keypoint order, and its 133 OKS sigmas in that order (the official
// evaluation's; eval/wholebody_eval.h scores each part with its slice).
struct WholeBodyPart {
  const char* name;   // body, foot, face, lefthand, righthand: the official evaluation's names
  const char* field;  // the annotation's JSON field: keypoints, foot_kpts, face_kpts, ...
  int first, count;   // its keypoints among the 133
};
const std::vector<WholeBodyPart>& coco_wholebody_parts();
const std::vector<double>& coco_wholebody_sigmas();

struct DetectionLoadOptions {
  bool skip_bad = false;
  int category_id = 1;    // other categories are ignored (mmpose keeps category 1 only)
  float min_score = 0.f;  // detections scoring below are dropped
};

// A detector's results, a json array of {image_id, bbox, score, category_id}, as a data set
// over the images of `for_images`: its meta, image_root and images, and one person per box
// (annotation_id -1, keypoints K x 3 zeros, the image's file name and size). Boxes are not
// clipped (mmpose does not clip them); zero-size boxes are dropped, negative ones are errors.
KeypointDataset load_detections(const std::string& json_path, const KeypointDataset& for_images,
                                const DetectionLoadOptions& options = {});

struct MpiiLoadOptions {
  bool skip_bad = false;
  int min_keypoints = 1;  // drop people with fewer labelled joints
};

// MPII in mmpose's json layout: a json array of {image, joints [16][2], joints_vis [16],
// center [2], scale}. The 16 joints are MPII's, with mmpose's names, skeleton and OKS sigmas
// (configs/_base_/datasets/mpii.py; MPII's own metric, PCKh, needs no sigmas).
// The file's coordinates are MATLAB's (1-based), so joints and centre move by -1, as HRNet's
// MPII loader does (mmpose 1.x moves only the centre). The box, as mmpose and HRNet build it:
// scale is the person's height / 200 px, and the centre moves 15 * scale px down so the feet
// stay in; the box is the square of side 200 * scale around that centre (the top-down
// pipeline's 1.25 padding applies to it as to any box). joints_vis 1 -> v = 2, 0 -> (0, 0, 0).
// image_id is the number the file is named by (005808361.jpg -> 5808361), as in mmpose.
// MPII's json has no image sizes: ImageRecord and PersonRecord sizes stay 0.
KeypointDataset load_mpii_json(const std::string& json_path, const std::string& image_root,
                               const MpiiLoadOptions& options = {});

// The OKS sigma given to a keypoint whose name no table knows. OKS needs one; 0.05 sits between
// COCO's face (0.025-0.035) and limb (0.062-0.107) sigmas. Data sets scored by PCK (LSPET, MPII)
// do not use it.
constexpr float kDefaultSigma = 0.05f;

// The OKS sigma of each keypoint by its name (see "sigmas" above): what training's evaluation
// uses for a category without "sigmas", and sar score with it.
std::vector<float> oks_sigmas_from_names(const std::vector<std::string>& names);

// The keypoint each keypoint becomes under a horizontal flip, from the names (see above).
std::vector<int> flip_index_from_names(const std::vector<std::string>& names);

// The keypoints whose names mark them as upper body (see above), for half-body augmentation.
std::vector<int> upper_body_from_names(const std::vector<std::string>& names);

// image_root / image_path, or image_path alone when it is absolute or image_root is empty.
std::string image_file(const std::string& image_root, const std::string& image_path);

}  // namespace sar
