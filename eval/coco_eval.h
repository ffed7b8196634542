// coco_eval.h: COCO keypoint evaluation with the semantics of pycocotools' COCOeval for
// iouType 'keypoints' (pycocotools/cocoeval.py: computeOks, evaluateImg, accumulate,
// summarize), so its 10 numbers agree with pycocotools' to rounding (tests/test_coco_eval.cpp),
// and the variants of xtcocotools' COCOeval (the fork mmpose scores CrowdPose and
// COCO-WholeBody with) as options of the same code.
//
//   load_coco_gt              the ground truth: images, categories, annotations
//   load_coco_results         a results json: [{image_id, category_id, keypoints, score}, ...]
//   evaluate_coco_keypoints   OKS matching at 10 thresholds, AP/AR over 101 recall points
//   evaluate_oks              the same with xtcocotools' options (OksOptions)
//   evaluate_crowdpose        CrowdPose's 9 numbers: AP/AR over all images, AP by crowd index
//
// Bad input throws a sar::Error naming the file and the field, e.g.
//   res.json: [3].keypoints has 50 values, expected 51 = 3 x 17
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
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
  bool has_area = true;           // false where the file has no "area" (CrowdPose): only the box scale scores it
};

struct CocoKeypointGt {
  std::string path;                       // for messages
  int num_keypoints = 0;                  // K, from the first category with "keypoints"
  std::vector<std::string> keypoint_names;  // that category's K names (PCK's torso needs them)
  std::vector<int64_t> image_ids;         // sorted, unique (COCOeval's params.imgIds)
  std::vector<int64_t> category_ids;      // sorted, unique (params.catIds)
  std::vector<CocoKeypointAnnotation> annotations;  // in file order
  std::map<int64_t, double> crowd_index;  // the images' "crowdIndex" where the file gives one (CrowdPose)
  std::vector<double> sigmas;             // that category's "sigmas" where it has them (one per keypoint)
};

// A keypoint array of an annotation or result: its JSON field and keypoint count.
struct KeypointField {
  std::string name;  // "keypoints", "foot_kpts", ...
  int count = 0;
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

// The same reading `fields` and concatenating them into each annotation's keypoints
// (COCO-WholeBody: keypoints, foot_kpts, face_kpts, lefthand_kpts, righthand_kpts). The
// category's "keypoints" names must count the first field's keypoints; keypoint_names has those.
CocoKeypointGt load_coco_gt(const std::string& json_path, const std::vector<KeypointField>& fields);

// Refuses (naming file and field) an image_id absent from gt, a keypoint count other than
// 3 x gt.num_keypoints, and non-finite keypoints or scores. Results of categories absent from gt
// are kept and, as in COCOeval, never scored.
std::vector<CocoKeypointResult> load_coco_results(const std::string& json_path, const CocoKeypointGt& gt);

// The same reading `fields` concatenated (their counts must sum to gt.num_keypoints), and for
// each result one number per key of score_keys into scores[result][key]; a result without the
// key gets its "score" (as the official COCO-WholeBody evaluation falls back).
std::vector<CocoKeypointResult> load_coco_results(const std::string& json_path, const CocoKeypointGt& gt,
                                                  const std::vector<KeypointField>& fields,
                                                  const std::vector<std::string>& score_keys,
                                                  std::vector<std::vector<double>>& scores);

// One keypoint's term of OKS: exp(-d^2 / (2 sigma)^2 / scale / 2), d^2 the squared pixel distance,
// scale the person's area. COCO's evaluation and OKS-NMS (eval/postprocess.h) both use it; the
// operations are in cocoeval.py's order, which the pycocotools agreement tests pin.
inline double keypoint_similarity(double d2, double sigma, double scale) {
  const double var = (sigma * 2) * (sigma * 2);
  return std::exp(-(d2 / var / scale / 2));
}

// COCO's 17 person-keypoint OKS sigmas (cocoeval.py's kpt_oks_sigmas).
std::vector<double> coco_person_sigmas();

// The 10 COCO numbers over every image and category of gt, maxDets 20. sigmas: one per
// keypoint; empty means gt.sigmas, or coco_person_sigmas() where the file has none. No results
// give 0 where ground truth exists.
CocoSummary evaluate_coco_keypoints(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                                    const std::vector<double>& sigmas = {});

// What xtcocotools' COCOeval (xtcocotools/cocoeval.py) does differently from pycocotools'. The
// defaults are pycocotools'.
struct OksOptions {
  std::vector<double> sigmas;      // one per keypoint; empty: gt.sigmas, else coco_person_sigmas()
  // use_area=False: the OKS scale and the area ranges take 0.53 x w x h of the person's box
  // instead of its "area" (CrowdPose has no area field).
  bool box_scale = false;
  // A person is ignored when none of its keypoints is labelled (v > 0), not when its
  // num_keypoints field is 0 (xtcocotools for every keypoint type but 'keypoints_crowd').
  bool ignore_unlabelled = false;
  // A result whose keypoint scores (the third values) are all <= 0 is not scored (xtcocotools'
  // _prepare, every keypoint type).
  bool drop_unscored = false;
  // One per result: the area loadRes gives it, which sets the area range of an unmatched
  // result (COCO-WholeBody: the box of the body's keypoints, whatever the part). Empty: the box
  // of all its keypoints.
  std::vector<double> result_areas;
};

// The 10 COCO numbers with the options' semantics.
CocoSummary evaluate_oks(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                         const OksOptions& options);

// pycocotools' 10-line table, one number a line.
std::string format_coco_summary(const CocoSummary& summary);

// CrowdPose (Jeff-sjtu/CrowdPose crowdposetools, and xtcocotools' 'keypoints_crowd' with
// use_area=False as mmpose runs it): 14 keypoints with crowdpose_sigmas(), OKS scaled by
// 0.53 x the box area, people ignored by their num_keypoints field, AP/AR over every image
// (maxDets 20, no area ranges), then AP over the images of each crowd-index class. Results
// whose keypoint scores are all 0 are dropped, as xtcocotools (mmpose) does; crowdposetools
// itself keeps them, the one difference between the two. The classes are the code's, not the paper's: easy
// crowdIndex < 0.2, medium < 0.8, hard the rest (get_type_result(first=0.2, second=0.8); the
// paper says 0.1). Each class's AP is the mean of its whole precision array (-1 entries
// included, so -1 where the class has no image or person) rounded to 4 decimals, as the tools do.
struct CrowdPoseSummary {
  std::array<double, 9> stats{};
  static const std::array<const char*, 9> kNames;  // "AP", "AP50", "AP75", "AR", "AR50", "AR75", "APeasy", ...
};

// CrowdPose's 14 sigmas: COCO's 12 limb sigmas, then 0.079 for head and neck.
std::vector<double> crowdpose_sigmas();

// Needs gt.crowd_index for every image (throws naming the first image without one).
CrowdPoseSummary evaluate_crowdpose(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results);

// The tools' table: AP/AR lines, then the three "type=easy|medium|hard" lines.
std::string format_crowdpose_summary(const CrowdPoseSummary& summary);

}  // namespace sar
