// wholebody_eval.h: COCO-WholeBody keypoint evaluation, as the official evaluation
// (jin-s13/COCO-WholeBody, evaluation/evaluation_wholebody.py) and mmpose's CocoWholeBodyMetric
// (xtcocotools' COCOeval with iouType keypoints_body ... keypoints_wholebody, use_area=True)
// compute it: each part (body 17, foot 6, face 68, lefthand 21, righthand 21, and wholebody,
// all 133) is scored on its own, with its slice of coco_wholebody_sigmas(), as a COCO keypoint
// evaluation giving the 10 numbers. What differs from plain COCO (eval/coco_eval.h, OksOptions):
//   - a person is ignored when no keypoint of the part is labelled (v > 0), and a result whose
//     keypoint scores on the part are all <= 0 is not scored for it;
//   - results are ranked by the part's score ("foot_score", ..., "wholebody_score"; the body by
//     "score"), the result's "score" where it has none;
//   - the area range of an unmatched result is the box of its body keypoints ("keypoints"), as
//     loadRes computes it, whatever the part.
// The OKS scale is each person's "area".
#pragma once

#include <array>
#include <string>
#include <vector>

#include "eval/coco_eval.h"

namespace sar {

// The ground truth and results with the 133 keypoints concatenated (body, foot, face,
// left hand, right hand), and each result's six part scores.
struct WholeBodyEvalData {
  CocoKeypointGt gt;
  std::vector<CocoKeypointResult> results;
  std::vector<std::array<double, 6>> part_scores;  // per result: kPartNames' order
};

struct WholeBodySummary {
  std::array<CocoSummary, 6> parts;
  static const std::array<const char*, 6> kPartNames;  // body, foot, face, lefthand, righthand, wholebody
};

// Refuses (naming file and field) what load_coco_gt / load_coco_results refuse, and a part field
// of the wrong length.
WholeBodyEvalData load_wholebody_eval_data(const std::string& gt_path, const std::string& results_path);

WholeBodySummary evaluate_wholebody(const WholeBodyEvalData& data);

// Each part's COCO table under a "<part>:" line.
std::string format_wholebody_summary(const WholeBodySummary& summary);

}  // namespace sar
