// score_command.cpp: see score_command.h. The table is pycocotools' summarize() output, so a
// run reads the same as the Python evaluation; --json adds the numbers for scripts.
#include "train/score_command.h"

#include <cstdio>
#include <string>

#include "core/error.h"
#include "eval/coco_eval.h"

namespace sar {

int score_main(int argc, char** argv) {
  const char* usage =
      "usage: sar score --gt GT.json --results RES.json --metric coco [--json]\n"
      "\n"
      "  Scores COCO-format keypoint results (a json array of {image_id, category_id, keypoints,\n"
      "  score}) against COCO-format ground truth as pycocotools' COCOeval 'keypoints' does:\n"
      "  OKS with COCO's 17 sigmas, maxDets 20, the 10 AP/AR numbers (-1 where undefined).\n"
      "  --json: one JSON object with keys AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl\n"
      "  on the last line.\n";
  std::string gt_path, results_path, metric;
  bool as_json = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--gt" && has_value) gt_path = argv[++i];
    else if (arg == "--results" && has_value) results_path = argv[++i];
    else if (arg == "--metric" && has_value) metric = argv[++i];
    else if (arg == "--json") as_json = true;
    else if (arg == "--help" || arg == "-h") { std::fputs(usage, stdout); return 0; }
    else SAR_THROW("sar score: unknown option or missing value '", arg, "'; see sar score --help");
  }
  SAR_CHECK(!gt_path.empty() && !results_path.empty(), "sar score: --gt and --results are required; see sar score --help");
  SAR_CHECK(metric == "coco", "sar score --metric: expected coco, got '", metric, "'");
  const CocoKeypointGt gt = load_coco_gt(gt_path);
  const CocoSummary summary = evaluate_coco_keypoints(gt, load_coco_results(results_path, gt));
  std::fputs(format_coco_summary(summary).c_str(), stdout);
  if (as_json) {
    // %.17g: the numbers read back exactly, so scripts can compare them with pycocotools'.
    for (size_t i = 0; i < summary.stats.size(); ++i)
      std::printf("%s\"%s\": %.17g", i ? ", " : "{", CocoSummary::kNames[i], summary.stats[i]);
    std::printf("}\n");
  }
  return 0;
}

}  // namespace sar
