// PCK@alpha, PCKh and the mean pixel error: hand-computed cases, matching, scales, refusals,
// MPII's json as ground truth, and `sar score --metric pckh`.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "eval/coco_results.h"
#include "eval/pck.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

CocoKeypointAnnotation person(int64_t image_id, std::vector<double> keypoints, std::array<double, 4> bbox) {
  CocoKeypointAnnotation a;
  a.image_id = image_id;
  a.category_id = 1;
  a.keypoints = std::move(keypoints);
  a.bbox = bbox;
  a.area = bbox[2] * bbox[3];
  return a;
}

CocoKeypointResult result(int64_t image_id, std::vector<double> keypoints, double score) {
  return {image_id, 1, std::move(keypoints), score};
}

// Keypoints: left_shoulder, right_hip, nose.
CocoKeypointGt three_people() {
  CocoKeypointGt gt;
  gt.path = "gt.json";
  gt.num_keypoints = 3;
  gt.keypoint_names = {"left_shoulder", "right_hip", "nose"};
  gt.image_ids = {1, 2, 3};
  gt.category_ids = {1};
  gt.annotations = {
      person(1, {0, 0, 2, 30, 40, 2, 10, 10, 2}, {0, 0, 40, 60}),    // torso 50
      person(2, {0, 0, 2, 0, 0, 0, 5, 5, 2}, {0, 0, 20, 20}),        // right hip unlabelled
      person(3, {100, 100, 2, 130, 140, 1, 0, 0, 0}, {90, 90, 50, 60})};  // no result at all
  return gt;
}

}  // namespace

TEST_CASE("pck: torso scale, hand-computed") {
  const CocoKeypointGt gt = three_people();
  // person 1: distances 5 (in), 12 (out: the threshold is 0.2 x 50 = 10), 0 (in)
  // a confident false positive far away must not take person 1 from the close prediction
  std::vector<CocoKeypointResult> results = {result(1, {3, 4, 1, 30, 52, 1, 10, 10, 1}, 0.5),
                                             result(1, {500, 500, 1, 500, 500, 1, 500, 500, 1}, 0.9),
                                             result(2, {0, 0, 1, 0, 0, 1, 5, 5, 1}, 1)};
  const PckResult r = evaluate_pck(gt, results);
  CHECK(r.people == 2);     // person 2 has no torso: skipped
  CHECK(r.skipped == 1);
  CHECK(r.unmatched == 1);  // person 3
  CHECK(r.keypoints == 5);  // 3 of person 1 + 2 labelled of person 3
  CHECK(r.pck == doctest::Approx(2.0 / 5.0));
  CHECK(r.mean_px_error == doctest::Approx(17.0 / 3.0));  // over person 1 only
}

TEST_CASE("pck: bbox scale and alpha") {
  const CocoKeypointGt gt = three_people();
  std::vector<CocoKeypointResult> results = {result(1, {3, 4, 1, 30, 52, 1, 10, 10, 1}, 1),
                                             result(2, {0, 3, 1, 0, 0, 1, 5, 5, 1}, 1)};
  PckOptions options;
  options.torso = false;
  // person 1: box 60 -> threshold 12: 5 in, 12 in (<=), 0 in; person 2: box 20 -> 4: 3 in, 0 in
  PckResult r = evaluate_pck(gt, results, options);
  CHECK(r.people == 3);
  CHECK(r.skipped == 0);
  CHECK(r.pck == doctest::Approx(5.0 / 7.0));
  options.alpha = 0.1;  // thresholds 6 and 2: 5 and 0 in, 12 out; person 2: 3 out, 0 in
  r = evaluate_pck(gt, results, options);
  CHECK(r.pck == doctest::Approx(3.0 / 7.0));
  CHECK(evaluate_pck(gt, {}, options).pck == 0.0);
  options.alpha = 0;
  CHECK_THROWS_WITH_AS(evaluate_pck(gt, results, options), doctest::Contains("PCK: alpha must be > 0"), Error);
}

TEST_CASE("pck: torso needs the names, and says so") {
  CocoKeypointGt gt = three_people();
  gt.keypoint_names = {"a", "b", "c"};
  CHECK_THROWS_WITH_AS(evaluate_pck(gt, {}), doctest::Contains("gt.json: PCK with the torso scale needs a keypoint named "
                                                               "'left_shoulder'"),
                       Error);
}

TEST_CASE("pck: undefined (NaN, with the reason) when no person has a scale, never 0") {
  CocoKeypointGt gt = three_people();
  gt.annotations.erase(gt.annotations.begin());  // left: person 2 (no right hip) and person 3
  gt.annotations[1].keypoints[2] = 0;            // person 3 loses its left shoulder
  PckResult r = evaluate_pck(gt, {});
  CHECK(std::isnan(r.pck));
  CHECK(r.keypoints == 0);
  CHECK(r.undefined == "gt.json: PCK is undefined here: none of its 2 people has both left_shoulder and right_hip "
                       "labelled (the scale); use the box as the scale (sar score --norm bbox, or data.pck_norm=bbox)");
  PckOptions box;
  box.torso = false;
  r = evaluate_pck(gt, {}, box);  // the box scale counts them
  CHECK(r.keypoints == 3);
  CHECK(r.pck == 0.0);
  CHECK(r.undefined.empty());
  gt.annotations.clear();
  r = evaluate_pck(gt, {}, box);
  CHECK(std::isnan(r.pck));
  CHECK(r.undefined == "gt.json: PCK is undefined here: no person has a labelled keypoint");

  // sar score refuses to print a number for it
  CocoKeypointGt headless = three_people();
  headless.annotations.erase(headless.annotations.begin());
  headless.annotations[1].keypoints[2] = 0;
  headless.path = test::temp_path("no_torso_gt.json");
  save_coco_gt(headless.path, headless);
  const std::string results = test::temp_path("no_torso_results.json");
  std::ofstream(results) << "[]";
  const auto score = test::run_sar("score --gt " + headless.path + " --results " + results + " --metric pck");
  CHECK(score.exit_code == 1);
  CHECK(score.output.find("PCK is undefined here: none of its 2 people has both") != std::string::npos);
}

