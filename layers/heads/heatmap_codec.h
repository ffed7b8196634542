// heatmap_codec.h: keypoints <-> Gaussian heatmaps, the targets of the heatmap baselines and
// of SAR's auxiliary heatmap branch (MSRA-style, as mmpose's MSRAHeatmap codec and the
// official SAR codec compute them). CPU only: targets are made in the data loader.
//
// encode: for keypoint j at (x, y) in heatmap-cell units, mu = (int(x + 0.5), int(y + 0.5))
//   (computed in float and truncated toward zero, as the official code does in float32); the
//   window of radius 3*sigma around mu gets exp(-((u - mu_x)^2 + (v - mu_y)^2) / (2 sigma^2)),
//   peak 1 at mu; a keypoint's weight is its visibility (v > 0 -> 1) and becomes 0 when the whole
//   window lies outside the map (gaussian_window_touches_map below), in which case its heatmap
//   stays 0. Keypoints just outside the map thus stay supervised by the window's inside part.
//   When 3*sigma is an integer (sigma 2 and 3 in the recipes) the maps equal mmpose's, up to the
//   float rounding of exp; for other sigma the window is |u - mu| <= 3 sigma, while mmpose's
//   truncations widen it by a cell or, clipped at the left or top edge, misplace it by one.
// decode: the arg-max cell (lowest index on ties), score = the maximum value, then mmpose's
//   quarter-cell shift toward the higher neighbour (refine_keypoints), with its bounds kept so
//   the numbers match: x += 0.25 * sign(hm[y][x+1] - hm[y][x-1]) when 2 <= x <= w-2 and y >= 1;
//   y += 0.25 * sign(hm[y+1][x] - hm[y-1][x]) when 2 <= y <= h-2 and x >= 1 (so a peak in
//   column 1 or row 0 is not shifted in x). A maximum <= 0 is no peak: coords (-1, -1), unshifted.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace sar {

struct HeatmapTargets {
  Tensor heatmaps;  // [J, h, w] float32
  Tensor weights;   // [J] float32: 1 supervised, 0 not
};

// xy: J (x, y) pairs in heatmap-cell units, flat [J * 2]; visible: J flags (v > 0 means
// labelled). Throws sar::Error when the sizes disagree, h or w < 1, sigma is not positive and
// finite, or a labelled keypoint's position is NaN (an infinite one is simply off the map).
HeatmapTargets encode_gaussian_heatmaps(const std::vector<float>& xy, const std::vector<float>& visible, int h, int w,
                                        double sigma);

// mmpose's test for "the window around mu = (int(x + 0.5), int(y + 0.5)) has a part in the
// h x w map", which sets a keypoint's weight (SAR_SPEC §2): with right = int(mu_x + 3 sigma + 1)
// and left = int(mu_x - 3 sigma), both truncated toward zero, the weight is 0 when left >= w or
// right < 0 (and likewise in y). The bounds are off by one on the left and top: at
// mu_x + 3 sigma = -1 the window misses the map, yet the weight stays 1 (map all 0); and for a
// 3 sigma that is no integer the truncation keeps the weight up to mu_x + 3 sigma + 1 > -1.
bool gaussian_window_touches_map(float x, float y, int h, int w, double sigma);

struct HeatmapPeaks {
  Tensor coords;  // [N, J, 2] (x, y) in heatmap-cell units, after the quarter shift
  Tensor scores;  // [N, J] the maximum value
};

// heatmaps [N, J, h, w], float32 or float64, on any device (decoded on the CPU); the peaks are
// CPU tensors of the same dtype.
HeatmapPeaks decode_heatmaps(const Tensor& heatmaps);

}  // namespace sar
