// postprocess.cpp: rescore and OKS-NMS of eval/postprocess.h (mmpose's bbox_keypoint score and oks_nms).
#include "eval/postprocess.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace sar {

double rescore(double box_score, const std::vector<double>& keypoint_scores, double threshold) {
  double sum = 0;
  int n = 0;
  for (double s : keypoint_scores)
    if (s > threshold) { sum += s; ++n; }
  return n ? box_score * sum / n : 0.0;
}

double instance_oks(const std::vector<double>& a, const std::vector<double>& b, double area_a, double area_b,
                    const std::vector<double>& sigmas) {
  const size_t K = sigmas.size();
  SAR_CHECK(a.size() == 3 * K && b.size() == 3 * K, "instance_oks: keypoints must hold 3 x ", K, " values, got ",
            a.size(), " and ", b.size());
  // mmpose's oks_iou: np.spacing(1) guards the division for zero areas
  const double scale = (area_a + area_b) / 2 + 2.220446049250313e-16;
  double sum = 0;
  for (size_t k = 0; k < K; ++k) {
    const double dx = a[3 * k] - b[3 * k], dy = a[3 * k + 1] - b[3 * k + 1];
    sum += keypoint_similarity(dx * dx + dy * dy, sigmas[k], scale);
  }
  return K ? sum / double(K) : 0.0;
}

std::vector<size_t> oks_nms(const std::vector<CocoKeypointResult>& instances, const std::vector<double>& areas,
                            const std::vector<double>& sigmas, double threshold) {
  SAR_CHECK(areas.size() == instances.size(), "oks_nms: ", instances.size(), " instances but ", areas.size(),
            " areas");
  std::vector<size_t> order(instances.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return instances[i].score > instances[j].score; });
  std::vector<size_t> kept;
  std::vector<bool> dropped(instances.size(), false);
  for (size_t oi = 0; oi < order.size(); ++oi) {
    const size_t i = order[oi];
    if (dropped[i]) continue;
    kept.push_back(i);
    for (size_t oj = oi + 1; oj < order.size(); ++oj) {
      const size_t j = order[oj];
      if (!dropped[j] && instance_oks(instances[i].keypoints, instances[j].keypoints, areas[i], areas[j], sigmas) >
                             threshold)
        dropped[j] = true;
    }
  }
  return kept;
}

}  // namespace sar
