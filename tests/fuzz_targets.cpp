// fuzz_targets.cpp: the fuzz targets of fuzz_targets.h. Parsers that read a path get the bytes
// as a file in a per-process folder under /tmp (a tmpfs), rewritten for every input.
#include "tests/fuzz_targets.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "core/safetensors.h"
#include "datasets/coco_dataset.h"
#include "datasets/image_io.h"
#include "eval/coco_eval.h"
#include "train/run_config.h"

namespace sar::fuzz {

namespace {

// The folder of this process's input files, removed when the process ends normally.
class InputFolder {
 public:
  InputFolder() : path_("/tmp/sar-fuzz-" + std::to_string(::getpid())) { std::filesystem::create_directories(path_); }
  ~InputFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  // Writes `size` bytes to <folder>/<name> and returns its path.
  std::string write(const std::string& name, const void* data, size_t size) const {
    const std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), std::streamsize(size));
    out.close();
    if (!out) throw std::runtime_error("fuzz: cannot write " + file);  // the harness, not the parser, failed
    return file;
  }

 private:
  std::string path_;
};

std::string input_file(const std::string& name, const uint8_t* data, size_t size) {
  static const InputFolder folder;
  return folder.write(name, data, size);
}

// Runs one parse: a sar::Error is the expected answer to a bad input; anything else escapes.
template <typename Parse>
void expect_sar_errors(Parse parse) {
  try {
    parse();
  } catch (const Error&) {
  }
}

// A property that must hold for every input the parser accepted; its failure is a bug.
void require(bool holds, const char* what) {
  if (!holds) throw std::logic_error(std::string("fuzz: ") + what);
}

// The fixed ground truth that results and detections are read against: two images, one person
// each, three keypoints with a left/right pair.
constexpr char kGroundTruth[] = R"({
  "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48},
             {"id": 2, "file_name": "b.jpg", "width": 32, "height": 32}],
  "categories": [{"id": 1, "name": "person", "keypoints": ["nose", "left_eye", "right_eye"]}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 300, "num_keypoints": 3,
     "bbox": [10, 10, 20, 15], "keypoints": [15, 12, 2, 12, 14, 2, 18, 14, 1]},
    {"id": 2, "image_id": 2, "category_id": 1, "iscrowd": 0, "area": 80, "num_keypoints": 2,
     "bbox": [4, 6, 8, 10], "keypoints": [6, 8, 2, 0, 0, 0, 9, 9, 2]}]
})";

const std::string& ground_truth_file() {
  static const std::string path =
      input_file("ground_truth.json", reinterpret_cast<const uint8_t*>(kGroundTruth), sizeof kGroundTruth - 1);
  return path;
}

// The ground truth's annotations as perfect results, so a parsed file is also scored.
std::vector<CocoKeypointResult> results_from(const CocoKeypointGt& gt) {
  std::vector<CocoKeypointResult> results;
  for (const CocoKeypointAnnotation& a : gt.annotations)
    results.push_back({a.image_id, a.category_id, a.keypoints, 1.0});
  return results;
}

std::string text_of(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

}  // namespace

void fuzz_coco_annotations(const uint8_t* data, size_t size) {
  const std::string path = input_file("annotations.json", data, size);
  expect_sar_errors([&] { load_coco_keypoints(path, "images"); });
  expect_sar_errors([&] { load_coco_wholebody(path, "images"); });
  expect_sar_errors([&] {
    const CocoKeypointGt gt = load_coco_gt(path);
    evaluate_coco_keypoints(gt, results_from(gt));
  });
}

void fuzz_mpii(const uint8_t* data, size_t size) {
  const std::string path = input_file("mpii.json", data, size);
  expect_sar_errors([&] { load_mpii_json(path, "images"); });
}

void fuzz_detections(const uint8_t* data, size_t size) {
  static const KeypointDataset for_images = load_coco_keypoints(ground_truth_file(), "images");
  const std::string path = input_file("detections.json", data, size);
  expect_sar_errors([&] { load_detections(path, for_images); });
}

void fuzz_coco_results(const uint8_t* data, size_t size) {
  static const CocoKeypointGt gt = load_coco_gt(ground_truth_file());
  const std::string path = input_file("results.json", data, size);
  expect_sar_errors([&] { evaluate_coco_keypoints(gt, load_coco_results(path, gt)); });
  // The COCO-WholeBody form: the keypoints split over two fields, and a per-part score key.
  expect_sar_errors([&] {
    std::vector<std::vector<double>> scores;
    load_coco_results(path, gt, {{"keypoints", 2}, {"foot_kpts", 1}}, {"foot_score"}, scores);
  });
}

void fuzz_run_config(const uint8_t* data, size_t size) {
  const std::string path = input_file("config.json", data, size);
  RunConfig config;
  try {
    config = load_run_config(path);
  } catch (const Error&) {
    return;
  }
  // What it accepted must write out and read back unchanged (a run folder's config.json does).
  const nlohmann::json written = run_config_to_json(config);
  require(run_config_to_json(run_config_from_json(written, "round trip")) == written,
          "run_config_to_json does not read back to the same config");
}

void fuzz_set_override(const uint8_t* data, size_t size) {
  const std::string assignment = text_of(data, size);
  // Onto a complete config, and onto an empty one (the override creates the sections on its way).
  for (nlohmann::json config : {run_config_to_json(RunConfig{}), nlohmann::json::object()}) {
    expect_sar_errors([&] {
      apply_override(&config, assignment);
      run_config_from_json(config, "--set");
    });
  }
}

void fuzz_safetensors(const uint8_t* data, size_t size) {
  const std::string path = input_file("weights.safetensors", data, size);
  expect_sar_errors([&] { load_safetensors(path); });
}

void fuzz_image(const uint8_t* data, size_t size) {
  expect_sar_errors([&] { decode_image_memory(data, size, "fuzz image"); });
}

const std::vector<FuzzTarget>& fuzz_targets() {
  static const std::vector<FuzzTarget> targets = {
      {"coco_annotations", fuzz_coco_annotations}, {"mpii", fuzz_mpii},
      {"detections", fuzz_detections},             {"coco_results", fuzz_coco_results},
      {"run_config", fuzz_run_config},             {"set_override", fuzz_set_override},
      {"safetensors", fuzz_safetensors},           {"image", fuzz_image}};
  return targets;
}

}  // namespace sar::fuzz
