// pck.cpp: see pck.h.
#include "eval/pck.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "datasets/coco_dataset.h"

namespace sar {

namespace {

int index_of(const std::vector<std::string>& names, const char* name, const char* scale, const std::string& path) {
  auto it = std::find(names.begin(), names.end(), name);
  const bool head = std::string(scale) == "head";
  SAR_CHECK(it != names.end(), path, ": PCK with the ", scale, " scale needs a keypoint named '", name,
            "' in the category; ",
            head ? "PCKh is MPII's metric (other data sets: sar score --metric pck, or data.metric=pck)"
                 : "use the box as the scale (sar score --norm bbox, or data.pck_norm=bbox)");
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
  // the two keypoints whose distance is the scale: the torso's or the head segment's
  int end_a = -1, end_b = -1;
  if (options.head) {
    end_a = index_of(gt.keypoint_names, "upper_neck", "head", gt.path);
    end_b = index_of(gt.keypoint_names, "head_top", "head", gt.path);
  } else if (options.torso) {
    end_a = index_of(gt.keypoint_names, "left_shoulder", "torso", gt.path);
    end_b = index_of(gt.keypoint_names, "right_hip", "torso", gt.path);
  }
  // MPII's PCKh total leaves out the pelvis and thorax
  std::vector<bool> counted(K, true);
  for (int k = 0; k < K && options.head; ++k) {
    const std::string& name = k < int(gt.keypoint_names.size()) ? gt.keypoint_names[k] : "";
    counted[k] = name != "pelvis" && name != "thorax";
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
      if (end_a >= 0) {
        if (!labelled(a, end_a) || !labelled(a, end_b)) { ++out.skipped; continue; }
        scale = std::hypot(a.keypoints[3 * end_a] - a.keypoints[3 * end_b],
                           a.keypoints[3 * end_a + 1] - a.keypoints[3 * end_b + 1]);
      }
      ++out.people;
      if (!match[p]) ++out.unmatched;
      for (int k = 0; k < K; ++k) {
        if (!labelled(a, k) || !counted[k]) continue;
        ++out.keypoints;
        if (!match[p]) continue;
        const double d = distance(match[p]->keypoints, a, k);
        error_sum += d;
        ++matched_keypoints;
        if (d <= options.alpha * scale) ++correct;
      }
    }
  }
  if (out.keypoints == 0) {  // a ratio over nothing is no number, not 0
    const char* scale = options.head ? "upper_neck and head_top" : "left_shoulder and right_hip";
    out.undefined = cat(gt.path, ": ", options.head ? "PCKh" : "PCK", " is undefined here: ",
                        out.skipped == 0 ? "no person has a labelled keypoint"
                                         : cat("none of its ", out.skipped, " people has both ", scale,
                                               " labelled (the scale)"),
                        end_a >= 0 && !options.head
                            ? "; use the box as the scale (sar score --norm bbox, or data.pck_norm=bbox)"
                            : "");
    out.pck = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  out.pck = double(correct) / double(out.keypoints);
  out.mean_px_error = matched_keypoints ? error_sum / double(matched_keypoints) : 0.0;
  return out;
}

CocoKeypointGt load_mpii_gt(const std::string& json_path) {
  const KeypointDataset data = load_mpii_json(json_path, "");
  CocoKeypointGt gt;
  gt.path = json_path;
  gt.keypoint_names = data.meta.keypoint_names;
  gt.num_keypoints = int(gt.keypoint_names.size());
  gt.category_ids = {1};
  for (const ImageRecord& image : data.images) gt.image_ids.push_back(image.id);
  std::sort(gt.image_ids.begin(), gt.image_ids.end());
  gt.image_ids.erase(std::unique(gt.image_ids.begin(), gt.image_ids.end()), gt.image_ids.end());
  int64_t id = 0;
  for (const PersonRecord& person : data.people) {
    CocoKeypointAnnotation a;
    a.id = ++id;
    a.image_id = person.image_id;
    a.category_id = 1;
    a.keypoints.assign(person.keypoints.begin(), person.keypoints.end());
    for (size_t i = 2; i < a.keypoints.size(); i += 3) a.num_keypoints += a.keypoints[i] > 0;
    std::copy(person.bbox.begin(), person.bbox.end(), a.bbox.begin());
    a.area = a.bbox[2] * a.bbox[3];
    gt.annotations.push_back(std::move(a));
  }
  return gt;
}

}  // namespace sar
