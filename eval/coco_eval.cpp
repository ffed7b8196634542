// coco_eval.cpp: see coco_eval.h. Each step names the cocoeval.py function whose semantics it
// follows; where the order of floating-point operations decides a comparison (OKS against a
// threshold, recall against a recall threshold), it is numpy's order.
#include "eval/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "datasets/json_fields.h"

namespace sar {

const std::array<const char*, 10> CocoSummary::kNames = {"AP", "AP50", "AP75", "APm", "APl",
                                                         "AR", "AR50", "AR75", "ARm", "ARl"};
const std::array<const char*, 9> CrowdPoseSummary::kNames = {"AP",     "AP50",   "AP75",     "AR",    "AR50",
                                                             "AR75",   "APeasy", "APmedium", "APhard"};

namespace {

using json = nlohmann::json;

// ---- reading ----

std::vector<double> numbers(const json& object, const std::string& where, const char* key) {
  const json& array = member(object, where, key);
  SAR_CHECK(array.is_array(), where, ".", key, " must be an array, got ", shown(array));
  std::vector<double> out;
  for (size_t i = 0; i < array.size(); ++i) out.push_back(finite_number(array[i], cat(where, ".", key, "[", i, "]")));
  return out;
}

void check_keypoint_count(const std::vector<double>& keypoints, int k, const std::string& where) {
  SAR_CHECK(keypoints.size() == size_t(3 * k), where, ".keypoints has ", keypoints.size(), " values, expected ",
            3 * k, " = 3 x ", k);
}

// The keypoint arrays `fields` of an annotation or result, one after the other.
std::vector<double> concatenated(const json& object, const std::string& where, const std::vector<KeypointField>& fields) {
  std::vector<double> out;
  for (const KeypointField& f : fields) {
    const std::vector<double> values = numbers(object, where, f.name.c_str());
    SAR_CHECK(values.size() == size_t(3 * f.count), where, ".", f.name, " has ", values.size(), " values, expected ",
              3 * f.count, " = 3 x ", f.count);
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

std::vector<int64_t> sorted_unique(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// ---- evaluation ----

constexpr int kMaxDets = 20;             // params.maxDets for keypoints
constexpr int kThresholds = 10;          // params.iouThrs: 0.50:0.05:0.95
constexpr int kRecallPoints = 101;       // params.recThrs: 0:0.01:1
const double kEps = std::numeric_limits<double>::epsilon();  // np.spacing(1)

// np.linspace(start, stop, n): i * ((stop - start) / (n - 1)) + start, the last value exactly
// stop. Thresholds are compared with ==, so they must be numpy's values, not i / 100.
std::vector<double> linspace(double start, double stop, int n) {
  const double step = (stop - start) / (n - 1);
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) out[i] = i * step + start;
  out[n - 1] = stop;
  return out;
}

// params.areaRng: all, medium, large (keypoints have no "small": small people carry no keypoints).
const double kAreaRanges[3][2] = {{0, 1e10}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

struct Detection {
  const CocoKeypointResult* result;
  double area;  // loadRes: the box around all K keypoints, unlabelled (0, 0) ones included
};

// The scale OKS divides by, which also places the person in an area range: its "area", or
// under use_area=False 0.53 x its box (xtcocotools writes h * w there and w * h in
// evaluateImg; the product is the same).
double person_area(const CocoKeypointAnnotation& g, bool box_scale) {
  return box_scale ? g.bbox[2] * g.bbox[3] * 0.53 : g.area;
}

// computeOks: the OKS of each detection (rows, score order) with each ground truth (columns,
// file order). A person with labelled keypoints (v > 0) is scored on those; one without is
// scored on every keypoint by its distance outside the box grown by its size on each side.
std::vector<double> compute_oks(const std::vector<const CocoKeypointAnnotation*>& gts,
                                const std::vector<Detection>& dts, const std::vector<double>& sigmas,
                                bool box_scale) {
  const size_t keypoints = sigmas.size();
  std::vector<double> oks(dts.size() * gts.size());
  for (size_t j = 0; j < gts.size(); ++j) {
    const CocoKeypointAnnotation& g = *gts[j];
    bool labelled = false;
    for (size_t i = 0; i < keypoints; ++i) labelled = labelled || g.keypoints[3 * i + 2] > 0;
    const auto& bb = g.bbox;
    const double scale = person_area(g, box_scale);
    const double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2, y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
    for (size_t d = 0; d < dts.size(); ++d) {
      const std::vector<double>& p = dts[d].result->keypoints;
      double sum = 0;
      size_t count = 0;
      for (size_t i = 0; i < keypoints; ++i) {
        const double xd = p[3 * i], yd = p[3 * i + 1];
        double dx, dy;
        if (labelled) {
          if (!(g.keypoints[3 * i + 2] > 0)) continue;
          dx = xd - g.keypoints[3 * i];
          dy = yd - g.keypoints[3 * i + 1];
        } else {
          dx = std::max(0.0, x0 - xd) + std::max(0.0, xd - x1);
          dy = std::max(0.0, y0 - yd) + std::max(0.0, yd - y1);
        }
        sum += keypoint_similarity(dx * dx + dy * dy, sigmas[i], scale + kEps);
        ++count;
      }
      oks[d * gts.size() + j] = sum / double(count);
    }
  }
  return oks;
}

// evaluateImg's result for one image, category and area range.
struct ImageEval {
  std::vector<double> scores;     // D, score order
  std::vector<char> matched;      // T x D: matched to a ground truth (dtMatches != 0)
  std::vector<char> ignored;      // T x D: dtIgnore
  int64_t counted_gt = 0;         // ground truths not ignored (gtIgnore == 0)
};

// evaluateImg: greedy matching, detections in score order, at each threshold. Ground truths
// ignored here (iscrowd, no keypoints, area out of range) are sorted last; a detection takes
// the best remaining match, but once it holds a counted one it does not move to an ignored one.
// A ground truth is matched once, except a crowd, which absorbs any number of detections.
// A detection matched to an ignored ground truth is ignored, and so is an unmatched one whose
// own area is out of range.
ImageEval evaluate_image(const std::vector<const CocoKeypointAnnotation*>& gts, const std::vector<Detection>& dts,
                         const std::vector<double>& oks, const double range[2], const std::vector<double>& thresholds,
                         const OksOptions& options) {
  const size_t G = gts.size(), D = dts.size();
  std::vector<char> gt_ignored(G);
  for (size_t j = 0; j < G; ++j) {
    const CocoKeypointAnnotation& g = *gts[j];
    bool no_keypoints = g.num_keypoints == 0;
    if (options.ignore_unlabelled) {
      no_keypoints = true;
      for (size_t i = 2; i < g.keypoints.size(); i += 3) no_keypoints = no_keypoints && !(g.keypoints[i] > 0);
    }
    const double area = person_area(g, options.box_scale);
    gt_ignored[j] = g.iscrowd || no_keypoints || area < range[0] || area > range[1];
  }
  std::vector<size_t> order(G);  // gtind: counted first, file order within each group
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gt_ignored[a] < gt_ignored[b]; });

  ImageEval out;
  out.matched.assign(kThresholds * D, 0);
  out.ignored.assign(kThresholds * D, 0);
  for (size_t d = 0; d < D; ++d) out.scores.push_back(dts[d].result->score);
  for (size_t j = 0; j < G; ++j) out.counted_gt += !gt_ignored[j];
  std::vector<char> gt_taken(G);
  for (int t = 0; t < kThresholds && G > 0; ++t) {
    std::fill(gt_taken.begin(), gt_taken.end(), 0);
    for (size_t d = 0; d < D; ++d) {
      double best = std::min(thresholds[t], 1 - 1e-10);
      int m = -1;  // position in `order`
      for (size_t s = 0; s < G; ++s) {
        const size_t j = order[s];
        if (gt_taken[j] && !gts[j]->iscrowd) continue;
        if (m > -1 && !gt_ignored[order[m]] && gt_ignored[j]) break;
        const double v = oks[d * G + j];
        if (v < best) continue;
        best = v;
        m = int(s);
      }
      if (m == -1) continue;
      out.ignored[t * D + d] = gt_ignored[order[m]];
      out.matched[t * D + d] = 1;
      gt_taken[order[m]] = 1;
    }
  }
  for (size_t d = 0; d < D; ++d) {
    const bool outside = dts[d].area < range[0] || dts[d].area > range[1];
    for (int t = 0; t < kThresholds; ++t)
      if (!out.matched[t * D + d] && outside) out.ignored[t * D + d] = 1;
  }
  return out;
}

// accumulate for one category and area range: the detections of all images (in image id
// order) sorted by score (stable), then per threshold the precision at the 101 recall points
// (precision made non-increasing from the right, read at the first detection reaching each recall;
// 0 past the last recall reached) and the final recall. Left at -1 when no image has a
// ground truth or detection, or no ground truth is counted.
void accumulate(const std::vector<ImageEval>& images, const std::vector<double>& recall_points,
                std::vector<double>& precision /* T x R */, std::vector<double>& recall /* T */) {
  precision.assign(kThresholds * kRecallPoints, -1);
  recall.assign(kThresholds, -1);
  if (images.empty()) return;
  std::vector<double> scores;
  int64_t counted_gt = 0;
  for (const ImageEval& e : images) {
    scores.insert(scores.end(), e.scores.begin(), e.scores.end());
    counted_gt += e.counted_gt;
  }
  if (counted_gt == 0) return;
  const size_t N = scores.size();
  std::vector<size_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return -scores[a] < -scores[b]; });
  for (int t = 0; t < kThresholds; ++t) {
    std::vector<char> matched, ignored;
    for (const ImageEval& e : images) {
      const size_t D = e.scores.size();
      matched.insert(matched.end(), e.matched.begin() + t * D, e.matched.begin() + (t + 1) * D);
      ignored.insert(ignored.end(), e.ignored.begin() + t * D, e.ignored.begin() + (t + 1) * D);
    }
    std::vector<double> rc, pr;
    double tp = 0, fp = 0;
    for (size_t i : order) {
      // an ignored detection counts neither way but keeps its place in the curve
      if (!ignored[i]) (matched[i] ? tp : fp) += 1;
      rc.push_back(tp / double(counted_gt));
      pr.push_back(tp / (fp + tp + kEps));
    }
    recall[t] = N ? rc.back() : 0;
    for (size_t i = N; i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    double* q = &precision[t * kRecallPoints];
    std::fill(q, q + kRecallPoints, 0.0);
    for (int r = 0; r < kRecallPoints; ++r) {
      const size_t at = std::lower_bound(rc.begin(), rc.end(), recall_points[r]) - rc.begin();  // searchsorted left
      if (at == N) break;
      q[r] = pr[at];
    }
  }
}

// summarize: the mean of the values > -1, or -1 when there is none.
double mean_defined(const std::vector<double>& values) {
  double sum = 0;
  int64_t n = 0;
  for (double v : values)
    if (v > -1) sum += v, ++n;
  return n ? sum / double(n) : -1;
}

// accumulate's arrays for one maxDets: precision [T][R][C][A] and recall [T][C][A].
struct Curves {
  size_t categories = 0;
  std::vector<double> precision, recall;
  double& p(int t, int r, size_t c, int a) { return precision[((t * kRecallPoints + r) * categories + c) * 3 + a]; }
  double& rc(int t, size_t c, int a) { return recall[(t * categories + c) * 3 + a]; }
};

// evaluate + accumulate over the images of gt (only those in `images` when given: CrowdPose's
// per-class runs set params.imgIds so).
Curves compute_curves(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                      const OksOptions& options, const std::vector<double>& thresholds,
                      const std::set<int64_t>* images = nullptr) {
  const std::vector<double> sigmas = !options.sigmas.empty() ? options.sigmas
                                     : !gt.sigmas.empty()    ? gt.sigmas
                                                             : coco_person_sigmas();
  SAR_CHECK(int(sigmas.size()) == gt.num_keypoints, "evaluate_coco_keypoints: ", sigmas.size(), " sigmas for ",
            gt.num_keypoints, " keypoints of ", gt.path);
  SAR_CHECK(options.result_areas.empty() || options.result_areas.size() == results.size(),
            "evaluate_coco_keypoints: ", options.result_areas.size(), " result areas for ", results.size(), " results");
  for (const CocoKeypointResult& r : results)
    check_keypoint_count(r.keypoints, gt.num_keypoints, cat("evaluate_coco_keypoints: result on image ", r.image_id));
  if (!options.box_scale)
    for (const CocoKeypointAnnotation& a : gt.annotations)
      SAR_CHECK(a.has_area, gt.path, ": annotations[", &a - gt.annotations.data(), "] has no \"area\", which the OKS ",
                "scale needs; data sets without one (CrowdPose) are scored with the box scale");
  const std::vector<double> recall_points = linspace(0.0, 1.0, kRecallPoints);

  // _prepare: ground truths and detections per (category, image).
  using Key = std::pair<int64_t, int64_t>;
  std::map<Key, std::vector<const CocoKeypointAnnotation*>> gts;
  std::map<Key, std::vector<Detection>> dts;
  for (const CocoKeypointAnnotation& a : gt.annotations) gts[{a.category_id, a.image_id}].push_back(&a);
  for (size_t n = 0; n < results.size(); ++n) {
    const CocoKeypointResult& r = results[n];
    if (options.drop_unscored) {
      bool scored = false;
      for (int i = 0; i < gt.num_keypoints; ++i) scored = scored || r.keypoints[3 * i + 2] > 0;
      if (!scored) continue;
    }
    double x0 = r.keypoints[0], x1 = x0, y0 = r.keypoints[1], y1 = y0;
    for (int i = 1; i < gt.num_keypoints; ++i) {
      x0 = std::min(x0, r.keypoints[3 * i]), x1 = std::max(x1, r.keypoints[3 * i]);
      y0 = std::min(y0, r.keypoints[3 * i + 1]), y1 = std::max(y1, r.keypoints[3 * i + 1]);
    }
    const double area = options.result_areas.empty() ? (x1 - x0) * (y1 - y0) : options.result_areas[n];
    dts[{r.category_id, r.image_id}].push_back({&r, area});
  }

  Curves curves;
  curves.categories = gt.category_ids.size();
  const size_t categories = curves.categories;
  curves.precision.resize(kThresholds * kRecallPoints * categories * 3);
  curves.recall.resize(kThresholds * categories * 3);
  const std::vector<const CocoKeypointAnnotation*> no_gts;
  const std::vector<Detection> no_dts;
  for (size_t c = 0; c < categories; ++c) {
    // evaluate: per image, detections in score order (stable), the first maxDets, and their OKS.
    std::vector<const std::vector<const CocoKeypointAnnotation*>*> image_gts;
    std::vector<std::vector<Detection>> image_dts;
    std::vector<std::vector<double>> image_oks;
    for (int64_t image : gt.image_ids) {
      if (images && !images->count(image)) continue;
      const Key key{gt.category_ids[c], image};
      auto g = gts.find(key);
      auto d = dts.find(key);
      if (g == gts.end() && d == dts.end()) continue;  // evaluateImg returns None: not accumulated
      image_gts.push_back(g == gts.end() ? &no_gts : &g->second);
      std::vector<Detection> sorted = d == dts.end() ? no_dts : d->second;
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const Detection& a, const Detection& b) { return -a.result->score < -b.result->score; });
      if (sorted.size() > size_t(kMaxDets)) sorted.resize(kMaxDets);
      image_oks.push_back(compute_oks(*image_gts.back(), sorted, sigmas, options.box_scale));
      image_dts.push_back(std::move(sorted));
    }
    for (int a = 0; a < 3; ++a) {
      std::vector<ImageEval> evals;
      for (size_t i = 0; i < image_dts.size(); ++i)
        evals.push_back(
            evaluate_image(*image_gts[i], image_dts[i], image_oks[i], kAreaRanges[a], thresholds, options));
      std::vector<double> p, r;
      accumulate(evals, recall_points, p, r);
      for (int t = 0; t < kThresholds; ++t) {
        curves.rc(t, c, a) = r[t];
        for (int q = 0; q < kRecallPoints; ++q) curves.p(t, q, c, a) = p[t * kRecallPoints + q];
      }
    }
  }
  return curves;
}

