// PCK@alpha and the mean pixel error: hand-computed cases, matching, scales, refusals.
#include <cmath>

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
