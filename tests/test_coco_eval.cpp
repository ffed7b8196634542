// COCO keypoint evaluation (eval/coco_eval.h): agreement with pycocotools on the fixtures of
// tools/make_eval_fixtures.py, a case small enough to compute by hand, refusals, and the
// `sar score` command.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/coco_eval.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::temp_path;
using sar::test::CliResult;
using sar::test::error_of;
using sar::test::run_sar;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

// One image, one person with one keypoint (100, 100), area 5000 (medium), sigma 0.1. The
// detection at (106, 108) is 10 px away: OKS = exp(-10^2 / (2 * 5000 * (2 * 0.1)^2)) = exp(-0.25)
// = 0.7788, a match at the thresholds 0.50 ... 0.75 (6 of 10). A false positive far away scores
// higher.
const char* kTinyGt = R"({"images": [{"id": 1}],
  "categories": [{"id": 1, "name": "person", "keypoints": ["nose"]}],
  "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "keypoints": [100, 100, 2],
                   "num_keypoints": 1, "area": 5000, "bbox": [60, 40, 80, 62.5], "iscrowd": 0}]})";
const char* kTinyResults = R"([{"image_id": 1, "category_id": 1, "keypoints": [106, 108, 1], "score": 0.8},
                               {"image_id": 1, "category_id": 1, "keypoints": [400, 400, 1], "score": 0.9}])";


}  // namespace

TEST_CASE("coco eval: a hand-computed case") {
  const CocoKeypointGt gt = load_coco_gt(write_file("tiny_gt.json", kTinyGt));
  const auto results = load_coco_results(write_file("tiny_res.json", kTinyResults), gt);
  const CocoSummary s = evaluate_coco_keypoints(gt, results, {0.1});
  // "all": the false positive comes first, so at each matched threshold precision is 1/2 at
  // every recall point: AP = 6/10 * 1/2. "medium": the false positive's area (one keypoint: 0)
  // is out of range and it matches nothing, so it is ignored: APm = 6/10. Nobody is large.
  const double half = 1 / (2 + 2.220446049250313e-16), one = 1 / (1 + 2.220446049250313e-16);
  const double expected[10] = {0.6 * half, half, half, 0.6 * one, -1, 0.6, 1, 1, 0.6, -1};
  for (int i = 0; i < 10; ++i) CHECK_MESSAGE(s.stats[i] == doctest::Approx(expected[i]).epsilon(1e-15), CocoSummary::kNames[i]);

  // Nothing detected: 0 where ground truth exists, -1 where none does (as pycocotools).
  const CocoSummary none = evaluate_coco_keypoints(gt, {}, {0.1});
  const double zero[10] = {0, 0, 0, 0, -1, 0, 0, 0, 0, -1};
  for (int i = 0; i < 10; ++i) CHECK_MESSAGE(none.stats[i] == zero[i], CocoSummary::kNames[i]);
}

TEST_CASE("coco eval: bad ground truth, results and sigmas are refused by name") {
  const std::string gt_path = write_file("bad_gt.json", kTinyGt);
  const CocoKeypointGt gt = load_coco_gt(gt_path);
  auto refusal = [&](const std::string& text) {
    const std::string path = write_file("bad_res.json", text);
    return error_of([&] { load_coco_results(path, gt); });
  };
  const std::string res = temp_path("bad_res.json");
  CHECK(refusal(R"([{"image_id": 2, "category_id": 1, "keypoints": [1, 2, 1], "score": 1}])") ==
        res + ": [0].image_id 2 is not an image of " + gt_path);
  CHECK(refusal(R"([{"image_id": 1, "category_id": 1, "keypoints": [1, 2], "score": 1}])") ==
        res + ": [0].keypoints has 2 values, expected 3 = 3 x 1");
  CHECK(refusal(R"([{"image_id": 1, "category_id": 1, "keypoints": [1, null, 1], "score": 1}])") ==
        res + ": [0].keypoints[1] must be a finite number, got null");
  CHECK(refusal(R"([{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 1]}])") == res + ": [0] has no \"score\"");
  // Python's json writes NaN, which is not JSON: refused with the file named.
  CHECK(refusal(R"([{"image_id": 1, "category_id": 1, "keypoints": [NaN, 2, 1], "score": 1}])")
            .rfind(res + ": not valid JSON", 0) == 0);
  CHECK(error_of([&] { evaluate_coco_keypoints(gt, {}); }) ==
        "evaluate_coco_keypoints: 17 sigmas for 1 keypoints of " + gt_path);
  // A category's own "sigmas" are used where none are given.
  const std::string names = "\"keypoints\": [\"nose\"]";
  std::string with_sigmas = kTinyGt;
  with_sigmas.replace(with_sigmas.find(names), names.size(), names + ", \"sigmas\": [0.1]");
  const CocoKeypointGt gt_sigmas = load_coco_gt(write_file("gt_sigmas.json", with_sigmas));
  CHECK(gt_sigmas.sigmas == std::vector<double>{0.1});
  const auto tiny_results = load_coco_results(write_file("tiny_res2.json", kTinyResults), gt_sigmas);
  CHECK(evaluate_coco_keypoints(gt_sigmas, tiny_results).stats == evaluate_coco_keypoints(gt, tiny_results, {0.1}).stats);
  const std::string no_area = write_file("bad_gt2.json", R"({"images": [{"id": 1}],
    "categories": [{"id": 1, "keypoints": ["nose"]}],
    "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "keypoints": [1, 1, 2], "num_keypoints": 1,
                     "bbox": [0, 0, 2, 2]}]})");
  // Read (CrowdPose has no area), refused where the OKS scale needs it.
  const CocoKeypointGt gt_no_area = load_coco_gt(no_area);
  CHECK(error_of([&] { evaluate_coco_keypoints(gt_no_area, {}, {0.1}); }) ==
        no_area + ": annotations[0] has no \"area\", which the OKS scale needs; data sets without one (CrowdPose) "
                  "are scored with the box scale");
}

