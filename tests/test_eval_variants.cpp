// The evaluation variants: CrowdPose (evaluate_crowdpose) and COCO-WholeBody (evaluate_wholebody)
// against xtcocotools on the fixtures of tools/make_eval_fixtures.py, cases small enough to
// compute by hand, and `sar score --metric crowdpose|wholebody`.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/coco_eval.h"
#include "eval/wholebody_eval.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = test::temp_path(name);
  std::ofstream(path) << text;
  return path;
}

// The JSON object on the last line of a `sar score --json` run.
nlohmann::json last_json_line(const std::string& output) {
  return nlohmann::json::parse(output.substr(output.rfind('\n', output.size() - 2) + 1));
}

nlohmann::json variant_cases(const char* metric) {
  std::ifstream in("tests/data/eval/expected_variants.json");
  REQUIRE_MESSAGE(in, "tests/data/eval/expected_variants.json missing: run tools/make_eval_fixtures.py");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : nlohmann::json::parse(in))
    if (c["metric"] == metric) out.push_back(c);
  return out;
}

// The ground truth of only these images (crowd indices kept), as the script cuts it.
CocoKeypointGt cut_to(const CocoKeypointGt& gt, const std::set<int64_t>& images) {
  CocoKeypointGt out = gt;
  out.image_ids.clear();
  out.annotations.clear();
  for (int64_t id : gt.image_ids)
    if (images.count(id)) out.image_ids.push_back(id);
  for (const CocoKeypointAnnotation& a : gt.annotations)
    if (images.count(a.image_id)) out.annotations.push_back(a);
  return out;
}

// Three images, one per crowd-index class, one person each who has only keypoint 0 (sigma
// 0.079) labelled, in a 100 x 100 box and no "area": the box scale is 0.53 x 10^4, so a
// result d px away has OKS exp(-d^2 / (2 x 5300 x 0.158^2)) = exp(-d^2 / 264.6184).
std::string crowd_gt() {
  std::string annotations;
  const int64_t images[3] = {1, 2, 3};
  for (int64_t id : images) {
    std::string k = "100, 100, 2";
    for (int i = 1; i < 14; ++i) k += ", 0, 0, 0";
    annotations += (id > 1 ? ", " : "") + std::string("{\"id\": ") + std::to_string(10 + id) + ", \"image_id\": " +
                   std::to_string(id) + ", \"category_id\": 1, \"num_keypoints\": 1, \"iscrowd\": 0, " +
                   "\"bbox\": [50, 50, 100, 100], \"keypoints\": [" + k + "]}";
  }
  return R"({"images": [{"id": 1, "crowdIndex": 0.1}, {"id": 2, "crowdIndex": 0.5}, {"id": 3, "crowdIndex": 0.8}],
             "categories": [{"id": 1, "keypoints": ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
               "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
               "right_ankle", "head", "neck"]}],
             "annotations": [)" +
         annotations + "]}";
}

// Easy: exact (OKS 1). Medium: 10 px off (OKS exp(-100 / 264.6184) = 0.685: matched at the
// thresholds 0.50 ... 0.65). Hard: exact, but every keypoint score is 0, so it is dropped.
std::string crowd_results() {
  auto result = [](int image, double x, double y, double v, double score) {
    std::string k = std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(v);
    for (int i = 1; i < 14; ++i) k += ", 100, 100, " + std::to_string(v);
    return "{\"image_id\": " + std::to_string(image) + ", \"category_id\": 1, \"score\": " + std::to_string(score) +
           ", \"keypoints\": [" + k + "]}";
  };
  return "[" + result(1, 100, 100, 1, 0.9) + ", " + result(2, 106, 108, 1, 0.8) + ", " + result(3, 100, 100, 0, 0.95) +
         "]";
}

}  // namespace

