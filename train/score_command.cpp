// score_command.cpp: see score_command.h. The COCO tables are the Python tools' summarize()
// output, so a run reads the same as the Python evaluation; --json adds the numbers for scripts.
#include "train/score_command.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/input_file.h"
#include "datasets/coco_dataset.h"
#include "eval/coco_eval.h"
#include "eval/pck.h"
#include "eval/wholebody_eval.h"
#include "train/arg_parser.h"
#include "train/csv_log.h"

namespace sar {

namespace {

// One JSON object on one line; %.17g: the numbers read back exactly, so scripts can compare them
// with the Python tools'.
void print_json(const std::vector<std::pair<std::string, double>>& numbers) {
  for (size_t i = 0; i < numbers.size(); ++i)
    std::printf("%s\"%s\": %.17g", i ? ", " : "{", numbers[i].first.c_str(), numbers[i].second);
  std::printf("}\n");
}

template <size_t N>
std::vector<std::pair<std::string, double>> named(const std::array<double, N>& stats,
                                                  const std::array<const char*, N>& names,
                                                  const std::string& prefix = "") {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < N; ++i) out.emplace_back(prefix + names[i], stats[i]);
  return out;
}

// One line per radius; the mean pixel error does not depend on it. JSON keys: PCK (or PCKh) for
// one radius, PCK@<alpha> for each of several.
void print_pck(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results, PckOptions options,
               const std::vector<double>& alphas, bool as_json) {
  const char* name = options.head ? "PCKh" : "PCK";
  std::vector<std::pair<std::string, double>> numbers;
  PckResult r;
  for (double alpha : alphas) {
    options.alpha = alpha;
    r = evaluate_pck(gt, results, options);
    SAR_CHECK(r.undefined.empty(), r.undefined);
    std::printf("%s@%g (%s): %.4f over %lld keypoints of %lld people (%lld unmatched, %lld without a scale)\n", name,
                alpha, options.head ? "head" : options.torso ? "torso" : "bbox", r.pck, (long long)r.keypoints,
                (long long)r.people, (long long)r.unmatched, (long long)r.skipped);
    numbers.emplace_back(alphas.size() == 1 ? std::string(name) : cat(name, "@", alpha), r.pck);
  }
  std::printf("mean pixel error: %.3f px\n", r.mean_px_error);
  numbers.emplace_back("mean_px_error", r.mean_px_error);
  if (as_json) print_json(numbers);
}

// --alpha 0.2 or --alpha 0.05,0.1,0.2: positive numbers.
std::vector<double> parse_alphas(const std::string& text) {
  std::vector<double> alphas;
  for (const std::string& item : split_csv_line(text)) {
    char* end = nullptr;
    const double alpha = std::strtod(item.c_str(), &end);
    SAR_CHECK(!item.empty() && *end == '\0' && alpha > 0 && std::isfinite(alpha),
              "sar score --alpha: expected a positive number or a comma-separated list of them, got '", text, "'");
    alphas.push_back(alpha);
  }
  return alphas;
}

// mmpose's MPII json is an array; COCO-style ground truth is an object.
bool is_json_array(const std::string& path) {
  std::ifstream in = open_input_file(path, std::ios::in);
  char c = 0;
  while (in >> c && std::isspace(static_cast<unsigned char>(c))) {
  }
  return c == '[';
}

}  // namespace