// _summarizeKps' _summarize: the mean over the selected thresholds (all when threshold < 0,
// else the one equal to it), every recall point and category, one area range.
double summarize(Curves& curves, const std::vector<double>& thresholds, bool ap, double threshold, int area) {
  std::vector<double> values;
  for (int t = 0; t < kThresholds; ++t) {
    if (threshold >= 0 && thresholds[t] != threshold) continue;
    for (size_t c = 0; c < curves.categories; ++c) {
      if (!ap) values.push_back(curves.rc(t, c, area));
      else
        for (int q = 0; q < kRecallPoints; ++q) values.push_back(curves.p(t, q, c, area));
    }
  }
  return mean_defined(values);
}

// get_type_result's number for one crowd-index class: round(np.mean(precision[:, :, :, 0, :]), 4),
// the mean taken over every entry, -1 included; numpy rounds as rint(x * 10^4) / 10^4.
double mean_precision_rounded(Curves& curves) {
  double sum = 0;
  for (int t = 0; t < kThresholds; ++t)
    for (int q = 0; q < kRecallPoints; ++q)
      for (size_t c = 0; c < curves.categories; ++c) sum += curves.p(t, q, c, 0);
  const double mean = sum / double(kThresholds * kRecallPoints * curves.categories);
  return std::nearbyint(mean * 1e4) / 1e4;
}

}  // namespace

