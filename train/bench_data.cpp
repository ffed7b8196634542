// bench_data.cpp: `sar bench data` (train/bench_data.h).
#include "train/bench_data.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/loader.h"
#include "train/bench_util.h"

namespace sar {

namespace {

const char* kUsage =
    "usage: sar bench data [--images DIR] [--threads 1,2] [--samples 512] [--batch 32] [--reps 3]\n"
    "                      [--baseline FILE.json] [--print-samples]\n"
    "  Samples/s of the training pipeline on LSPET, 256x192 crops with 64x48 heatmaps: decode\n"
    "  (stb_image), augmentation (flip, half-body, shift, scale, rotation), bilinear affine crop,\n"
    "  normalization and Gaussian targets, batched by the Loader, for each thread count; the\n"
    "  median of --reps epochs over the first --samples people, after one warm-up epoch.\n"
    "  --images: the LSPET folder (annotations/lspet_train.json, images/); default $SAR_DATA/lspet,\n"
    "  else ../shared/data/lspet. Where it is absent the benchmark says so and exits 0.\n"
    "  --print-samples: writes those people (image file, box, keypoints) and the meta data as\n"
    "  JSON, what tools/bench_data_torch.py reads, and exits.\n"
    "  --baseline: per-sample times from tools/bench_data_torch.py; adds its samples/s and the\n"
    "  ratio of speeds (ours / Python: above 1 is faster).\n";

std::vector<int> parse_threads(const std::string& list) {
  std::vector<int> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int t = std::atoi(item.c_str());
    SAR_CHECK(t >= 1 && t <= 256, "sar bench data --threads: expected a list like 1,2 of counts from 1 to 256, got '",
              list, "'");
    out.push_back(t);
  }
  SAR_CHECK(!out.empty(), "sar bench data --threads: expected a list like 1,2, got '", list, "'");
  return out;
}

// The people both sides crop, with their absolute image files, and the meta data the
// augmentation needs, for tools/bench_data_torch.py.
void print_samples(const KeypointDataset& data) {
  nlohmann::json samples = nlohmann::json::array();
  for (const PersonRecord& p : data.people)
    samples.push_back(
        {{"file", image_file(data.image_root, p.image_path)}, {"bbox", p.bbox}, {"keypoints", p.keypoints}});
  nlohmann::json out = {
      {"flip_index", data.meta.flip_index}, {"upper_body", data.meta.upper_body}, {"samples", samples}};
  std::printf("%s\n", out.dump(1).c_str());
}

// Milliseconds to run one whole epoch through the loader.
double epoch_ms(Loader& loader, int64_t epoch) {
  const auto t0 = std::chrono::steady_clock::now();
  loader.start_epoch(epoch);
  Batch batch;
  while (loader.next(&batch)) {
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int bench_data_main(int argc, char** argv) {
  std::string root, baseline_path, threads_list = "1,2";
  int samples = 512, batch = 32, reps = 3;
  bool print_only = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--images" && has_value) root = argv[++i];
    else if (a == "--threads" && has_value) threads_list = argv[++i];
    else if (a == "--samples" && has_value) samples = std::atoi(argv[++i]);
    else if (a == "--batch" && has_value) batch = std::atoi(argv[++i]);
    else if (a == "--reps" && has_value) reps = std::atoi(argv[++i]);
    else if (a == "--baseline" && has_value) baseline_path = argv[++i];
    else if (a == "--print-samples") print_only = true;
    else if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    else SAR_THROW("sar bench data: unknown option or missing value '", a, "'; see sar bench data --help");
  }
  SAR_CHECK(samples > 0 && batch > 0 && reps > 0, "sar bench data: --samples, --batch and --reps must be positive");
  const std::vector<int> threads = parse_threads(threads_list);
  const bool root_given = !root.empty();  // a folder asked for must be there; the default may be absent
  if (root.empty()) {
    const char* data_dir = std::getenv("SAR_DATA");
    root = std::string(data_dir && data_dir[0] ? data_dir : "../shared/data") + "/lspet";
  }
  const std::string json = root + "/annotations/lspet_train.json";
  if (!std::ifstream(json).good()) {
    SAR_CHECK(!root_given, "sar bench data --images ", root, ": no LSPET annotations at ", json);
    std::printf("bench data: skipped: no LSPET annotations at %s (pass --images DIR or set $SAR_DATA)\n", json.c_str());
    return 0;
  }
  KeypointDataset data = load_coco_keypoints(json, root + "/images");
  data.people.resize(std::min(data.people.size(), size_t(samples)));
  const size_t n = data.people.size();
  if (print_only) {
    print_samples(data);
    return 0;
  }
  std::string label = "python";
  std::map<std::string, double> baseline;
  if (!baseline_path.empty()) baseline = read_baseline(baseline_path, &label);

  LoaderConfig config;  // TopdownConfig's defaults: 256x192 training crops, 64x48 heatmaps, sigma 2
  config.batch_size = batch;
  config.drop_last = false;
  auto source = std::make_shared<KeypointSource>(std::move(data));
  std::printf("data pipeline: %zu LSPET people, batch %d, %dx%d crops, %dx%d heatmaps; median of %d epochs\n", n,
              batch, config.crop.input_h, config.crop.input_w, config.crop.map_h, config.crop.map_w, reps);
  std::printf("%-10s %12s %12s %14s %7s\n", "threads", "ms/sample", "samples/s", (label + " samples/s").c_str(),
              "ratio");
  for (int t : threads) {
    config.workers = t;
    config.prefetch = 2 * t;
    Loader loader(source, config);
    epoch_ms(loader, 0);  // warm-up: the image files into the page cache, the allocator
    std::vector<double> ms;
    for (int r = 1; r <= reps; ++r) ms.push_back(epoch_ms(loader, r));
    std::sort(ms.begin(), ms.end());
    const double per_sample = ms[ms.size() / 2] / double(n);
    const std::string name = std::to_string(t) + (t == 1 ? " thread" : " threads");
    auto b = baseline.find(name);
    if (b != baseline.end())
      std::printf("%-10s %12.3f %12.1f %14.1f %7.2f\n", name.c_str(), per_sample, 1000 / per_sample, 1000 / b->second,
                  b->second / per_sample);
    else
      std::printf("%-10s %12.3f %12.1f %14s %7s\n", name.c_str(), per_sample, 1000 / per_sample, "-", "-");
    std::fflush(stdout);
  }
  if (!baseline.empty())
    std::printf("ratio: Python's time per sample / ours (above 1: ours is faster)\n");
  return 0;
}

}  // namespace sar