int score_main(int argc, char** argv) {
  const char* usage =
      "usage: sar score --gt GT.json --results RES.json --metric coco|crowdpose|wholebody [--json]\n"
      "       sar score --gt GT.json --results RES.json --metric pck [--alpha 0.2[,0.5...]] [--norm torso|bbox] [--json]\n"
      "       sar score --gt GT.json --results RES.json --metric pckh [--alpha 0.5[,...]] [--json]\n"
      "\n"
      "  Scores COCO-format keypoint results (a json array of {image_id, category_id, keypoints,\n"
      "  score}) against COCO-format ground truth. --json prints one JSON object on the last line.\n"
      "  coco: as pycocotools' COCOeval 'keypoints' does: OKS with the category's \"sigmas\" (else COCO's\n"
      "  17; for another keypoint count, by keypoint name as sar train's evaluation), maxDets 20, the\n"
      "  10 AP/AR numbers (-1 where undefined); keys AP, AP50, AP75, APm, APl, AR,\n"
      "  AR50, AR75, ARm, ARl.\n"
      "  crowdpose: as CrowdPose's tools (xtcocotools 'keypoints_crowd', use_area=False) do: 14 sigmas,\n"
      "  OKS scaled by 0.53 x box area, AP/AR over all images, AP of the crowdIndex classes easy (< 0.2),\n"
      "  medium (< 0.8) and hard, rounded to 4 decimals as the tools do; keys AP, AP50, AP75, AR, AR50,\n"
      "  AR75, APeasy, APmedium, APhard.\n"
      "  wholebody: COCO-WholeBody's official evaluation: results carry keypoints, foot_kpts, face_kpts,\n"
      "  lefthand_kpts, righthand_kpts and optional <part>_score; the 10 numbers of each part with its\n"
      "  sigmas; keys <part>_<number> for the parts body, foot, face, lefthand, righthand, wholebody\n"
      "  (body_AP, ..., wholebody_ARl).\n"
      "  pck: the share of labelled keypoints within alpha x scale of the truth (scale: the torso,\n"
      "  left shoulder to right hip, or the box's larger side), and the mean pixel error (eval/pck.h);\n"
      "  keys PCK, mean_px_error. Several radii (--alpha 0.05,0.1,0.2) print a line each, keys\n"
      "  PCK@0.05, PCK@0.1, ...: how far off the misses are.\n"
      "  pckh: PCKh (MPII): the scale is the head segment, upper_neck to head_top; pelvis and thorax\n"
      "  are not counted, as in MPII's total. GT.json may also be mmpose's MPII json. Keys PCKh,\n"
      "  mean_px_error.\n"
      "  Empty results score 0.\n";
  std::string gt_path, results_path, metric, norm = "torso", alpha_text;
  bool as_json = false;
  ArgParser args("sar score", usage);
  args.value("--gt", &gt_path);
  args.value("--results", &results_path);
  args.value("--metric", &metric);
  args.value("--alpha", &alpha_text);
  args.value("--norm", &norm);
  args.flag("--json", &as_json);
  if (!args.parse(argc, argv)) return 0;
  SAR_CHECK(!gt_path.empty() && !results_path.empty(), "sar score: --gt and --results are required; see sar score --help");
  args.require("--metric");
  SAR_CHECK(metric == "coco" || metric == "crowdpose" || metric == "wholebody" || metric == "pck" || metric == "pckh",
            "sar score --metric: expected coco, crowdpose, wholebody, pck or pckh, got '", metric, "'");
  SAR_CHECK(norm == "torso" || norm == "bbox", "sar score --norm: expected torso or bbox, got '", norm, "'");
  SAR_CHECK(metric == "pck" || metric == "pckh" || (!args.given("--alpha") && !args.given("--norm")),
            "sar score: --alpha and --norm belong to --metric pck or pckh, not ", metric);
  SAR_CHECK(metric != "pckh" || !args.given("--norm"), "sar score --norm: PCKh's scale is the head segment");
  PckOptions pck;
  pck.torso = norm == "torso";
  pck.head = metric == "pckh";
  const std::vector<double> alphas = parse_alphas(!alpha_text.empty() ? alpha_text : pck.head ? "0.5" : "0.2");

  if (metric == "wholebody") {
    const WholeBodySummary summary = evaluate_wholebody(load_wholebody_eval_data(gt_path, results_path));
    std::fputs(format_wholebody_summary(summary).c_str(), stdout);
    if (!as_json) return 0;
    std::vector<std::pair<std::string, double>> numbers;
    for (size_t p = 0; p < summary.parts.size(); ++p)
      for (auto& n : named(summary.parts[p].stats, CocoSummary::kNames, std::string(WholeBodySummary::kPartNames[p]) + "_"))
        numbers.push_back(n);
    print_json(numbers);
    return 0;
  }
  const bool mpii = metric == "pckh" && is_json_array(gt_path);
  const CocoKeypointGt gt = mpii ? load_mpii_gt(gt_path) : load_coco_gt(gt_path);
  const std::vector<CocoKeypointResult> results = load_coco_results(results_path, gt);
  if (metric == "coco") {
    // A category of other than COCO's 17 keypoints without "sigmas" (LSPET): the sigmas by
    // keypoint name, as the evaluation during sar train computes its AP.
    std::vector<double> sigmas;
    if (gt.sigmas.empty() && gt.num_keypoints != 17) {
      for (float s : oks_sigmas_from_names(gt.keypoint_names)) sigmas.push_back(s);
      std::printf("OKS sigmas by keypoint name (%s's category has none, and not COCO's 17 keypoints)\n",
                  gt_path.c_str());
    }
    const CocoSummary summary = evaluate_coco_keypoints(gt, results, sigmas);
    std::fputs(format_coco_summary(summary).c_str(), stdout);
    if (as_json) print_json(named(summary.stats, CocoSummary::kNames));
  } else if (metric == "crowdpose") {
    const CrowdPoseSummary summary = evaluate_crowdpose(gt, results);
    std::fputs(format_crowdpose_summary(summary).c_str(), stdout);
    if (as_json) print_json(named(summary.stats, CrowdPoseSummary::kNames));
  } else {
    print_pck(gt, results, pck, alphas, as_json);
  }
  return 0;
}

}  // namespace sar
