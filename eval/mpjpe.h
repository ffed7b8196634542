// mpjpe.h: 3D keypoint errors (Human3.6M's protocols), one pose of J joints at a time.
//   mpjpe    mean per-joint position error: mean_j |pred_j - gt_j|
//   p_mpjpe  the same after aligning pred to gt by the best similarity transform (scale,
//            rotation, translation; Procrustes). The rotation comes from Horn's quaternion
//            method (the top eigenvector of a symmetric 4x4 matrix, found by Jacobi sweeps),
//            which always gives a proper rotation, so no reflection fix is needed.
// pred and gt hold J (x, y, z) triples. Units are the data's (millimetres for Human3.6M).
#pragma once

#include <vector>

namespace sar {

double mpjpe(const std::vector<double>& pred, const std::vector<double>& gt);
double p_mpjpe(const std::vector<double>& pred, const std::vector<double>& gt);

}  // namespace sar