std::vector<double> coco_person_sigmas() {
  // Written as cocoeval.py computes them (np.array([...]) / 10.0), so each is numpy's double.
  const double tenths[17] = {.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89};
  std::vector<double> sigmas;
  for (double s : tenths) sigmas.push_back(s / 10.0);
  return sigmas;
}

std::vector<double> crowdpose_sigmas() {
  // crowdposetools writes np.array([.79, .79, .72, ..., .79, .79]) / 10.0: COCO's limbs (from
  // the shoulders on), then head and neck with the shoulders' .79.
  const std::vector<double> coco = coco_person_sigmas();
  std::vector<double> sigmas(coco.begin() + 5, coco.end());
  sigmas.push_back(.79 / 10.0);
  sigmas.push_back(.79 / 10.0);
  return sigmas;
}

CocoKeypointGt load_coco_gt(const std::string& json_path) { return load_coco_gt(json_path, {{"keypoints", 0}}); }

CocoKeypointGt load_coco_gt(const std::string& json_path, const std::vector<KeypointField>& fields) {
  SAR_CHECK(!fields.empty(), "load_coco_gt: no keypoint field to read from ", json_path);
  const json root = read_json(json_path);
  SAR_CHECK(root.is_object(), json_path, ": expected a COCO object, got ", shown(root));
  CocoKeypointGt gt;
  gt.path = json_path;
  for (const char* key : {"images", "annotations", "categories"})
    SAR_CHECK(root.contains(key) && root[key].is_array(), json_path, ": \"", key, "\" must be an array");
  const json& images = root["images"];
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string where = cat(json_path, ": images[", i, "]");
    const int64_t id = int_member(images[i], where, "id");
    gt.image_ids.push_back(id);
    if (images[i].contains("crowdIndex"))
      gt.crowd_index[id] = finite_number(images[i]["crowdIndex"], where + ".crowdIndex");
  }
  gt.image_ids = sorted_unique(gt.image_ids);
  const json& categories = root["categories"];
  int named = 0;  // the keypoints the category names: the first field's
  for (size_t i = 0; i < categories.size(); ++i) {
    const std::string where = cat(json_path, ": categories[", i, "]");
    gt.category_ids.push_back(int_member(categories[i], where, "id"));
    if (named == 0 && categories[i].contains("keypoints")) {
      const json& names = categories[i]["keypoints"];
      SAR_CHECK(names.is_array() && !names.empty(), where, ".keypoints must be a non-empty array, got ", shown(names));
      named = int(names.size());
      for (const json& name : names) gt.keypoint_names.push_back(name.is_string() ? name.get<std::string>() : "");
      if (categories[i].contains("sigmas")) {
        gt.sigmas = numbers(categories[i], where, "sigmas");
        SAR_CHECK(gt.sigmas.size() == names.size(), where, ".sigmas has ", gt.sigmas.size(), " values for ",
                  names.size(), " keypoints");
      }
      SAR_CHECK(fields[0].count == 0 || fields[0].count == named, where, ".keypoints names ", named,
                " keypoints, expected ", fields[0].count);
    }
  }
  SAR_CHECK(named > 0, json_path, ": no category has \"keypoints\"");
  std::vector<KeypointField> counted = fields;
  counted[0].count = named;
  for (const KeypointField& f : counted) gt.num_keypoints += f.count;
  gt.category_ids = sorted_unique(gt.category_ids);
  const json& annotations = root["annotations"];
  for (size_t i = 0; i < annotations.size(); ++i) {
    const json& a = annotations[i];
    const std::string where = cat(json_path, ": annotations[", i, "]");
    CocoKeypointAnnotation ann;
    ann.id = int_member(a, where, "id");
    ann.image_id = int_member(a, where, "image_id");
    SAR_CHECK(std::binary_search(gt.image_ids.begin(), gt.image_ids.end(), ann.image_id), where, ".image_id ",
              ann.image_id, " is not in \"images\"");
    ann.category_id = int_member(a, where, "category_id");
    ann.keypoints = concatenated(a, where, counted);
    ann.num_keypoints = int_member(a, where, "num_keypoints");
    ann.has_area = a.contains("area");
    if (ann.has_area) ann.area = finite_number(a["area"], where + ".area");
    const std::vector<double> bbox = numbers(a, where, "bbox");
    SAR_CHECK(bbox.size() == 4, where, ".bbox must have 4 values (x, y, w, h), got ", bbox.size());
    std::copy(bbox.begin(), bbox.end(), ann.bbox.begin());
    if (a.contains("iscrowd")) ann.iscrowd = int_member(a, where, "iscrowd") != 0;
    gt.annotations.push_back(std::move(ann));
  }
  return gt;
}

