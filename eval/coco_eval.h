// coco_eval.h: COCO keypoint evaluation with the semantics of pycocotools' COCOeval for
// iouType 'keypoints' (pycocotools/cocoeval.py: computeOks, evaluateImg, accumulate,
// summarize), so its 10 numbers agree with pycocotools' to rounding (tests/test_coco_eval.cpp).
//
//   load_coco_gt              the ground truth: images, categories, annotations
//   load_coco_results         a results json: [{image_id, category_id, keypoints, score}, ...]
//   evaluate_coco_keypoints   OKS matching at 10 thresholds, AP/AR over 101 recall points
//
// Bad input throws a sar::Error naming the file and the field, e.g.
//   res.json: [3].keypoints has 50 values, expected 51 = 3 x 17
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sar {

// One entry of the ground truth's "annotations", with the fields COCOeval reads.
struct CocoKeypointAnnotation {
  int64_t id = 0, image_id = 0, category_id = 0;
  std::vector<double> keypoints;  // 3K: x, y, v
  int64_t num_keypoints = 0;      // the file's field: COCOeval ignores people where it is 0
  double area = 0;                // the file's field: it sets the OKS scale and the area range
  std::array<double, 4> bbox{};   // x, y, w, h: the OKS of a person with no labelled keypoint
  bool iscrowd = false;           // absent = 0
};

struct CocoKeypointGt {
  std::string path;                       // for messages
  int num_keypoints = 0;                  // K, from the first category with "keypoints"
  std::vector<std::string> keypoint_names;  // that category's K names (PCK's torso needs them)
  std::vector<int64_t> image_ids;         // sorted, unique (COCOeval's params.imgIds)
  std::vector<int64_t> category_ids;      // sorted, unique (params.catIds)
  std::vector<CocoKeypointAnnotation> annotations;  // in file order
};

// One detection of a results file.
struct CocoKeypointResult {
  int64_t image_id = 0, category_id = 0;
  std::vector<double> keypoints;  // 3K: x, y, score (the third value is not used)
  double score = 0;
};

// AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl (pycocotools' stats[0..9]); -1 where
// no ground truth defines the number (e.g. APl without a large person).
struct CocoSummary {
  std::array<double, 10> stats{};
  static const std::array<const char*, 10> kNames;  // "AP", "AP50", ..., "ARl"
};

CocoKeypointGt load_coco_gt(const std::string& json_path);

// Refuses (naming file and field) an image_id absent from gt, a keypoint count other than
// 3 x gt.num_keypoints, and non-finite keypoints or scores. Results of categories absent from gt
// are kept and, as in COCOeval, never scored.
std::vector<CocoKeypointResult> load_coco_results(const std::string& json_path, const CocoKeypointGt& gt);

// COCO's 17 person-keypoint OKS sigmas (cocoeval.py's kpt_oks_sigmas).
std::vector<double> coco_person_sigmas();

// The 10 COCO numbers over every image and category of gt, maxDets 20. sigmas: one per
// keypoint; empty means coco_person_sigmas(). No results give 0 where ground truth exists.
CocoSummary evaluate_coco_keypoints(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                                    const std::vector<double>& sigmas = {});

// pycocotools' 10-line table, one number a line.
std::string format_coco_summary(const CocoSummary& summary);

}  // namespace sar
