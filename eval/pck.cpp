#include "eval/pck.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"

namespace sar {

namespace {

int index_of(const std::vector<std::string>& names, const char* name, const std::string& path) {
  auto it = std::find(names.begin(), names.end(), name);
  SAR_CHECK(it != names.end(), path, ": PCK with the torso scale needs a keypoint named '", name,
            "' in the category; use --norm bbox");
  return int(it - names.begin());
}

bool labelled(const CocoKeypointAnnotation& a, int k) { return a.keypoints[3 * k + 2] > 0; }

double distance(const std::vector<double>& p, const CocoKeypointAnnotation& a, int k) {
  return std::hypot(p[3 * k] - a.keypoints[3 * k], p[3 * k + 1] - a.keypoints[3 * k + 1]);
}

// Mean distance over the person's labelled keypoints (the matching cost).
double mean_distance(const std::vector<double>& prediction, const CocoKeypointAnnotation& a, int K) {
  double sum = 0;
  int n = 0;
  for (int k = 0; k < K; ++k)
    if (labelled(a, k)) { sum += distance(prediction, a, k); ++n; }
  return n ? sum / n : std::numeric_limits<double>::infinity();
}

}  // namespace

PckResult evaluate_pck(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                       const PckOptions& options) {
  SAR_CHECK(options.alpha > 0, "PCK: alpha must be > 0, got ", options.alpha);
  const int K = gt.num_keypoints;
  int left_shoulder = -1, right_hip = -1;
  if (options.torso) {
    left_shoulder = index_of(gt.keypoint_names, "left_shoulder", gt.path);
    right_hip = index_of(gt.keypoint_names, "right_hip", gt.path);
  }
  // the people each image holds, and its results best first
  std::map<int64_t, std::vector<const CocoKeypointAnnotation*>> people;
  for (const auto& a : gt.annotations) {
    bool any = false;
    for (int k = 0; k < K; ++k) any = any || labelled(a, k);
    if (!a.iscrowd && any) people[a.image_id].push_back(&a);
  }
  std::map<int64_t, std::vector<const CocoKeypointResult*>> by_image;
  for (const auto& r : results) by_image[r.image_id].push_back(&r);

  PckResult out;
  int64_t correct = 0, matched_keypoints = 0;
  double error_sum = 0;
  for (auto& [image_id, persons] : people) {
    const auto& rs = by_image[image_id];
    // every (result, person) pair of the image by cost; the cheapest pair of two free partners
    // matches first (ties: the higher score, then the earlier result)
    struct Pair {
      double cost;
      size_t result, person;
    };
    std::vector<Pair> pairs;
    for (size_t r = 0; r < rs.size(); ++r)
      for (size_t p = 0; p < persons.size(); ++p) pairs.push_back({mean_distance(rs[r]->keypoints, *persons[p], K), r, p});
    std::stable_sort(pairs.begin(), pairs.end(), [&](const Pair& a, const Pair& b) {
      return a.cost < b.cost || (a.cost == b.cost && rs[a.result]->score > rs[b.result]->score);
    });
    std::vector<const CocoKeypointResult*> match(persons.size(), nullptr);
    std::vector<bool> used(rs.size(), false);
    for (const Pair& pair : pairs) {
      if (used[pair.result] || match[pair.person]) continue;
      used[pair.result] = true;
      match[pair.person] = rs[pair.result];
    }
    for (size_t p = 0; p < persons.size(); ++p) {
      const CocoKeypointAnnotation& a = *persons[p];
      double scale = std::max(a.bbox[2], a.bbox[3]);
      if (options.torso) {
        if (!labelled(a, left_shoulder) || !labelled(a, right_hip)) { ++out.skipped; continue; }
        scale = std::hypot(a.keypoints[3 * left_shoulder] - a.keypoints[3 * right_hip],
                           a.keypoints[3 * left_shoulder + 1] - a.keypoints[3 * right_hip + 1]);
      }
      ++out.people;
      if (!match[p]) ++out.unmatched;
      for (int k = 0; k < K; ++k) {
        if (!labelled(a, k)) continue;
        ++out.keypoints;
        if (!match[p]) continue;
        const double d = distance(match[p]->keypoints, a, k);
        error_sum += d;
        ++matched_keypoints;
        if (d <= options.alpha * scale) ++correct;
      }
    }
  }
  out.pck = out.keypoints ? double(correct) / double(out.keypoints) : 0.0;
  out.mean_px_error = matched_keypoints ? error_sum / double(matched_keypoints) : 0.0;
  return out;
}

}  // namespace sar
