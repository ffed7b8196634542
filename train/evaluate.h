// evaluate.h: a model scored on its config's validation split with the data set's metric: the
// one step `sar train` (every eval_every epochs, to keep the best checkpoint) and `sar eval`
// share.
//
//   people   predict_people over the val split (eval/inference.h): crops, flip test, back-projection
//   results  to_coco_results (rescoring, OKS-NMS), written as COCO results json
//   score    data.metric: coco (AP/AR with the data set's sigmas, plus PCK@alpha of the box and the
//            mean px error), pck (PCK@alpha with data.pck_norm + mean px error), pckh (PCKh@alpha,
//            the head segment as the scale; MPII json ground truth)
//            against the val annotation file, or, for the synthetic set, a ground truth made from
//            the samples (written once beside the results, so `sar score` can redo it)
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eval/coco_results.h"
#include "eval/inference.h"
#include "eval/pck.h"
#include "train/run_config.h"

namespace sar {

struct Evaluation {
  std::string metric;  // the number that picks the best checkpoint: "AP", "PCK", "PCKh"
  std::vector<std::pair<std::string, double>> numbers;  // every number, in print order
  std::string table;   // the human-readable summary
  size_t results = 0;  // people in the results (after rescoring and OKS-NMS)
  double primary() const;
};

class Evaluator {
 public:
  // Opens the val split and its ground truth; `gt_dir` (may be empty) receives val_gt.json when
  // the ground truth is made from the samples.
  Evaluator(const RunConfig& config, const std::string& gt_dir);

  // Predicts every val person (eval.max_images limits it), writes the results to results_path
  // (when not empty), scores them. quiet: no progress line.
  Evaluation run(PoseModel& model, Device device, const std::string& results_path, bool quiet = false);

  // The first n val people with their crops and confidence maps (for prediction PNGs).
  std::vector<PersonPrediction> sample_predictions(PoseModel& model, Device device, size_t n);

  const SampleSource& source() const { return *source_; }

 private:
  InferenceOptions inference_options(Device device) const;
  PckOptions pck_options() const;  // the PCK beside the metric (or the metric), from data.*

  RunConfig config_;
  std::shared_ptr<SampleSource> source_;
  CocoKeypointGt gt_;
  std::string gt_path_;  // the file the ground truth came from or was written to ("" if neither)
};

}  // namespace sar
