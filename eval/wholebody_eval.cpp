// wholebody_eval.cpp: see wholebody_eval.h. Each part is cut out of the 133-keypoint ground truth
// and results and handed to evaluate_oks with xtcocotools' options.
#include "eval/wholebody_eval.h"

#include <algorithm>

#include "core/error.h"
#include "datasets/coco_dataset.h"

namespace sar {

const std::array<const char*, 6> WholeBodySummary::kPartNames = {"body", "foot", "face", "lefthand", "righthand",
                                                                 "wholebody"};

namespace {

// Keypoints [first, first + count) of a 3K array.
std::vector<double> slice(const std::vector<double>& keypoints, int first, int count) {
  return {keypoints.begin() + 3 * first, keypoints.begin() + 3 * (first + count)};
}

}  // namespace

WholeBodyEvalData load_wholebody_eval_data(const std::string& gt_path, const std::string& results_path) {
  std::vector<KeypointField> fields;
  for (const WholeBodyPart& part : coco_wholebody_parts()) fields.push_back({part.field, part.count});
  WholeBodyEvalData data;
  data.gt = load_coco_gt(gt_path, fields);
  std::vector<std::string> score_keys;
  for (const char* name : WholeBodySummary::kPartNames) score_keys.push_back(std::string(name) + "_score");
  score_keys[0] = "score";  // the body is ranked by the result's score (official and xtcocotools)
  std::vector<std::vector<double>> scores;
  data.results = load_coco_results(results_path, data.gt, fields, score_keys, scores);
  for (const std::vector<double>& s : scores) {
    std::array<double, 6> part{};
    std::copy(s.begin(), s.end(), part.begin());
    data.part_scores.push_back(part);
  }
  return data;
}

WholeBodySummary evaluate_wholebody(const WholeBodyEvalData& data) {
  const int K = int(coco_wholebody_sigmas().size());
  SAR_CHECK(data.gt.num_keypoints == K, "evaluate_wholebody: ", data.gt.path, " has ", data.gt.num_keypoints,
            " keypoints, COCO-WholeBody ", K);
  SAR_CHECK(data.part_scores.size() == data.results.size(), "evaluate_wholebody: ", data.part_scores.size(),
            " part scores for ", data.results.size(), " results");
  const int body = coco_wholebody_parts()[0].count;
  OksOptions options;
  options.ignore_unlabelled = true;
  options.drop_unscored = true;
  // loadRes: each result's area is the box of its "keypoints", the body's 17
  for (const CocoKeypointResult& r : data.results) {
    const std::vector<double>& k = r.keypoints;
    double x0 = k[0], x1 = x0, y0 = k[1], y1 = y0;
    for (int i = 1; i < body; ++i) {
      x0 = std::min(x0, k[3 * i]), x1 = std::max(x1, k[3 * i]);
      y0 = std::min(y0, k[3 * i + 1]), y1 = std::max(y1, k[3 * i + 1]);
    }
    options.result_areas.push_back((x1 - x0) * (y1 - y0));
  }

  WholeBodySummary summary;
  for (size_t p = 0; p < WholeBodySummary::kPartNames.size(); ++p) {
    const bool whole = p == coco_wholebody_parts().size();
    const int first = whole ? 0 : coco_wholebody_parts()[p].first;
    const int count = whole ? K : coco_wholebody_parts()[p].count;
    CocoKeypointGt gt = data.gt;
    gt.num_keypoints = count;
    for (CocoKeypointAnnotation& a : gt.annotations) a.keypoints = slice(a.keypoints, first, count);
    std::vector<CocoKeypointResult> results = data.results;
    for (size_t i = 0; i < results.size(); ++i) {
      results[i].keypoints = slice(results[i].keypoints, first, count);
      results[i].score = data.part_scores[i][p];
    }
    options.sigmas.assign(coco_wholebody_sigmas().begin() + first, coco_wholebody_sigmas().begin() + first + count);
    summary.parts[p] = evaluate_oks(gt, results, options);
  }
  return summary;
}

std::string format_wholebody_summary(const WholeBodySummary& summary) {
  std::string out;
  for (size_t p = 0; p < summary.parts.size(); ++p)
    out += std::string(WholeBodySummary::kPartNames[p]) + ":\n" + format_coco_summary(summary.parts[p]);
  return out;
}

}  // namespace sar
