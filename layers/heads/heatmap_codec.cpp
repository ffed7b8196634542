// heatmap_codec.cpp: MSRA Gaussian targets and arg-max decoding (layers/heads/heatmap_codec.h),
// on the CPU: targets are made per sample in the data loader, and decoding is a cheap pass
// after the network. Both follow mmpose's generate_gaussian_heatmaps and get_heatmap_maximum +
// refine_keypoints (mmpose 1.3.1, which the official SAR code uses), quirks included.
#include "layers/heads/heatmap_codec.h"

#include <algorithm>
#include <cmath>

#include "core/ops/op_util.h"

namespace sar {

HeatmapTargets encode_gaussian_heatmaps(const std::vector<float>& xy, const std::vector<float>& visible, int h, int w,
                                        double sigma) {
  const char* op = "encode_gaussian_heatmaps";
  const int64_t J = int64_t(visible.size());
  SAR_CHECK(xy.size() == 2 * visible.size(), op, ": xy must hold an (x, y) pair per keypoint, 2 * ", J, " = ", 2 * J,
            " values for the ", J, " visibility flags, got ", xy.size());
  SAR_CHECK(h > 0 && w > 0, op, ": the heatmap must be at least 1x1, got h = ", h, ", w = ", w);
  SAR_CHECK(sigma > 0 && std::isfinite(sigma), op, ": sigma must be positive and finite, got ", sigma);

  HeatmapTargets out;
  out.heatmaps = Tensor::zeros({J, h, w});  // [J, h, w]
  out.weights = Tensor::zeros({J});         // [J]
  float* weight = out.weights.data<float>();
  const double radius = 3 * sigma;
  for (int64_t j = 0; j < J; ++j) {
    if (!(visible[j] > 0)) continue;  // unlabelled: weight 0, map 0
    const float x = xy[2 * j], y = xy[2 * j + 1];
    SAR_CHECK(!std::isnan(x) && !std::isnan(y), op, ": keypoint ", j, " is labelled but its position is (", x, ", ",
              y, ")");
    // mu = int(x + 0.5): the sum in float, then truncation toward zero (not the floor), as mmpose.
    const double mu_x = std::trunc(x + 0.5f), mu_y = std::trunc(y + 0.5f);
    if (!gaussian_window_touches_map(x, y, h, w, sigma)) continue;
    weight[j] = 1.f;
    // The window's cells |u - mu| <= 3 sigma, clipped to the map; mu is now finite and near the map.
    const int64_t u0 = std::max<int64_t>(0, int64_t(std::ceil(mu_x - radius)));
    const int64_t u1 = std::min<int64_t>(w - 1, int64_t(std::floor(mu_x + radius)));
    const int64_t v0 = std::max<int64_t>(0, int64_t(std::ceil(mu_y - radius)));
    const int64_t v1 = std::min<int64_t>(h - 1, int64_t(std::floor(mu_y + radius)));
    float* map = out.heatmaps.data<float>() + j * h * w;  // [h, w]
    for (int64_t v = v0; v <= v1; ++v)
      for (int64_t u = u0; u <= u1; ++u) {
        const double d2 = (u - mu_x) * (u - mu_x) + (v - mu_y) * (v - mu_y);
        map[v * w + u] = float(std::exp(-d2 / (2 * sigma * sigma)));
      }
  }
  return out;
}

bool gaussian_window_touches_map(float x, float y, int h, int w, double sigma) {
  const double mu_x = std::trunc(x + 0.5f), mu_y = std::trunc(y + 0.5f), radius = 3 * sigma;
  const double left = std::trunc(mu_x - radius), top = std::trunc(mu_y - radius);
  const double right = std::trunc(mu_x + radius + 1), bottom = std::trunc(mu_y + radius + 1);
  return !(left >= w || top >= h || right < 0 || bottom < 0);
}

// sign(a - b) * 0.25: the quarter-cell step toward the higher of two neighbours, 0 if equal.
template <typename T>
static T quarter_toward(T a, T b) {
  return a > b ? T(0.25) : (a < b ? T(-0.25) : T(0));
}

// One [H, W] map per row: coords [rows, 2], scores [rows].
template <typename T>
static void decode_peaks(T* coords, T* scores, const T* maps, int64_t rows, int64_t H, int64_t W) {
  for (int64_t row = 0; row < rows; ++row) {
    const T* hm = maps + row * H * W;
    int64_t best = 0;
    for (int64_t t = 1; t < H * W; ++t)
      if (hm[t] > hm[best]) best = t;  // strict: the first maximum wins ties, as np.argmax
    const int64_t x = best % W, y = best / W;
    scores[row] = hm[best];
    T* xy = coords + 2 * row;
    if (!(hm[best] > T(0))) {  // mmpose's "no peak" marker
      xy[0] = xy[1] = T(-1);
      continue;
    }
    xy[0] = T(x);
    xy[1] = T(y);
    // mmpose's refine_keypoints bounds: x needs 1 < x < W-1 and 0 < y; y needs 1 < y < H-1 and 0 < x.
    if (x > 1 && x < W - 1 && y > 0) xy[0] += quarter_toward(hm[best + 1], hm[best - 1]);
    if (y > 1 && y < H - 1 && x > 0) xy[1] += quarter_toward(hm[best + W], hm[best - W]);
  }
}

HeatmapPeaks decode_heatmaps(const Tensor& heatmaps) {
  const char* op = "decode_heatmaps";
  SAR_CHECK(heatmaps.defined(), op, ": heatmaps is an undefined tensor");
  SAR_CHECK(heatmaps.ndim() == 4, op, ": heatmaps must be [N, J, h, w], got ", heatmaps.shape());
  const int64_t N = heatmaps.size(0), J = heatmaps.size(1), H = heatmaps.size(2), W = heatmaps.size(3);
  SAR_CHECK(H > 0 && W > 0, op, ": heatmaps must have a map of at least 1x1 cells, got ", heatmaps.shape());
  const Tensor maps = heatmaps.to(Device::CPU);
  HeatmapPeaks out;
  out.coords = Tensor::empty({N, J, 2}, maps.dtype());
  out.scores = Tensor::empty({N, J}, maps.dtype());
  dispatch_float(maps.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    decode_peaks<T>(out.coords.data<T>(), out.scores.data<T>(), maps.data<T>(), N * J, H, W);
  });
  return out;
}

}  // namespace sar