SHARED_DATA_TEST_CASE("coco eval: agrees with pycocotools on every fixture") {
  std::ifstream in("tests/data/eval/expected.json");
  REQUIRE_MESSAGE(in, "tests/data/eval/expected.json missing: run tools/make_eval_fixtures.py");
  const nlohmann::json cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 18);
  for (const auto& c : cases) {
    const CocoKeypointGt gt = load_coco_gt(*test::shared_data_dir() + "/" + c["gt"].get<std::string>());
    const auto results = load_coco_results("tests/data/eval/" + c["results"].get<std::string>(), gt);
    const CocoSummary s = evaluate_coco_keypoints(gt, results);
    double worst = 0;
    for (int i = 0; i < 10; ++i) worst = std::max(worst, std::abs(s.stats[i] - c["stats"][i].get<double>()));
    CHECK_MESSAGE(worst <= 1e-12, c["case"].get<std::string>(), ": max |ours - pycocotools| = ", worst);
  }
}

TEST_CASE("sar score: prints the COCO table and the JSON line") {
  const std::string gt = write_file("cli_gt.json", kTinyGt);
  const std::string res = write_file("cli_res.json", kTinyResults);
  // The tiny case has one keypoint and no "sigmas": OKS takes them by keypoint name, as the
  // evaluation during training does (COCO's 17 would not fit), and the command says so.
  const CliResult by_name = run_sar("score --gt " + gt + " --results " + res + " --metric coco");
  CHECK(by_name.exit_code == 0);
  CHECK(by_name.output.find("OKS sigmas by keypoint name (" + gt + "'s category has none") != std::string::npos);
  CHECK(by_name.output.find("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ]") !=
        std::string::npos);
  CHECK(run_sar("score --gt " + gt + " --results " + res + " --metric oks").output.find(
            "--metric: expected coco, crowdpose, wholebody, pck or pckh, got 'oks'") != std::string::npos);
  // PCK with the box scale (max(80, 62.5) = 80): the detection 10 px away is within 0.2 x 80
  const CliResult pck = run_sar("score --gt " + gt + " --results " + res + " --metric pck --norm bbox --json");
  REQUIRE_MESSAGE(pck.exit_code == 0, pck.output);
  CHECK(pck.output.find("{\"PCK\": 1, \"mean_px_error\": 10}") != std::string::npos);
  // Several radii: a line and a key each; 10 px is beyond 0.1 x 80 = 8 px.
  const CliResult radii = run_sar("score --gt " + gt + " --results " + res + " --metric pck --norm bbox --alpha 0.1,0.2 --json");
  REQUIRE_MESSAGE(radii.exit_code == 0, radii.output);
  CHECK(radii.output.find("PCK@0.1 (bbox): 0.0000 over 1 keypoints") != std::string::npos);
  CHECK(radii.output.find("PCK@0.2 (bbox): 1.0000 over 1 keypoints") != std::string::npos);
  CHECK(radii.output.find("{\"PCK@0.1\": 0, \"PCK@0.2\": 1, \"mean_px_error\": 10}") != std::string::npos);
  for (const char* alpha : {"0.2,x", "-1", "0.1,", "abc"}) {
    const CliResult r = run_sar("score --gt " + gt + " --results " + res + " --metric pck --alpha " + alpha);
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(r.output.find(std::string("--alpha: expected a positive number or a comma-separated list of them, got '") +
                                alpha + "'") != std::string::npos,
                  r.output);
  }
  CHECK(run_sar("score --gt " + gt + " --results").output.find("sar score --results: ") != std::string::npos);
  CHECK(run_sar("score --gt " + gt + " --results " + res + " --metric pck").output.find(
            "needs a keypoint named 'left_shoulder'") != std::string::npos);
}

SHARED_DATA_TEST_CASE("sar score: --json on a pycocotools fixture") {
  const std::string gt = *test::shared_data_dir() + "/mmpose_fixtures/coco/test_coco.json";
  const CliResult r = run_sar("score --gt " + gt + " --results tests/data/eval/mmpose_val_jitter_mid.json --metric coco --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = ") != std::string::npos);
  const std::string last = r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1);
  const nlohmann::json numbers = nlohmann::json::parse(last);
  std::ifstream in("tests/data/eval/expected.json");
  for (const auto& c : nlohmann::json::parse(in))
    if (c["case"] == "mmpose_val_jitter_mid")
      for (int i = 0; i < 10; ++i)
        CHECK(std::abs(numbers[CocoSummary::kNames[i]].get<double>() - c["stats"][i].get<double>()) <= 1e-12);
}
