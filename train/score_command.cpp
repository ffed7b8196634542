// score_command.cpp: see score_command.h. The COCO table is pycocotools' summarize() output, so
// a run reads the same as the Python evaluation; --json adds the numbers for scripts.
#include "train/score_command.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "eval/coco_eval.h"
#include "eval/pck.h"

namespace sar {

namespace {

void print_coco(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results, bool as_json) {
  const CocoSummary summary = evaluate_coco_keypoints(gt, results);
  std::fputs(format_coco_summary(summary).c_str(), stdout);
  if (!as_json) return;
  // %.17g: the numbers read back exactly, so scripts can compare them with pycocotools'.
  for (size_t i = 0; i < summary.stats.size(); ++i)
    std::printf("%s\"%s\": %.17g", i ? ", " : "{", CocoSummary::kNames[i], summary.stats[i]);
  std::printf("}\n");
}

void print_pck(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results, const PckOptions& options,
               bool as_json) {
  const PckResult r = evaluate_pck(gt, results, options);
  std::printf("PCK@%g (%s): %.4f over %lld keypoints of %lld people (%lld unmatched, %lld without a scale)\n",
              options.alpha, options.torso ? "torso" : "bbox", r.pck, (long long)r.keypoints, (long long)r.people,
              (long long)r.unmatched, (long long)r.skipped);
  std::printf("mean pixel error: %.3f px\n", r.mean_px_error);
  if (as_json) std::printf("{\"PCK\": %.17g, \"mean_px_error\": %.17g}\n", r.pck, r.mean_px_error);
}

}  // namespace

int score_main(int argc, char** argv) {
  const char* usage =
      "usage: sar score --gt GT.json --results RES.json --metric coco [--json]\n"
      "       sar score --gt GT.json --results RES.json --metric pck [--alpha 0.2] [--norm torso|bbox] [--json]\n"
      "\n"
      "  Scores COCO-format keypoint results (a json array of {image_id, category_id, keypoints,\n"
      "  score}) against COCO-format ground truth.\n"
      "  coco: as pycocotools' COCOeval 'keypoints' does: OKS with COCO's 17 sigmas, maxDets 20, the\n"
      "  10 AP/AR numbers (-1 where undefined); --json: one JSON object with keys AP, AP50, AP75,\n"
      "  APm, APl, AR, AR50, AR75, ARm, ARl on the last line.\n"
      "  pck: the share of labelled keypoints within alpha x scale of the truth (scale: the torso,\n"
      "  left shoulder to right hip, or the box's larger side), and the mean pixel error (eval/pck.h);\n"
      "  --json: keys PCK, mean_px_error.\n";
  std::string gt_path, results_path, metric, norm = "torso";
  PckOptions pck;
  bool as_json = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--gt" && has_value) gt_path = argv[++i];
    else if (arg == "--results" && has_value) results_path = argv[++i];
    else if (arg == "--metric" && has_value) metric = argv[++i];
    else if (arg == "--alpha" && has_value) pck.alpha = std::atof(argv[++i]);
    else if (arg == "--norm" && has_value) norm = argv[++i];
    else if (arg == "--json") as_json = true;
    else if (arg == "--help" || arg == "-h") { std::fputs(usage, stdout); return 0; }
    else SAR_THROW("sar score: unknown option or missing value '", arg, "'; see sar score --help");
  }
  SAR_CHECK(!gt_path.empty() && !results_path.empty(), "sar score: --gt and --results are required; see sar score --help");
  SAR_CHECK(metric == "coco" || metric == "pck", "sar score --metric: expected coco or pck, got '", metric, "'");
  SAR_CHECK(norm == "torso" || norm == "bbox", "sar score --norm: expected torso or bbox, got '", norm, "'");
  pck.torso = norm == "torso";
  const CocoKeypointGt gt = load_coco_gt(gt_path);
  const std::vector<CocoKeypointResult> results = load_coco_results(results_path, gt);
  if (metric == "coco") print_coco(gt, results, as_json);
  else print_pck(gt, results, pck, as_json);
  return 0;
}

}  // namespace sar