TEST_CASE("crowdpose eval: a hand-computed case") {
  const CocoKeypointGt gt = load_coco_gt(write_file("crowd_gt.json", crowd_gt()));
  REQUIRE(gt.crowd_index.size() == 3);
  const auto results = load_coco_results(write_file("crowd_res.json", crowd_results()), gt);
  const CrowdPoseSummary s = evaluate_crowdpose(gt, results);
  // Two results scored, three people. At the 4 thresholds up to 0.65 both match: recall 2/3,
  // precision 1 on the recall points 0 ... 0.66 (67 of 101); above, only the exact one: recall
  // 1/3, 34 points. Precision is tp / (tp + fp + eps).
  const double one = 1 / (1 + 2.220446049250313e-16);
  const double expected[9] = {(4 * 67 + 6 * 34) / 1010.0 * one, 67 / 101.0 * one, 34 / 101.0 * one,
                              (4 * 2 / 3.0 + 6 / 3.0) / 10, 2 / 3.0, 1 / 3.0,
                              1.0,   // easy: every threshold, every recall point, rounded to 4 decimals
                              0.4,   // medium: 4 of 10 thresholds
                              0.0};  // hard: its only result dropped
  for (int i = 0; i < 9; ++i)
    CHECK_MESSAGE(s.stats[i] == doctest::Approx(expected[i]).epsilon(1e-14), CrowdPoseSummary::kNames[i]);
  CHECK(crowdpose_sigmas().size() == 14);
  CHECK(crowdpose_sigmas()[12] == .79 / 10.0);

  // Nothing detected: 0 wherever people exist.
  const CrowdPoseSummary none = evaluate_crowdpose(gt, {});
  for (int i = 0; i < 9; ++i) CHECK_MESSAGE(none.stats[i] == 0, CrowdPoseSummary::kNames[i]);
  // No "area": plain COCO OKS cannot scale it, and says so.
  CHECK_THROWS_WITH_AS(evaluate_coco_keypoints(gt, results, crowdpose_sigmas()),
                       doctest::Contains("annotations[0] has no \"area\""), Error);
  CocoKeypointGt no_index = gt;
  no_index.crowd_index.erase(2);
  CHECK_THROWS_WITH_AS(evaluate_crowdpose(no_index, results), doctest::Contains("image 2 of"), Error);
  // COCO's 17 keypoints are not CrowdPose's 14: named, with the metric that fits
  CocoKeypointGt coco = gt;
  coco.num_keypoints = 17;
  CHECK_THROWS_WITH_AS(evaluate_crowdpose(coco, {}),
                       doctest::Contains("crowd_gt.json: the CrowdPose metric is for CrowdPose's 14 keypoints, this "
                                         "ground truth has 17 (COCO's: --metric coco)"),
                       Error);
}

SHARED_DATA_TEST_CASE("crowdpose eval: agrees with xtcocotools on every fixture") {
  const nlohmann::json cases = variant_cases("crowdpose");
  REQUIRE(cases.size() >= 15);
  for (const auto& c : cases) {
    CocoKeypointGt gt = load_coco_gt(*test::shared_data_dir() + "/" + c["gt"].get<std::string>());
    if (c.contains("images")) gt = cut_to(gt, c["images"].get<std::set<int64_t>>());
    std::vector<CocoKeypointResult> results;
    if (c.contains("results")) {
      results = load_coco_results("tests/data/eval/" + c["results"].get<std::string>(), gt);
    } else {  // every person exactly, score 1
      for (const CocoKeypointAnnotation& a : gt.annotations)
        if (!a.iscrowd) results.push_back({a.image_id, a.category_id, a.keypoints, 1.0});
    }
    const CrowdPoseSummary s = evaluate_crowdpose(gt, results);
    double worst = 0;
    for (int i = 0; i < 9; ++i) worst = std::max(worst, std::abs(s.stats[i] - c["stats"][i].get<double>()));
    CHECK_MESSAGE(worst <= 1e-12, c["case"].get<std::string>(), ": max |ours - xtcocotools| = ", worst);
  }
}

TEST_CASE("wholebody eval: parts without labels, fallback scores, unscored parts") {
  // One person: body and foot labelled, face and hands not. The result is exact; it has no
  // part scores but its hands' keypoint scores are all 0.
  auto part = [](int n, double x, double v) {
    std::string k;
    for (int i = 0; i < n; ++i) k += (i ? ", " : "") + std::to_string(x + i) + ", " + std::to_string(x) + ", " + std::to_string(v);
    return "[" + k + "]";
  };
  std::string names;
  for (int i = 0; i < 17; ++i) names += (i ? ", " : "") + std::string("\"k") + std::to_string(i) + "\"";
  const std::string gt_path = write_file("wb_gt.json", R"({"images": [{"id": 7}], "categories": [{"id": 1, "keypoints": [)" + names +
      R"(]}], "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "num_keypoints": 17, "iscrowd": 0,
      "area": 5000, "bbox": [100, 100, 60, 100], "keypoints": )" + part(17, 120, 2) + ", \"foot_kpts\": " + part(6, 150, 2) +
      ", \"face_kpts\": " + part(68, 0, 0) + ", \"lefthand_kpts\": " + part(21, 0, 0) +
      ", \"righthand_kpts\": " + part(21, 0, 0) + "}]}");
  const std::string res_path = write_file("wb_res.json", R"([{"image_id": 7, "category_id": 1, "score": 0.7, "keypoints": )" +
      part(17, 120, 1) + ", \"foot_kpts\": " + part(6, 150, 1) + ", \"face_kpts\": " + part(68, 130, 1) +
      ", \"lefthand_kpts\": " + part(21, 130, 0) + ", \"righthand_kpts\": " + part(21, 130, 0) + "}]");
  const WholeBodyEvalData data = load_wholebody_eval_data(gt_path, res_path);
  REQUIRE(data.gt.num_keypoints == 133);
  CHECK(data.part_scores[0][3] == 0.7);  // no lefthand_score: the result's score
  const WholeBodySummary s = evaluate_wholebody(data);
  const double one = 1 / (1 + 2.220446049250313e-16);
  // body, foot, wholebody: one exact match (area 5000: medium). face and hands: nobody to find (-1).
  for (int p : {0, 1, 5}) {
    CHECK_MESSAGE(s.parts[p].stats[0] == doctest::Approx(one).epsilon(1e-15), WholeBodySummary::kPartNames[p]);
    CHECK_MESSAGE(s.parts[p].stats[4] == -1, WholeBodySummary::kPartNames[p]);  // APl: no large person
  }
  for (int p : {2, 3, 4})
    for (int i = 0; i < 10; ++i) CHECK_MESSAGE(s.parts[p].stats[i] == -1, WholeBodySummary::kPartNames[p]);
  CHECK(format_wholebody_summary(s).find("lefthand:\n Average Precision") != std::string::npos);

  const std::string short_foot = write_file("wb_bad.json", R"([{"image_id": 7, "category_id": 1, "score": 1, "keypoints": )" +
      part(17, 1, 1) + ", \"foot_kpts\": " + part(5, 1, 1) + "}]");
  CHECK_THROWS_WITH_AS(load_wholebody_eval_data(gt_path, short_foot),
                       doctest::Contains("[0].foot_kpts has 15 values, expected 18 = 3 x 6"), Error);
}

