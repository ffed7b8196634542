// coco_dataset.cpp: COCO-format, COCO-WholeBody, detection-results and MPII json into KeypointDataset.
//
// Each loader reads the file (read_json), then walks its entries; every fault of one entry is
// a sar::Error whose message starts "<path>: <field>", which `guarded` rethrows or, under
// skip_bad, prints and counts. Filters (crowd, too few keypoints, degenerate box) are not
// faults: they drop a person silently, as the load options ask.
#include "datasets/coco_dataset.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "datasets/json_fields.h"

namespace sar {

using json = nlohmann::json;

namespace {

// ---- reading the file and its fields ----

int positive_int_member(const json& object, const std::string& where, const char* key) {
  const int64_t value = int_member(object, where, key);
  SAR_CHECK(value > 0 && value <= (int64_t(1) << 30), where, ".", key, " must be a positive size, got ", value);
  return int(value);
}

std::string string_member(const json& object, const std::string& where, const char* key) {
  const json& value = member(object, where, key);
  SAR_CHECK(value.is_string() && !value.get<std::string>().empty(), where, ".", key,
            " must be a non-empty string, got ", shown(value));
  return value.get<std::string>();
}

// An array of exactly `count` finite numbers; `why` explains the count (" = 3 x 17").
std::vector<double> numbers(const json& value, const std::string& where, size_t count, const std::string& why) {
  SAR_CHECK(value.is_array(), where, " must be an array, got ", shown(value));
  SAR_CHECK(value.size() == count, where, " has ", value.size(), " values, expected ", count, why);
  std::vector<double> out;
  for (size_t i = 0; i < count; ++i) out.push_back(finite_number(value[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<double> numbers_member(const json& object, const std::string& where, const char* key, size_t count,
                                   const std::string& why) {
  return numbers(member(object, where, key), where + "." + key, count, why);
}

// A COCO box (x, y, w, h); a negative size is an error (zero is a degenerate box, filtered later).
std::array<float, 4> box_member(const json& object, const std::string& where) {
  const std::vector<double> b = numbers_member(object, where, "bbox", 4, "");
  SAR_CHECK(b[2] >= 0 && b[3] >= 0, where, ".bbox ", shown(object["bbox"]), " has a negative size (w = ", b[2],
            ", h = ", b[3], ")");
  return {float(b[0]), float(b[1]), float(b[2]), float(b[3])};
}

// Runs one entry's parse. A fault is rethrown, or under skip_bad printed as one line and counted.
// Skipped entries listed one by one; past this many (a file of another data set makes every
// entry one) they are only counted, so the lines after them stay in sight.
constexpr int64_t kListedSkips = 20;

void guarded(bool skip_bad, int64_t& skipped, const std::function<void()>& parse) {
  try {
    parse();
  } catch (const Error& e) {
    if (!skip_bad) throw;
    if (skipped < kListedSkips) std::fprintf(stderr, "skipped: %s\n", e.message().c_str());
    if (skipped == kListedSkips)
      std::fprintf(stderr, "skipped: more than %lld entries; the others are counted, not listed\n",
                   (long long)kListedSkips);
    ++skipped;
  }
}

std::string entry(const std::string& path, const char* list, size_t i) {
  return path + ": " + list + "[" + std::to_string(i) + "]";
}

const json& array_member(const json& root, const std::string& path, const char* key, const char* hint) {
  SAR_CHECK(root.is_object() && root.contains(key) && root[key].is_array(), path, ": no \"", key,
            "\" array at the top level", hint);
  return root[key];
}

std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// ---- keypoint meta from names ----

// COCO's OKS sigmas (cocoapi PythonAPI/pycocotools/cocoeval.py, Params.setKpParams), by name;
// head and neck are CrowdPose's (Jeff-sjtu/CrowdPose, crowdpose-api/PythonAPI/crowdposetools/
// cocoeval.py: the 12 limb sigmas are COCO's, head and neck 0.079).
float sigma_for(const std::string& name) {
  static const std::map<std::string, float> table = {
      {"nose", .026f},          {"left_eye", .025f},       {"right_eye", .025f},   {"left_ear", .035f},
      {"right_ear", .035f},     {"left_shoulder", .079f},  {"right_shoulder", .079f}, {"left_elbow", .072f},
      {"right_elbow", .072f},   {"left_wrist", .062f},     {"right_wrist", .062f}, {"left_hip", .107f},
      {"right_hip", .107f},     {"left_knee", .087f},      {"right_knee", .087f},  {"left_ankle", .089f},
      {"right_ankle", .089f},   {"head", .079f},           {"head_top", .079f},    {"top_head", .079f},
      {"neck", .079f}};
  const auto it = table.find(name);
  return it == table.end() ? kDefaultSigma : it->second;
}

// The name a horizontal flip turns `name` into: the side prefix or suffix swapped; "" if it has none.
std::string mirrored_name(const std::string& name) {
  static const std::pair<const char*, const char*> prefixes[] = {
      {"left_", "right_"}, {"right_", "left_"}, {"l_", "r_"}, {"r_", "l_"}};
  static const std::pair<const char*, const char*> suffixes[] = {
      {"_left", "_right"}, {"_right", "_left"}, {"_l", "_r"}, {"_r", "_l"}};
  for (const auto& [from, to] : prefixes) {
    const size_t n = std::strlen(from);
    if (name.size() > n && name.compare(0, n, from) == 0) return to + name.substr(n);
  }
  for (const auto& [from, to] : suffixes) {
    const size_t n = std::strlen(from);
    if (name.size() > n && name.compare(name.size() - n, n, from) == 0) return name.substr(0, name.size() - n) + to;
  }
  return "";
}

std::vector<int> flip_index_at(const std::vector<std::string>& names, const std::string& where) {
  std::map<std::string, int> index;
  for (size_t k = 0; k < names.size(); ++k) index[names[k]] = int(k);
  std::vector<int> flip(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string partner = mirrored_name(names[k]);
    if (partner.empty()) {
      flip[k] = int(k);
      continue;
    }
    const auto it = index.find(partner);
    SAR_CHECK(it != index.end(), where, ": keypoint ", k, " \"", names[k], "\" has no \"", partner,
              "\" to swap with under a horizontal flip");
    flip[k] = it->second;
  }
  return flip;
}

// Keypoint names of a category: unique non-empty strings.
std::vector<std::string> names_member(const json& category, const std::string& where) {
  const json& value = member(category, where, "keypoints");
  SAR_CHECK(value.is_array() && !value.empty(), where, ".keypoints must be a non-empty array of names, got ",
            shown(value));
  std::vector<std::string> names;
  std::map<std::string, size_t> seen;
  for (size_t k = 0; k < value.size(); ++k) {
    SAR_CHECK(value[k].is_string() && !value[k].get<std::string>().empty(), where, ".keypoints[", k,
              "] must be a non-empty string, got ", shown(value[k]));
    names.push_back(value[k].get<std::string>());
    const auto [it, fresh] = seen.emplace(names.back(), k);
    SAR_CHECK(fresh, where, ".keypoints[", k, "] \"", names.back(), "\" repeats keypoints[", it->second, "]");
  }
  return names;
}

// The skeleton, 1-based in the file. One that names a keypoint past K belongs to another data
// set (CrowdPose ships COCO's): it is dropped with a warning, since it is only for drawing.
std::vector<std::pair<int, int>> skeleton_member(const json& category, const std::string& where, int K) {
  std::vector<std::pair<int, int>> skeleton;
  if (!category.contains("skeleton")) return skeleton;
  const json& limbs = category["skeleton"];
  SAR_CHECK(limbs.is_array(), where, ".skeleton must be an array of [a, b] pairs, got ", shown(limbs));
  for (size_t i = 0; i < limbs.size(); ++i) {
    const json& limb = limbs[i];
    SAR_CHECK(limb.is_array() && limb.size() == 2 && limb[0].is_number_integer() && limb[1].is_number_integer(),
              where, ".skeleton[", i, "] must be a pair of keypoint numbers, got ", shown(limb));
    const int64_t a = limb[0].get<int64_t>(), b = limb[1].get<int64_t>();
    if (a < 1 || a > K || b < 1 || b > K) {
      std::fprintf(stderr, "warning: %s.skeleton[%zu] = %s names a keypoint outside 1..%d; the skeleton is ignored\n",
                   where.c_str(), i, shown(limb).c_str(), K);
      return {};
    }
    skeleton.emplace_back(int(a - 1), int(b - 1));
  }
  return skeleton;
}

std::vector<float> sigmas_for(const json& category, const std::string& where, const std::vector<std::string>& names) {
  std::vector<float> sigmas;
  if (category.contains("sigmas")) {
    for (double s : numbers_member(category, where, "sigmas", names.size(), " (one per keypoint)")) {
      SAR_CHECK(s > 0, where, ".sigmas must be positive, got ", s);
      sigmas.push_back(float(s));
    }
  } else {
    sigmas = oks_sigmas_from_names(names);
  }
  return sigmas;
}

// ---- the shared COCO walk ----

// One keypoint field of an annotation, how many keypoints it holds, and whether its v may be
// fractional (COCO-WholeBody's face and hand parts hold values such as 0.19 in the official files).
struct KeypointPart {
  const char* field;
  int count;
  bool fractional_v = false;
};

struct ImageTable {
  std::vector<ImageRecord> images;
  std::unordered_map<int64_t, size_t> position;  // image id -> index into images
};

ImageTable read_images(const json& root, const std::string& path, bool skip_bad, int64_t& skipped) {
  const json& list = array_member(root, path, "images", "; is this a COCO keypoint annotation file?");
  ImageTable table;
  std::unordered_map<int64_t, size_t> first_entry;  // image id -> its first index in the file
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = entry(path, "images", i);
    guarded(skip_bad, skipped, [&] {
      ImageRecord image;
      image.id = int_member(list[i], where, "id");
      image.file_name = string_member(list[i], where, "file_name");
      image.width = positive_int_member(list[i], where, "width");
      image.height = positive_int_member(list[i], where, "height");
      const auto [it, fresh] = first_entry.emplace(image.id, i);
      SAR_CHECK(fresh, where, ".id ", image.id, " repeats images[", it->second, "]");
      table.position[image.id] = table.images.size();
      table.images.push_back(image);
    });
  }
  return table;
}

// The category to read: the one with options.category_id, else the only one with keypoints.
size_t choose_category(const json& root, const std::string& path, int category_id) {
  const json& categories = array_member(root, path, "categories", "; it names the keypoints");
  std::vector<size_t> with_keypoints;
  for (size_t i = 0; i < categories.size(); ++i) {
    const std::string where = entry(path, "categories", i);
    if (int_member(categories[i], where, "id") == category_id) return i;
    if (categories[i].contains("keypoints")) with_keypoints.push_back(i);
  }
  SAR_CHECK(with_keypoints.size() == 1, path, ": no category has id ", category_id, ", and ",
            with_keypoints.size(), " categories have keypoints; set category_id to the one to read");
  return with_keypoints[0];
}

// Labelled keypoints (v > 0) of a K x 3 array.
int count_labelled(const std::vector<float>& keypoints) {
  int n = 0;
  for (size_t j = 2; j < keypoints.size(); j += 3) n += keypoints[j] > 0;
  return n;
}

// The keypoint fields of one annotation, concatenated; v must be 0, 1 or 2 (in [0, 2] for a
// fractional part).
std::vector<float> read_keypoints(const json& annotation, const std::string& where,
                                  const std::vector<KeypointPart>& parts) {
  std::vector<float> keypoints;
  for (const KeypointPart& part : parts) {
    const size_t n = size_t(part.count) * 3;
    const std::vector<double> values =
        numbers_member(annotation, where, part.field, n, " = 3 x " + std::to_string(part.count));
    for (size_t j = 2; j < n; j += 3) {
      const double v = values[j];
      const bool ok = part.fractional_v ? v >= 0 && v <= 2 : v == 0 || v == 1 || v == 2;
      SAR_CHECK(ok, where, ".", part.field, "[", j, "] (the v of keypoint ", j / 3, ") must be ",
                part.fractional_v ? "in [0, 2]" : "0, 1 or 2", ", got ", v);
    }
    keypoints.insert(keypoints.end(), values.begin(), values.end());
  }
  return keypoints;
}

// mmpose's clip (CocoDataset.parse_data_info): each corner into [0, W-1] x [0, H-1].
std::array<float, 4> clipped(const std::array<float, 4>& box, int width, int height) {
  const float x1 = std::clamp(box[0], 0.f, float(width - 1)), y1 = std::clamp(box[1], 0.f, float(height - 1));
  const float x2 = std::clamp(box[0] + box[2], 0.f, float(width - 1));
  const float y2 = std::clamp(box[1] + box[3], 0.f, float(height - 1));
  return {x1, y1, x2 - x1, y2 - y1};
}

KeypointDataset read_coco(const std::string& json_path, const std::string& image_root, const CocoLoadOptions& options,
                          const std::function<std::vector<KeypointPart>(int)>& parts_for_k) {
  const json root = read_json(json_path);
  KeypointDataset data;
  data.image_root = image_root;
  const size_t c = choose_category(root, json_path, options.category_id);
  const json& category = root["categories"][c];
  const std::string cat_where = entry(json_path, "categories", c);
  const int64_t category_id = int_member(category, cat_where, "id");
  data.meta.name = file_stem(json_path);
  data.meta.keypoint_names = names_member(category, cat_where);
  const int K = data.meta.num_keypoints();
  data.meta.skeleton = skeleton_member(category, cat_where, K);
  data.meta.flip_index = flip_index_at(data.meta.keypoint_names, cat_where + ".keypoints");
  data.meta.sigmas = sigmas_for(category, cat_where, data.meta.keypoint_names);
  data.meta.upper_body = upper_body_from_names(data.meta.keypoint_names);
  const std::vector<KeypointPart> parts = parts_for_k(K);

  ImageTable table = read_images(root, json_path, options.skip_bad, data.skipped);
  const json& annotations = array_member(root, json_path, "annotations", "; is this a keypoint annotation file?");
  std::unordered_map<int64_t, size_t> first_entry;  // annotation id -> its first index in the file
  for (size_t i = 0; i < annotations.size(); ++i) {
    const std::string where = entry(json_path, "annotations", i);
    guarded(options.skip_bad, data.skipped, [&] {
      const json& ann = annotations[i];
      if (int_member(ann, where, "category_id") != category_id) return;
      PersonRecord person;
      person.annotation_id = int_member(ann, where, "id");
      const auto [seen, fresh] = first_entry.emplace(person.annotation_id, i);
      SAR_CHECK(fresh, where, ".id ", person.annotation_id, " repeats annotations[", seen->second, "]");
      person.image_id = int_member(ann, where, "image_id");
      const auto at = table.position.find(person.image_id);
      SAR_CHECK(at != table.position.end(), where, ".image_id ", person.image_id, " is not in \"images\"");
      const ImageRecord& image = table.images[at->second];
      person.keypoints = read_keypoints(ann, where, parts);
      person.bbox = box_member(ann, where);
      bool crowd = false;
      if (ann.contains("iscrowd")) {
        const json& flag = ann["iscrowd"];
        SAR_CHECK(flag.is_boolean() || (flag.is_number_integer() && (flag == 0 || flag == 1)), where,
                  ".iscrowd must be 0 or 1, got ", shown(flag));
        crowd = flag.is_boolean() ? flag.get<bool>() : flag.get<int>() == 1;
      }
      if (ann.contains("area")) {
        person.area = float(finite_number(ann["area"], where + ".area"));
        SAR_CHECK(person.area >= 0, where, ".area must not be negative, got ", person.area);
      }
      person.image_path = image.file_name;
      person.image_width = image.width;
      person.image_height = image.height;

      // The filters of SAR_SPEC §4.
      if (crowd && options.drop_crowd) return;
      if (count_labelled(person.keypoints) < options.min_keypoints) return;
      if (options.clip_boxes) person.bbox = clipped(person.bbox, image.width, image.height);
      if (person.bbox[2] <= 0 || person.bbox[3] <= 0) return;
      data.people.push_back(std::move(person));
    });
  }
  data.images = std::move(table.images);
  return data;
}

// ---- COCO-WholeBody tables ----

// Where each of the 68 face landmarks (iBUG 300-W order) goes under a horizontal flip: the
// "swap" entries of mmpose's configs/_base_/datasets/coco_wholebody.py.
constexpr int kFaceMirror[68] = {
    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,  // jaw line
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                    // eyebrows
    27, 28, 29, 30,                                            // nose bridge
    35, 34, 33, 32, 31,                                        // nostrils
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,            // eyes
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,            // outer lips
    64, 63, 62, 61, 60, 67, 66, 65};                           // inner lips

// mmpose's names of the 116 keypoints after the body's 17: foot, face-0..67, then each hand's
// root and 4 joints per finger, thumb to pinky.
std::vector<std::string> wholebody_extra_names() {
  std::vector<std::string> names;
  for (const char* side : {"left", "right"})
    for (const char* part : {"big_toe", "small_toe", "heel"}) names.push_back(std::string(side) + "_" + part);
  for (int i = 0; i < 68; ++i) names.push_back("face-" + std::to_string(i));
  for (const char* side : {"left", "right"}) {
    names.push_back(std::string(side) + "_hand_root");
    for (const char* finger : {"thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger"})
      for (int joint = 1; joint <= 4; ++joint)
        names.push_back(std::string(side) + "_" + finger + std::to_string(joint));
  }
  return names;
}

// ---- MPII tables (mmpose, configs/_base_/datasets/mpii.py) ----

const std::vector<std::string> kMpiiNames = {
    "right_ankle", "right_knee", "right_hip", "left_hip",       "left_knee",      "left_ankle",
    "pelvis",      "thorax",     "upper_neck", "head_top",      "right_wrist",    "right_elbow",
    "right_shoulder", "left_shoulder", "left_elbow", "left_wrist"};
const std::vector<std::pair<int, int>> kMpiiSkeleton = {
    {0, 1}, {1, 2}, {2, 6}, {6, 3}, {3, 4}, {4, 5}, {6, 7}, {7, 8},
    {8, 9}, {8, 12}, {12, 11}, {11, 10}, {8, 13}, {13, 14}, {14, 15}};
// mmpose's MPII sigmas ("adapted from COCO"); MPII's own metric is PCKh, which needs none.
const std::vector<float> kMpiiSigmas = {0.089f, 0.083f, 0.107f, 0.107f, 0.083f, 0.089f, 0.026f, 0.026f,
                                        0.026f, 0.026f, 0.062f, 0.072f, 0.179f, 0.179f, 0.072f, 0.062f};

// MPII names its images by number; mmpose takes that number as the image id.
int64_t mpii_image_id(const std::string& file_name, const std::string& where) {
  const std::string stem = file_stem(file_name);
  const bool number = !stem.empty() && stem.size() <= 18 &&
                      std::all_of(stem.begin(), stem.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; });
  SAR_CHECK(number, where, ".image \"", file_name, "\" is not named by a number as MPII's images are (005808361.jpg): ",
            "the image id is taken from it");
  return std::stoll(stem);
}

}  // namespace

std::vector<float> oks_sigmas_from_names(const std::vector<std::string>& names) {
  std::vector<float> sigmas;
  for (const std::string& name : names) sigmas.push_back(sigma_for(name));
  return sigmas;
}

// ---- public ----

std::vector<int> flip_index_from_names(const std::vector<std::string>& names) {
  return flip_index_at(names, "flip_index_from_names");
}

std::vector<int> upper_body_from_names(const std::vector<std::string>& names) {
  static const char* upper[] = {"nose", "eye", "ear", "shoulder", "elbow", "wrist", "head", "neck", "thorax"};
  std::vector<int> out;
  for (size_t k = 0; k < names.size(); ++k)
    if (std::any_of(std::begin(upper), std::end(upper),
                    [&](const char* word) { return names[k].find(word) != std::string::npos; }))
      out.push_back(int(k));
  return out;
}

std::string image_file(const std::string& image_root, const std::string& image_path) {
  if (image_root.empty() || (!image_path.empty() && image_path[0] == '/')) return image_path;
  return image_root.back() == '/' ? image_root + image_path : image_root + "/" + image_path;
}

KeypointDataset load_coco_keypoints(const std::string& json_path, const std::string& image_root,
                                    const CocoLoadOptions& options) {
  return read_coco(json_path, image_root, options, [](int K) { return std::vector<KeypointPart>{{"keypoints", K}}; });
}

const std::vector<WholeBodyPart>& coco_wholebody_parts() {
  static const std::vector<WholeBodyPart> parts = {{"body", "keypoints", 0, 17},
                                                   {"foot", "foot_kpts", 17, 6},
                                                   {"face", "face_kpts", 23, 68},
                                                   {"lefthand", "lefthand_kpts", 91, 21},
                                                   {"righthand", "righthand_kpts", 112, 21}};
  return parts;
}

const std::vector<double>& coco_wholebody_sigmas() {
  // The official per-part OKS sigmas (jin-s13/COCO-WholeBody, evaluation/myeval_wholebody.py,
  // computeOks): body (COCO's), foot, face, left hand, right hand. Doubles, as the evaluation
  // (eval/wholebody_eval.cpp) reads them, written as the official code and mmpose write them.
  static const double kWholeBodySigmas[133] = {
      .026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089,
      .089,
      .068, .066, .066, .092, .094, .094,
      .042, .043, .044, .043, .040, .035, .031, .025, .020, .023, .029, .032, .037, .038, .043, .041,
      .045, .013, .012, .011, .011, .012, .012, .011, .011, .013, .015, .009, .007, .007, .007, .012,
      .009, .008, .016, .010, .017, .011, .009, .011, .009, .007, .013, .008, .011, .012, .010, .034,
      .008, .008, .009, .008, .008, .007, .010, .008, .009, .009, .009, .007, .007, .008, .011, .008,
      .008, .008, .010, .008,
      .029, .022, .035, .037, .047, .026, .025, .024, .035, .018, .024, .022, .026, .017, .021, .021,
      .032, .020, .019, .022, .031,
      .029, .022, .035, .037, .047, .026, .025, .024, .035, .018, .024, .022, .026, .017, .021, .021,
      .032, .020, .019, .022, .031};
  static const std::vector<double> sigmas(std::begin(kWholeBodySigmas), std::end(kWholeBodySigmas));
  return sigmas;
}

KeypointDataset load_coco_wholebody(const std::string& json_path, const std::string& image_root,
                                    const CocoLoadOptions& options) {
  KeypointDataset data = read_coco(json_path, image_root, options, [&](int K) {
    SAR_CHECK(K == 17, json_path, ": the keypoint category names ", K,
              " keypoints; COCO-WholeBody's body part has COCO's 17");
    // the face and hands (keypoints 23 on) carry fractional v values (see coco_dataset.h)
    std::vector<KeypointPart> parts;
    for (const WholeBodyPart& part : coco_wholebody_parts()) parts.push_back({part.field, part.count, part.first >= 23});
    return parts;
  });
  DatasetMeta& meta = data.meta;
  for (const std::string& name : wholebody_extra_names()) meta.keypoint_names.push_back(name);
  meta.flip_index = flip_index_at(meta.keypoint_names, json_path + ": COCO-WholeBody names");
  const int face_start = 17 + 6;
  for (int i = 0; i < 68; ++i) meta.flip_index[face_start + i] = face_start + kFaceMirror[i];
  meta.sigmas.assign(coco_wholebody_sigmas().begin(), coco_wholebody_sigmas().end());
  meta.upper_body = upper_body_from_names(meta.keypoint_names);
  return data;
}

KeypointDataset load_detections(const std::string& json_path, const KeypointDataset& for_images,
                                const DetectionLoadOptions& options) {
  const json root = read_json(json_path);
  SAR_CHECK(root.is_array(), json_path,
            ": a detection results file must be a JSON array of {image_id, bbox, score, category_id}");
  KeypointDataset data;
  data.meta = for_images.meta;
  data.image_root = for_images.image_root;
  data.images = for_images.images;
  std::unordered_map<int64_t, size_t> position;
  for (size_t i = 0; i < data.images.size(); ++i) position[data.images[i].id] = i;
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string where = json_path + ": [" + std::to_string(i) + "]";
    guarded(options.skip_bad, data.skipped, [&] {
      const json& det = root[i];
      if (int_member(det, where, "category_id") != options.category_id) return;
      PersonRecord person;
      person.image_id = int_member(det, where, "image_id");
      const auto at = position.find(person.image_id);
      SAR_CHECK(at != position.end(), where, ".image_id ", person.image_id, " is not an image of the data set");
      const ImageRecord& image = data.images[at->second];
      person.bbox = box_member(det, where);
      person.score = float(finite_number(member(det, where, "score"), where + ".score"));
      person.image_path = image.file_name;
      person.image_width = image.width;
      person.image_height = image.height;
      person.keypoints.assign(size_t(data.meta.num_keypoints()) * 3, 0.f);
      const auto& box = person.bbox;
      if (person.score < options.min_score || box[2] <= 0 || box[3] <= 0) return;
      // A box of another data set's image (ids may coincide) can fall off this one.
      SAR_CHECK(box[0] < image.width && box[1] < image.height && box[0] + box[2] > 0 && box[1] + box[3] > 0, where,
                ".bbox [", box[0], ", ", box[1], ", ", box[2], ", ", box[3], "] lies outside image ", image.id, " (",
                image.width, "x", image.height, ")");
      data.people.push_back(std::move(person));
    });
  }
  return data;
}

KeypointDataset load_mpii_json(const std::string& json_path, const std::string& image_root,
                               const MpiiLoadOptions& options) {
  const json root = read_json(json_path);
  SAR_CHECK(root.is_array(), json_path,
            ": an MPII json (mmpose layout) must be an array of {image, joints, joints_vis, center, scale}");
  KeypointDataset data;
  data.image_root = image_root;
  data.meta.name = "mpii";
  data.meta.keypoint_names = kMpiiNames;
  data.meta.skeleton = kMpiiSkeleton;
  data.meta.flip_index = flip_index_from_names(kMpiiNames);
  data.meta.sigmas = kMpiiSigmas;
  data.meta.upper_body = upper_body_from_names(kMpiiNames);
  const int K = data.meta.num_keypoints();
  std::unordered_set<std::string> image_files;
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string where = json_path + ": [" + std::to_string(i) + "]";
    guarded(options.skip_bad, data.skipped, [&] {
      const json& ann = root[i];
      PersonRecord person;
      person.image_path = string_member(ann, where, "image");
      person.image_id = mpii_image_id(person.image_path, where);
      const json& joints = member(ann, where, "joints");
      SAR_CHECK(joints.is_array() && joints.size() == size_t(K), where, ".joints must hold ", K,
                " [x, y] pairs, got ", shown(joints));
      const std::vector<double> vis = numbers_member(ann, where, "joints_vis", size_t(K), " (one per joint)");
      for (int k = 0; k < K; ++k) {
        const std::vector<double> xy = numbers(joints[k], where + ".joints[" + std::to_string(k) + "]", 2, " = [x, y]");
        SAR_CHECK(vis[k] == 0 || vis[k] == 1, where, ".joints_vis[", k, "] must be 0 or 1, got ", vis[k]);
        const bool labelled = vis[k] == 1;
        person.keypoints.insert(person.keypoints.end(), {labelled ? float(xy[0] - 1) : 0.f,
                                                         labelled ? float(xy[1] - 1) : 0.f, labelled ? 2.f : 0.f});
      }
      const std::vector<double> center = numbers_member(ann, where, "center", 2, " = [x, y]");
      const double scale = finite_number(member(ann, where, "scale"), where + ".scale");
      SAR_CHECK(scale > 0, where, ".scale must be positive (the person's height / 200 px), got ", scale);
      const double side = 200 * scale, cx = center[0] - 1, cy = center[1] + 15 * scale - 1;
      person.bbox = {float(cx - side / 2), float(cy - side / 2), float(side), float(side)};

      if (image_files.insert(person.image_path).second)
        data.images.push_back({person.image_id, person.image_path, 0, 0});
      if (count_labelled(person.keypoints) < options.min_keypoints) return;
      data.people.push_back(std::move(person));
    });
  }
  return data;
}

}  // namespace sar
