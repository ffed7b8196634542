// coco_results.h: our predictions as COCO files. The people of eval/inference.h become COCO
// keypoint results: rescored (box score x mean keypoint score above rescore_threshold), then
// oks_nms per image at nms_threshold with meta.sigmas (eval/postprocess.h). A source without an
// annotation file gets its ground truth made in memory; both are written as the json that
// pycocotools and eval/coco_eval.h read.
#pragma once

#include <string>
#include <vector>

#include "datasets/sample.h"
#include "eval/coco_eval.h"
#include "eval/inference.h"

namespace sar {

struct ResultOptions {
  double rescore_threshold = 0.2;
  double nms_threshold = 0.9;      // <= 0: no NMS
  int64_t category_id = 1;
};

// People -> COCO results: rescored, OKS-NMS per image (sigmas: meta.sigmas), sorted by image id
// then score (descending).
std::vector<CocoKeypointResult> to_coco_results(const std::vector<PersonPrediction>& people, const DatasetMeta& meta,
                                                const ResultOptions& options = {});

// The ground truth of a source in memory, for sources without an annotation file (the synthetic
// set): one image and one annotation per sample (id = index + 1, image_id = the person's,
// num_keypoints = its labelled keypoints, area = its area or else box w * h), category 1 with the
// meta's keypoint names and OKS sigmas (save_coco_gt writes them as the category's "sigmas", so
// sar score scores the file with them). Reads every sample once (renders synthetic images).
CocoKeypointGt ground_truth_of(const SampleSource& source);

// COCO json writers (atomic: temp file + rename), readable by load_coco_gt / load_coco_results
// and by pycocotools. Numbers with %.17g-equivalent precision (a round trip is exact).
void save_coco_results(const std::string& path, const std::vector<CocoKeypointResult>& results);
void save_coco_gt(const std::string& path, const CocoKeypointGt& gt);

}  // namespace sar