SHARED_DATA_TEST_CASE("wholebody eval: agrees with xtcocotools on every fixture") {
  const nlohmann::json cases = variant_cases("wholebody");
  REQUIRE(cases.size() >= 7);
  for (const auto& c : cases) {
    const std::string results = c.contains("results")
                                    ? "tests/data/eval/" + c["results"].get<std::string>()
                                    : *test::shared_data_dir() + "/" + c["shared_results"].get<std::string>();
    const WholeBodyEvalData data =
        load_wholebody_eval_data(*test::shared_data_dir() + "/" + c["gt"].get<std::string>(), results);
    const WholeBodySummary s = evaluate_wholebody(data);
    double worst = 0;
    for (int p = 0; p < 6; ++p)
      for (int i = 0; i < 10; ++i) worst = std::max(worst, std::abs(s.parts[p].stats[i] - c["stats"][p][i].get<double>()));
    CHECK_MESSAGE(worst <= 1e-12, c["case"].get<std::string>(), ": max |ours - xtcocotools| = ", worst);
  }
}

TEST_CASE("sar score: --metric crowdpose prints the table and the JSON line") {
  const std::string gt = write_file("cli_crowd_gt.json", crowd_gt());
  const std::string res = write_file("cli_crowd_res.json", crowd_results());
  const auto run = test::run_sar("score --gt " + gt + " --results " + res + " --metric crowdpose --json");
  const std::string& out = run.output;
  REQUIRE_MESSAGE(run.exit_code == 0, out);
  CHECK(out.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | type=medium | maxDets= 20 ] = 0.400") != std::string::npos);
  const nlohmann::json numbers = last_json_line(out);
  CHECK(numbers["APmedium"].get<double>() == 0.4);
  CHECK(numbers["AR50"].get<double>() == doctest::Approx(2 / 3.0).epsilon(1e-15));
  // Empty results score 0.
  const std::string empty = write_file("cli_empty.json", "[]");
  const auto empty_run = test::run_sar("score --gt " + gt + " --results " + empty + " --metric crowdpose --json");
  CHECK(empty_run.exit_code == 0);
  const nlohmann::json zeros = last_json_line(empty_run.output);
  for (const char* name : CrowdPoseSummary::kNames) CHECK_MESSAGE(zeros[name].get<double>() == 0, name);
}

SHARED_DATA_TEST_CASE("sar score: --metric wholebody --json has every part's numbers") {
  const std::string dir = *test::shared_data_dir() + "/coco_wholebody_eval/";
  const auto run =
      test::run_sar("score --gt " + dir + "example_gt.json --results " + dir + "example_pred.json --metric wholebody --json");
  const std::string& out = run.output;
  REQUIRE_MESSAGE(run.exit_code == 0, out);
  const nlohmann::json numbers = last_json_line(out);
  CHECK(numbers.size() == 60);
  for (const auto& c : variant_cases("wholebody"))
    if (c["case"] == "wholebody_example_pred") {
      CHECK(std::abs(numbers["body_AP"].get<double>() - c["stats"][0][0].get<double>()) <= 1e-12);
      CHECK(std::abs(numbers["wholebody_ARl"].get<double>() - c["stats"][5][9].get<double>()) <= 1e-12);
    }
}