std::vector<CocoKeypointResult> load_coco_results(const std::string& json_path, const CocoKeypointGt& gt) {
  std::vector<std::vector<double>> no_scores;
  return load_coco_results(json_path, gt, {{"keypoints", gt.num_keypoints}}, {}, no_scores);
}

std::vector<CocoKeypointResult> load_coco_results(const std::string& json_path, const CocoKeypointGt& gt,
                                                  const std::vector<KeypointField>& fields,
                                                  const std::vector<std::string>& score_keys,
                                                  std::vector<std::vector<double>>& scores) {
  int count = 0;
  for (const KeypointField& f : fields) count += f.count;
  SAR_CHECK(count == gt.num_keypoints, "load_coco_results: the fields hold ", count, " keypoints, ", gt.path, " has ",
            gt.num_keypoints);
  const json root = read_json(json_path);
  SAR_CHECK(root.is_array(), json_path, ": expected an array of results, got ", shown(root));
  std::vector<CocoKeypointResult> results;
  scores.clear();
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string where = cat(json_path, ": [", i, "]");
    CocoKeypointResult r;
    r.image_id = int_member(root[i], where, "image_id");
    // loadRes asserts this: a result on an image the ground truth lacks is not scorable.
    SAR_CHECK(std::binary_search(gt.image_ids.begin(), gt.image_ids.end(), r.image_id), where, ".image_id ",
              r.image_id, " is not an image of ", gt.path);
    r.category_id = int_member(root[i], where, "category_id");
    r.keypoints = concatenated(root[i], where, fields);
    r.score = finite_number(member(root[i], where, "score"), where + ".score");
    std::vector<double> extra;
    for (const std::string& key : score_keys)
      extra.push_back(root[i].contains(key) ? finite_number(root[i][key], cat(where, ".", key)) : r.score);
    scores.push_back(std::move(extra));
    results.push_back(std::move(r));
  }
  return results;
}

