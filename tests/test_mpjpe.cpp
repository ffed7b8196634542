// MPJPE and P-MPJPE: known offsets, and a pose moved by a similarity transform aligns back to 0.
#include <cmath>

#include "core/rng.h"
#include "eval/mpjpe.h"
#include "tests/test_util.h"

using namespace sar;

TEST_CASE("mpjpe: the mean joint distance") {
  const std::vector<double> gt = {0, 0, 0, 10, 0, 0};
  CHECK(mpjpe({3, 4, 0, 10, 0, 12}, gt) == doctest::Approx((5.0 + 12.0) / 2));
  CHECK(mpjpe(gt, gt) == 0.0);
  CHECK_THROWS_WITH_AS(mpjpe({1, 2, 3}, gt), doctest::Contains("mpjpe: pred and gt must hold the same J"), Error);
}

TEST_CASE("p_mpjpe: a scaled, rotated and shifted pose aligns back to 0") {
  const std::vector<double> gt_values = test::uniform({17, 3}, -500, 500, 3).to_vector();
  // rotation about the axis (1, 2, 3) / |.| by 1.1 rad (Rodrigues), scale 0.7, shift (40, -20, 900)
  const double n = std::sqrt(14.0), kx = 1 / n, ky = 2 / n, kz = 3 / n, a = 1.1, c = std::cos(a), s = std::sin(a);
  const double R[3][3] = {{c + kx * kx * (1 - c), kx * ky * (1 - c) - kz * s, kx * kz * (1 - c) + ky * s},
                          {ky * kx * (1 - c) + kz * s, c + ky * ky * (1 - c), ky * kz * (1 - c) - kx * s},
                          {kz * kx * (1 - c) - ky * s, kz * ky * (1 - c) + kx * s, c + kz * kz * (1 - c)}};
  const double shift[3] = {40, -20, 900};
  std::vector<double> pred(gt_values.size());
  for (size_t j = 0; j < 17; ++j)
    for (int r = 0; r < 3; ++r) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += R[r][k] * gt_values[3 * j + k];
      pred[3 * j + r] = 0.7 * v + shift[r];
    }
  CHECK(mpjpe(pred, gt_values) > 100);
  CHECK(p_mpjpe(pred, gt_values) < 1e-8);
  // noise stays: P-MPJPE of a noisy pose is at most its MPJPE
  std::vector<double> noisy = gt_values;
  const std::vector<double> noise = test::uniform({17, 3}, -10, 10, 4).to_vector();
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += noise[i];
  CHECK(p_mpjpe(noisy, gt_values) > 0.5);
  CHECK(p_mpjpe(noisy, gt_values) <= mpjpe(noisy, gt_values) + 1e-12);
}
