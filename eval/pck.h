// pck.h: the percentage of correct keypoints (PCK@alpha) and the mean pixel error, the usual
// metrics of single-person data sets (LSP/LSPET: PCK@0.2 with the torso as the scale; MPII:
// PCKh@0.5 with the head as the scale).
//
// A labelled ground-truth keypoint (v > 0) is correct when its prediction lies within
// alpha * scale of it, in image pixels, where scale is per person:
//   torso  the distance from its left shoulder to its right hip (LSP's convention); a person
//          without both labelled is left out and counted in `skipped`
//   bbox   max(w, h) of its box (mmpose's PCKAccuracy with norm_item 'bbox')
//   head   PCKh: its head segment, the distance from its upper_neck to its head_top (MPII's
//          names); a person without both labelled is left out and counted in `skipped`.
//          PCKh is defined on the head segment (Andriluka et al. 2014); MPII's evaluation
//          (mmpose's MpiiDataset, SC_BIAS 0.6) estimates it as 0.6 x the diagonal of the
//          annotated head box, which COCO-style ground truth (and mmpose's MPII json) does not
//          carry, so the segment the box stands for is measured directly. As in MPII's total,
//          keypoints named pelvis or thorax are not counted (PCKh, error and `keypoints`).
// Matching, per image: the cost of a (result, person) pair is the mean distance over the
// person's labelled keypoints (people: not crowds, at least one labelled keypoint); the
// cheapest pair whose result and person are both still free matches first (ties: the higher
// score, then the earlier result), so a confident false positive far away cannot take a person
// from the prediction that is on it. A person no result matches gets all its keypoints wrong
// and is counted in `unmatched`; the mean pixel error is over matched people.
#pragma once

#include "eval/coco_eval.h"

namespace sar {

struct PckOptions {
  double alpha = 0.2;
  bool torso = true;   // false: the bbox scale
  bool head = false;   // PCKh: the head scale, whatever `torso` says
};

struct PckResult {
  double pck = 0;            // correct / counted labelled keypoints, in [0, 1]; NaN when undefined
  std::string undefined;     // why no keypoint could be counted (then pck is NaN), else empty
  double mean_px_error = 0;  // over the labelled keypoints of matched people
  int64_t keypoints = 0;     // labelled keypoints counted
  int64_t people = 0;        // people scored
  int64_t unmatched = 0;     // of those, people no result matched
  int64_t skipped = 0;       // people without a scale (torso: a shoulder or hip unlabelled; head: likewise)
};

PckResult evaluate_pck(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                       const PckOptions& options = {});

// MPII in mmpose's json layout (datasets/coco_dataset.h, load_mpii_json) as COCO-style ground
// truth for PCKh: one image per file name (its number is the id), one annotation per person with
// its 16 joints (v = 2 labelled, 0 not), box and area. Coordinates are load_mpii_json's: 0-based.
CocoKeypointGt load_mpii_gt(const std::string& json_path);

}  // namespace sar