CocoSummary evaluate_coco_keypoints(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                                    const std::vector<double>& sigmas) {
  OksOptions options;
  options.sigmas = sigmas;
  return evaluate_oks(gt, results, options);
}

CocoSummary evaluate_oks(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results,
                         const OksOptions& options) {
  const std::vector<double> thresholds = linspace(0.5, 0.95, kThresholds);
  Curves curves = compute_curves(gt, results, options, thresholds);
  CocoSummary s;
  for (int ap = 1, i = 0; ap >= 0; --ap) {
    s.stats[i++] = summarize(curves, thresholds, ap, -1, 0);
    s.stats[i++] = summarize(curves, thresholds, ap, 0.5, 0);
    s.stats[i++] = summarize(curves, thresholds, ap, 0.75, 0);
    s.stats[i++] = summarize(curves, thresholds, ap, -1, 1);
    s.stats[i++] = summarize(curves, thresholds, ap, -1, 2);
  }
  return s;
}

CrowdPoseSummary evaluate_crowdpose(const CocoKeypointGt& gt, const std::vector<CocoKeypointResult>& results) {
  // xtcocotools' COCOeval(gt, dt, 'keypoints_crowd', sigmas, use_area=False): people ignored by
  // their num_keypoints field (CrowdPose's counts only some keypoints), the box scale.
  OksOptions options;
  options.sigmas = crowdpose_sigmas();
  SAR_CHECK(gt.num_keypoints == int(options.sigmas.size()), gt.path, ": the CrowdPose metric is for CrowdPose's ",
            options.sigmas.size(), " keypoints, this ground truth has ", gt.num_keypoints,
            gt.num_keypoints == 17 ? " (COCO's: --metric coco)" : "");
  options.box_scale = true;
  options.drop_unscored = true;
  const std::vector<double> thresholds = linspace(0.5, 0.95, kThresholds);
  Curves curves = compute_curves(gt, results, options, thresholds);
  CrowdPoseSummary s;
  for (int ap = 1, i = 0; ap >= 0; --ap) {
    s.stats[i++] = summarize(curves, thresholds, ap, -1, 0);
    s.stats[i++] = summarize(curves, thresholds, ap, 0.5, 0);
    s.stats[i++] = summarize(curves, thresholds, ap, 0.75, 0);
  }
  // split(first=0.2, second=0.8): easy < 0.2 <= medium < 0.8 <= hard.
  std::set<int64_t> classes[3];
  for (int64_t image : gt.image_ids) {
    const auto it = gt.crowd_index.find(image);
    SAR_CHECK(it != gt.crowd_index.end(), "evaluate_crowdpose: image ", image, " of ", gt.path,
              " has no \"crowdIndex\", which CrowdPose's easy/medium/hard split needs");
    classes[it->second < 0.2 ? 0 : it->second < 0.8 ? 1 : 2].insert(image);
  }
  for (int k = 0; k < 3; ++k) {
    Curves part = compute_curves(gt, results, options, thresholds, &classes[k]);
    s.stats[6 + k] = mean_precision_rounded(part);
  }
  return s;
}
std::string format_coco_summary(const CocoSummary& summary) {
  std::string out;
  const char* iou[5] = {"0.50:0.95", "0.50", "0.75", "0.50:0.95", "0.50:0.95"};
  const char* area[5] = {"all", "all", "all", "medium", "large"};
  for (int i = 0; i < 10; ++i) {
    char line[128];
    std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  i < 5 ? "Average Precision" : "Average Recall", i < 5 ? "(AP)" : "(AR)", iou[i % 5], area[i % 5],
                  kMaxDets, summary.stats[i]);
    out += line;
  }
  return out;
}

std::string format_crowdpose_summary(const CrowdPoseSummary& summary) {
  std::string out;
  const char* iou[3] = {"0.50:0.95", "0.50", "0.75"};
  for (int i = 0; i < 9; ++i) {
    char line[128];
    if (i < 6)
      std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                    i < 3 ? "Average Precision" : "Average Recall", i < 3 ? "(AP)" : "(AR)", iou[i % 3], "all",
                    kMaxDets, summary.stats[i]);
    else
      std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | type=%6s | maxDets=%3d ] = %0.3f\n",
                    "Average Precision", "(AP)", iou[0], i == 6 ? "easy" : i == 7 ? "medium" : "hard", kMaxDets,
                    summary.stats[i]);
    out += line;
  }
  return out;
}

}  // namespace sar
