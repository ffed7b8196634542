// Rescoring and OKS-NMS: hand-computed values.
#include <cmath>

#include "eval/postprocess.h"
#include "tests/test_util.h"

using namespace sar;

TEST_CASE("rescore: box score times the mean keypoint score above 0.2") {
  CHECK(rescore(0.9, {0.1, 0.5, 0.7, 0.2}) == doctest::Approx(0.9 * 0.6));  // 0.2 itself is not above
  CHECK(rescore(0.9, {0.1, 0.2}) == 0.0);
  CHECK(rescore(0.5, {0.3, 0.3}, 0.25) == doctest::Approx(0.15));
}

TEST_CASE("oks_nms: keeps the best, drops near duplicates, keeps distinct people") {
  const std::vector<double> sigmas = {0.1, 0.1};
  // two keypoints; instance 1 is instance 0 moved by 1 px, instance 2 is elsewhere
  std::vector<CocoKeypointResult> people = {{1, 1, {10, 10, 1, 20, 20, 1}, 0.8},
                                            {1, 1, {11, 10, 1, 21, 20, 1}, 0.9},
                                            {1, 1, {200, 200, 1, 220, 220, 1}, 0.7}};
  const std::vector<double> areas = {1000, 1000, 1000};
  // OKS(0, 1) = exp(-1 / (0.04 * 1000) / 2) = exp(-0.0125) = 0.9876 > 0.9
  CHECK(instance_oks(people[0].keypoints, people[1].keypoints, 1000, 1000, sigmas) ==
        doctest::Approx(std::exp(-0.0125)));
  CHECK(oks_nms(people, areas, sigmas) == std::vector<size_t>{1, 2});
  CHECK(oks_nms(people, areas, sigmas, 0.99) == std::vector<size_t>{1, 0, 2});  // threshold above their OKS
  CHECK(oks_nms({}, {}, sigmas).empty());
  CHECK_THROWS_WITH_AS(oks_nms(people, {1000}, sigmas), doctest::Contains("oks_nms: 3 instances but 1 areas"), Error);
}