namespace {

// Keypoints: upper_neck, head_top, pelvis, right_wrist (MPII's names).
CocoKeypointGt two_heads() {
  CocoKeypointGt gt;
  gt.path = "mpii_like.json";
  gt.num_keypoints = 4;
  gt.keypoint_names = {"upper_neck", "head_top", "pelvis", "right_wrist"};
  gt.image_ids = {1, 2};
  gt.category_ids = {1};
  gt.annotations = {person(1, {0, 0, 2, 0, 40, 2, 0, 100, 2, 30, 50, 2}, {0, 0, 60, 120}),  // head segment 40
                    person(2, {0, 0, 2, 0, 0, 0, 5, 5, 2, 9, 9, 2}, {0, 0, 20, 20})};       // no head_top
  return gt;
}

}  // namespace

TEST_CASE("pckh: the head segment scale, hand-computed") {
  const CocoKeypointGt gt = two_heads();
  // person 1: upper_neck 0 px off, head_top 25 px off, pelvis 100 px off (not counted, as MPII's
  // total), right_wrist 20 px off. PCKh@0.5: threshold 0.5 x 40 = 20: 0 and 20 in, 25 out.
  const std::vector<CocoKeypointResult> results = {result(1, {0, 0, 1, 15, 60, 1, 100, 100, 1, 30, 70, 1}, 1),
                                                   result(2, {0, 0, 1, 0, 0, 1, 5, 5, 1, 9, 9, 1}, 1)};
  PckOptions options;
  options.head = true;
  options.alpha = 0.5;
  PckResult r = evaluate_pck(gt, results, options);
  CHECK(r.people == 1);
  CHECK(r.skipped == 1);  // person 2 has no head_top
  CHECK(r.keypoints == 3);
  CHECK(r.pck == doctest::Approx(2.0 / 3.0));
  CHECK(r.mean_px_error == doctest::Approx(15.0));  // (0 + 25 + 20) / 3
  options.alpha = 0.1;  // threshold 4: only the upper neck
  CHECK(evaluate_pck(gt, results, options).pck == doctest::Approx(1.0 / 3.0));
  CHECK(evaluate_pck(gt, {}, options).pck == 0.0);

  CocoKeypointGt unnamed = gt;
  unnamed.keypoint_names = {"neck", "head", "pelvis", "right_wrist"};
  CHECK_THROWS_WITH_AS(evaluate_pck(unnamed, results, options),
                       doctest::Contains("PCK with the head scale needs a keypoint named 'upper_neck'"), Error);
}

SHARED_DATA_TEST_CASE("pckh: mmpose's MPII json as ground truth, and sar score --metric pckh") {
  const std::string mpii = *test::shared_data_dir() + "/mmpose_fixtures/mpii/test_mpii.json";
  const CocoKeypointGt gt = load_mpii_gt(mpii);
  REQUIRE(gt.num_keypoints == 16);
  REQUIRE(gt.annotations.size() == 5);
  CHECK(gt.keypoint_names[9] == "head_top");
  // Every person exactly: PCKh 1 over the labelled joints but pelvis and thorax.
  std::vector<CocoKeypointResult> perfect;
  int64_t labelled = 0;
  for (const CocoKeypointAnnotation& a : gt.annotations) {
    perfect.push_back(result(a.image_id, a.keypoints, 1));
    for (int k = 0; k < 16; ++k) labelled += k != 6 && k != 7 && a.keypoints[3 * k + 2] > 0;
  }
  PckOptions options;
  options.head = true;
  options.alpha = 0.5;
  const PckResult r = evaluate_pck(gt, perfect, options);
  CHECK(r.pck == 1.0);
  CHECK(r.keypoints == labelled);
  CHECK(r.mean_px_error == 0.0);

  // The same through the command line, the results moved 1 px right: still all within.
  nlohmann::json shifted = nlohmann::json::array();
  for (const CocoKeypointResult& p : perfect) {
    std::vector<double> k = p.keypoints;
    for (size_t i = 0; i < k.size(); i += 3) k[i] += 1;
    shifted.push_back({{"image_id", p.image_id}, {"category_id", 1}, {"keypoints", k}, {"score", 1}});
  }
  const std::string res = test::temp_path("pckh_results.json");
  std::ofstream(res) << shifted.dump();
  const char* bin = std::getenv("SAR_BIN");
  const std::string cmd = std::string(bin ? bin : "build/sar") + " score --gt " + mpii + " --results " + res +
                          " --metric pckh --json 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  REQUIRE_MESSAGE(pclose(pipe) == 0, out);
  CHECK(out.find("PCKh@0.5 (head): 1.0000") != std::string::npos);
  CHECK(out.find("{\"PCKh\": 1, \"mean_px_error\": 1}") != std::string::npos);
}
