// evaluate.cpp: see evaluate.h.
#include "train/evaluate.h"

#include <unistd.h>

#include <cstdio>
#include <set>

#include "core/error.h"
#include "eval/pck.h"

namespace sar {

namespace {

// The ground truth of only the images the people come from: eval.max_images scores a prefix of
// the val set without counting every other image's people as missed.
CocoKeypointGt restricted_to(const CocoKeypointGt& gt, const std::vector<PersonPrediction>& people) {
  std::set<int64_t> ids;
  for (const PersonPrediction& p : people) ids.insert(p.image_id);
  CocoKeypointGt out = gt;
  out.image_ids.clear();
  for (int64_t id : gt.image_ids)
    if (ids.count(id)) out.image_ids.push_back(id);
  out.annotations.clear();
  for (const CocoKeypointAnnotation& a : gt.annotations)
    if (ids.count(a.image_id)) out.annotations.push_back(a);
  return out;
}

}  // namespace

double Evaluation::primary() const {
  for (const auto& [name, value] : numbers)
    if (name == metric) return value;
  SAR_THROW("evaluation: no number named '", metric, "'");
}

Evaluator::Evaluator(const RunConfig& config, const std::string& gt_dir) : config_(config) {
  source_ = open_split(config_, Split::Val);
  const SplitConfig& val = config_.data.val;
  SAR_CHECK(source_->size() > 0, "the validation split has no one to evaluate: ",
            val.dets.empty() ? cat(data_path(config_, val.ann), " holds no person with keypoints")
                             : cat("no box of ", data_path(config_, val.dets), " is left (category 1, score >= ",
                                   val.det_min_score, ", width and height > 0)"));
  if (config_.data.dataset == "synthetic") {
    gt_ = ground_truth_of(*source_);
    if (!gt_dir.empty()) {
      gt_path_ = gt_dir + "/val_gt.json";
      save_coco_gt(gt_path_, gt_);
    }
  } else {
    gt_path_ = data_path(config_, config_.data.val.ann);
    gt_ = config_.data.dataset == "mpii" ? load_mpii_gt(gt_path_) : load_coco_gt(gt_path_);
  }
  // the keypoints its scale needs are there, and someone has them: refused now, not after the work
  const PckResult pck = evaluate_pck(gt_, {}, pck_options());
  SAR_CHECK(pck.undefined.empty(), pck.undefined);
}

PckOptions Evaluator::pck_options() const {
  PckOptions pck;
  pck.alpha = config_.data.pck_alpha;
  // Beside AP, PCK with the box as the scale: it shows a model learning long before OKS, which
  // needs every keypoint within a few percent of the person's size, counts it.
  pck.torso = config_.data.metric != "coco" && config_.data.pck_norm == "torso";
  pck.head = config_.data.metric == "pckh";
  return pck;
}

InferenceOptions Evaluator::inference_options(Device device) const {
  InferenceOptions options;
  options.flip = config_.eval.flip;
  options.batch_size = config_.eval.batch_size;
  options.workers = config_.data.workers;
  options.max_people = size_t(config_.eval.max_images);
  options.skip_unreadable = config_.data.skip_bad;
  options.device = device;
  return options;
}

Evaluation Evaluator::run(PoseModel& model, Device device, const std::string& results_path, bool quiet) {
  InferenceOptions options = inference_options(device);
  if (!quiet)
    options.progress = [tty = ::isatty(2) == 1, shown = size_t(0)](size_t done, size_t all) mutable {
      // a redrawn count on a terminal; in a log, a line at every tenth of the way
      if (!tty && done != all && done * 10 / all == shown * 10 / all) return;
      shown = done;
      std::fprintf(stderr, tty ? "\revaluating: %zu/%zu people" : "evaluating: %zu/%zu people\n", done, all);
      if (tty && done == all) std::fputc('\n', stderr);
      std::fflush(stderr);
    };
  const TopdownConfig crop = crop_config(config_, Split::Val, model.feature_stride(), false);
  const std::vector<PersonPrediction> people = predict_people(model, *source_, crop, options);
  ResultOptions result_options;
  result_options.rescore_threshold = config_.eval.rescore_threshold;
  result_options.nms_threshold = config_.eval.nms_threshold;
  const std::vector<CocoKeypointResult> results = to_coco_results(people, source_->meta(), result_options);
  if (!results_path.empty()) save_coco_results(results_path, results);

  const CocoKeypointGt gt = options.max_people > 0 ? restricted_to(gt_, people) : gt_;
  Evaluation out;
  out.results = results.size();
  const PckOptions pck = pck_options();
  if (config_.data.metric == "coco") {
    const std::vector<float>& s = source_->meta().sigmas;
    const CocoSummary summary = evaluate_coco_keypoints(gt, results, std::vector<double>(s.begin(), s.end()));
    out.metric = "AP";
    for (size_t i = 0; i < summary.stats.size(); ++i) out.numbers.emplace_back(CocoSummary::kNames[i], summary.stats[i]);
    out.table = format_coco_summary(summary);
  } else {
    out.metric = pck.head ? "PCKh" : "PCK";
  }
  const PckResult r = evaluate_pck(gt, results, pck);
  const std::string norm = pck.head ? "head" : pck.torso ? "torso" : "bbox";
  out.numbers.emplace_back(pck.head ? "PCKh" : "PCK", r.pck);
  out.numbers.emplace_back("mean_px_error", r.mean_px_error);
  // People no prediction matched (with detector boxes: missed) count as wrong; those without a
  // scale are left out. Both said, as sar score says them.
  std::string notes;
  if (r.unmatched > 0) notes += cat(", ", r.unmatched, " of them unmatched");
  if (r.skipped > 0) notes += cat("; ", r.skipped, " more without a scale, left out");
  char line[240];
  std::snprintf(line, sizeof line, "PCK@%g (%s): %.4f over %lld keypoints of %lld people%s; mean pixel error %.2f px\n",
                pck.alpha, norm.c_str(), r.pck, (long long)r.keypoints, (long long)r.people, notes.c_str(),
                r.mean_px_error);
  // the whole val set has a scale (checked at construction); an eval.max_images prefix may not
  out.table += r.undefined.empty() ? std::string(line) : cat("PCK@", pck.alpha, ": ", r.undefined, "\n");
  const size_t asked = options.max_people > 0 ? std::min(options.max_people, source_->size()) : source_->size();
  if (people.size() < asked)
    out.table += cat(asked - people.size(), " of ", asked, " val people are in unreadable images (data.skip_bad): ",
                     "not predicted, so they count as missed\n");
  return out;
}

std::vector<PersonPrediction> Evaluator::sample_predictions(PoseModel& model, Device device, size_t n) {
  InferenceOptions options = inference_options(device);
  options.max_people = n;
  options.keep_maps = true;
  const TopdownConfig crop = crop_config(config_, Split::Val, model.feature_stride(), false);
  return predict_people(model, *source_, crop, options);
}

}  // namespace sar
