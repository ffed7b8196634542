// coco_results.cpp: eval/coco_results.h: people -> rescored, NMS-ed COCO results; a source's
// ground truth in memory; the atomic COCO json writers.
#include "eval/coco_results.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_write.h"
#include "eval/postprocess.h"

namespace sar {

namespace {

using json = nlohmann::json;

std::vector<double> finite_numbers(const std::vector<double>& values, const std::string& where) {
  for (size_t i = 0; i < values.size(); ++i)
    SAR_CHECK(std::isfinite(values[i]), where, "[", i, "] is ", values[i], ", not a finite number");
  return values;
}

double finite_number(double value, const std::string& where) {
  SAR_CHECK(std::isfinite(value), where, " is ", value, ", not a finite number");
  return value;
}

// nlohmann writes doubles as the shortest text that parses back to the same double, so a
// file read back with load_coco_gt / load_coco_results holds exactly the values written.
void write_json(const std::string& path, const json& root) { write_text_atomically(path, root.dump() + "\n"); }

}  // namespace

std::vector<CocoKeypointResult> to_coco_results(const std::vector<PersonPrediction>& people, const DatasetMeta& meta,
                                                const ResultOptions& options) {
  const std::vector<double> sigmas(meta.sigmas.begin(), meta.sigmas.end());
  const size_t K = size_t(meta.num_keypoints());
  std::map<int64_t, std::vector<size_t>> by_image;  // ordered: results come out by image id
  for (size_t i = 0; i < people.size(); ++i) {
    SAR_CHECK(people[i].keypoints.size() == 3 * K, "to_coco_results: person ", i, " has ",
              people[i].keypoints.size(), " keypoint values, expected 3 x ", K);
    by_image[people[i].image_id].push_back(i);
  }

  std::vector<CocoKeypointResult> results;
  for (const auto& [image_id, members] : by_image) {
    std::vector<CocoKeypointResult> instances;
    std::vector<double> areas;
    for (size_t i : members) {
      const PersonPrediction& p = people[i];
      std::vector<double> keypoint_scores(K);
      for (size_t k = 0; k < K; ++k) keypoint_scores[k] = p.keypoints[3 * k + 2];
      instances.push_back({image_id, options.category_id, p.keypoints,
                           rescore(p.box_score, keypoint_scores, options.rescore_threshold)});
      areas.push_back(p.area);
    }
    std::vector<size_t> kept;
    if (options.nms_threshold > 0) {
      kept = oks_nms(instances, areas, sigmas, options.nms_threshold);
    } else {
      kept.resize(instances.size());
      for (size_t i = 0; i < kept.size(); ++i) kept[i] = i;
      std::stable_sort(kept.begin(), kept.end(),
                       [&](size_t a, size_t b) { return instances[a].score > instances[b].score; });
    }
    for (size_t i : kept) results.push_back(std::move(instances[i]));
  }
  return results;
}

CocoKeypointGt ground_truth_of(const SampleSource& source) {
  const DatasetMeta& meta = source.meta();
  CocoKeypointGt gt;
  gt.path = "ground truth of '" + meta.name + "'";
  gt.num_keypoints = meta.num_keypoints();
  gt.keypoint_names = meta.keypoint_names;
  gt.sigmas.assign(meta.sigmas.begin(), meta.sigmas.end());
  gt.category_ids = {1};
  std::set<int64_t> image_ids;
  Image image;
  PersonRecord person;
  for (size_t i = 0; i < source.size(); ++i) {
    source.get(i, &image, &person);
    SAR_CHECK(person.keypoints.size() == size_t(3 * gt.num_keypoints), "ground_truth_of: sample ", i, " has ",
              person.keypoints.size(), " keypoint values, expected 3 x ", gt.num_keypoints);
    CocoKeypointAnnotation a;
    a.id = int64_t(i) + 1;  // pycocotools takes id 0 for "unmatched"
    a.image_id = person.image_id;
    a.category_id = 1;
    a.keypoints.assign(person.keypoints.begin(), person.keypoints.end());
    for (int k = 0; k < gt.num_keypoints; ++k) a.num_keypoints += person.keypoints[3 * k + 2] > 0;
    a.bbox = {person.bbox[0], person.bbox[1], person.bbox[2], person.bbox[3]};
    a.area = person.area > 0 ? double(person.area) : a.bbox[2] * a.bbox[3];
    gt.annotations.push_back(std::move(a));
    image_ids.insert(person.image_id);
  }
  gt.image_ids.assign(image_ids.begin(), image_ids.end());
  return gt;
}

void save_coco_results(const std::string& path, const std::vector<CocoKeypointResult>& results) {
  json root = json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const CocoKeypointResult& r = results[i];
    const std::string where = cat(path, ": results[", i, "]");
    root.push_back({{"image_id", r.image_id},
                    {"category_id", r.category_id},
                    {"keypoints", finite_numbers(r.keypoints, where + ".keypoints")},
                    {"score", finite_number(r.score, where + ".score")}});
  }
  write_json(path, root);
}

void save_coco_gt(const std::string& path, const CocoKeypointGt& gt) {
  SAR_CHECK(int(gt.keypoint_names.size()) == gt.num_keypoints, path, ": the ground truth has ",
            gt.keypoint_names.size(), " keypoint names for ", gt.num_keypoints, " keypoints");
  json images = json::array(), categories = json::array(), annotations = json::array();
  for (int64_t id : gt.image_ids) images.push_back({{"id", id}});
  // Every category gets the keypoint names (load_coco_gt reads them from the first one) and the
  // OKS sigmas when the ground truth has its own (a data set other than COCO's 17 keypoints).
  for (int64_t id : gt.category_ids) {
    json category = {{"id", id}, {"name", "person"}, {"keypoints", gt.keypoint_names}};
    if (!gt.sigmas.empty()) category["sigmas"] = finite_numbers(gt.sigmas, path + ": categories[].sigmas");
    categories.push_back(category);
  }
  for (size_t i = 0; i < gt.annotations.size(); ++i) {
    const CocoKeypointAnnotation& a = gt.annotations[i];
    const std::string where = cat(path, ": annotations[", i, "]");
    const std::vector<double> bbox(a.bbox.begin(), a.bbox.end());
    annotations.push_back({{"id", a.id},
                           {"image_id", a.image_id},
                           {"category_id", a.category_id},
                           {"keypoints", finite_numbers(a.keypoints, where + ".keypoints")},
                           {"num_keypoints", a.num_keypoints},
                           {"area", finite_number(a.area, where + ".area")},
                           {"bbox", finite_numbers(bbox, where + ".bbox")},
                           {"iscrowd", a.iscrowd ? 1 : 0}});
  }
  write_json(path, {{"images", images}, {"annotations", annotations}, {"categories", categories}});
}

}  // namespace sar
