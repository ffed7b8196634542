// mpjpe.cpp: MPJPE, and P-MPJPE's similarity alignment (Horn's quaternion method: the top
// eigenvector of a 4x4 matrix, by Jacobi rotations).
#include "eval/mpjpe.h"

#include <array>
#include <cmath>

#include "core/error.h"

namespace sar {

namespace {

size_t joints(const std::vector<double>& pred, const std::vector<double>& gt, const char* what) {
  SAR_CHECK(pred.size() == gt.size() && pred.size() % 3 == 0 && !pred.empty(), what,
            ": pred and gt must hold the same J (x, y, z) triples, got ", pred.size(), " and ", gt.size(), " values");
  return pred.size() / 3;
}

using Mat4 = std::array<std::array<double, 4>, 4>;

// The eigenvector of the largest eigenvalue of a symmetric 4x4 matrix, by cyclic Jacobi
// rotations (each zeroes one off-diagonal pair; a few sweeps reach machine precision).
std::array<double, 4> top_eigenvector(Mat4 a) {
  Mat4 v{};
  for (int i = 0; i < 4; ++i) v[i][i] = 1;
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = 0;
    for (int p = 0; p < 4; ++p)
      for (int q = p + 1; q < 4; ++q) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (int p = 0; p < 4; ++p) {
      for (int q = p + 1; q < 4; ++q) {
        if (a[p][q] == 0) continue;
        // the rotation angle that zeroes a[p][q] (Golub & Van Loan's symmetric Schur step)
        const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 4; ++k) {  // a = J^T a J, columns then rows
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 4; ++k) {
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 4; ++k) {  // v = v J
          const double vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  int best = 0;
  for (int i = 1; i < 4; ++i)
    if (a[i][i] > a[best][best]) best = i;
  return {v[0][best], v[1][best], v[2][best], v[3][best]};
}

}  // namespace

double mpjpe(const std::vector<double>& pred, const std::vector<double>& gt) {
  const size_t J = joints(pred, gt, "mpjpe");
  double sum = 0;
  for (size_t j = 0; j < J; ++j)
    sum += std::hypot(pred[3 * j] - gt[3 * j], pred[3 * j + 1] - gt[3 * j + 1], pred[3 * j + 2] - gt[3 * j + 2]);
  return sum / double(J);
}

double p_mpjpe(const std::vector<double>& pred, const std::vector<double>& gt) {
  const size_t J = joints(pred, gt, "p_mpjpe");
  // 1. centre both poses
  std::array<double, 3> mp{}, mg{};
  for (size_t j = 0; j < J; ++j)
    for (int d = 0; d < 3; ++d) { mp[d] += pred[3 * j + d] / J; mg[d] += gt[3 * j + d] / J; }
  // 2. the cross-covariance S[a][b] = sum_j p'_a g'_b, and the norm of p'
  double S[3][3] = {}, pp = 0;
  for (size_t j = 0; j < J; ++j)
    for (int a = 0; a < 3; ++a) {
      const double pa = pred[3 * j + a] - mp[a];
      pp += pa * pa;
      for (int b = 0; b < 3; ++b) S[a][b] += pa * (gt[3 * j + b] - mg[b]);
    }
  // 3. Horn's matrix: its top eigenvector is the unit quaternion of the best rotation p' -> g'
  const Mat4 N = {{{S[0][0] + S[1][1] + S[2][2], S[1][2] - S[2][1], S[2][0] - S[0][2], S[0][1] - S[1][0]},
                   {S[1][2] - S[2][1], S[0][0] - S[1][1] - S[2][2], S[0][1] + S[1][0], S[2][0] + S[0][2]},
                   {S[2][0] - S[0][2], S[0][1] + S[1][0], -S[0][0] + S[1][1] - S[2][2], S[1][2] + S[2][1]},
                   {S[0][1] - S[1][0], S[2][0] + S[0][2], S[1][2] + S[2][1], -S[0][0] - S[1][1] + S[2][2]}}};
  const auto q = top_eigenvector(N);
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  const double R[3][3] = {{w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)},
                          {2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)},
                          {2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z}};
  // 4. the best scale given R: sum_j g'_j . (R p'_j) / |p'|^2
  double gr = 0;
  std::vector<double> rotated(3 * J);
  for (size_t j = 0; j < J; ++j)
    for (int a = 0; a < 3; ++a) {
      double v = 0;
      for (int b = 0; b < 3; ++b) v += R[a][b] * (pred[3 * j + b] - mp[b]);
      rotated[3 * j + a] = v;
      gr += v * (gt[3 * j + a] - mg[a]);
    }
  const double scale = pp > 0 ? gr / pp : 0.0;
  std::vector<double> aligned(3 * J);
  for (size_t j = 0; j < J; ++j)
    for (int a = 0; a < 3; ++a) aligned[3 * j + a] = scale * rotated[3 * j + a] + mg[a];
  return mpjpe(aligned, gt);
}

}  // namespace sar
