// bench_model.cpp: `sar bench model`: a whole model's training step (images/s, peak memory) against
// the PyTorch baseline.
#include "train/bench_model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/op_profile.h"
#include "core/ops/elementwise.h"
#include "core/rng.h"
#include "core/storage.h"
#include "core/tape.h"
#include "models/pose_model.h"
#include "train/bench_util.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace sar {

namespace {

const char* kUsage =
    "usage: sar bench model [--model resnet50] [--head sar] [--input 256x192] [--batch 8] [--keypoints 17]\n"
    "                       [--device auto|cpu|cuda] [--tf32] [--reps 3] [--baseline FILE.json]\n"
    "                       [--profile [--top 25]]\n"
    "  One training step of a pose model: forward + loss + backward + Adam update, BN in training\n"
    "  mode; median of --reps steps after one warm-up. Prints ms per step, images per second\n"
    "  and peak memory during the steps, as the peak and as its growth over the memory in use\n"
    "  before them (model, inputs, runtime):\n"
    "    cpu   the resident set's high-water mark (VmHWM, reset before the steps)\n"
    "    cuda  the caching allocator's peak bytes in use\n"
    "  --tf32: TF32 tensor-core math in the convolutions and matmuls (CUDA only; sar train --tf32)\n"
    "  --baseline: tools/bench_model_torch.py's figures for the same model (and --tf32 for\n"
    "  --tf32); adds the ratios.\n"
    "  --profile: then --reps more steps with every op timed (core/op_profile.h): the time per\n"
    "  step by op, and the --top costliest ops by input shapes. On CUDA each op waits for its\n"
    "  kernels, so profiled steps run slower than the timed ones.\n";

struct Memory {
  double peak = 0;    // bytes
  double growth = 0;  // bytes: peak - in use before the steps
};

// VmRSS or VmHWM of this process from /proc/self/status, in bytes (0 where unreadable).
double proc_status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::atof(line.c_str() + field.size() + 1) * 1024.0;
  return 0;
}

// Resets VmHWM to the current resident set (Linux >= 4.0), so the peak is the steps' own and
// not that of start-up (PyTorch's import peaks well above its steady state); false where refused.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  return bool(out << "5" << std::flush);
}

struct Measured {
  std::string label;  // "sar", "torch1.13.1"
  double ms = 0;      // median per step
  Memory memory;
  std::string profile;  // OpProfile's tables, with --profile
};

// tools/bench_model_torch.py's figures: read_baseline validates the file and gives the time;
// the memory is read from the same file after checking that it measured the same step
// ("setup" names the model, input, keypoints, batch and device).
Measured read_model_baseline(const std::string& path, const std::string& setup, const char* math) {
  Measured base;
  std::map<std::string, double> ms = read_baseline(path, &base.label, math);
  SAR_CHECK(ms.count("train step"), path, ": no \"train step\" result");
  base.ms = ms.at("train step");
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in);
  SAR_CHECK(j.value("setup", std::string()) == setup, path, ": the baseline measured \"",
            j.value("setup", std::string()), "\", this run is \"", setup, "\"; rerun tools/bench_model_torch.py");
  SAR_CHECK(j.contains("memory") && j["memory"].is_object(), path, ": missing the \"memory\" object");
  base.memory = {j["memory"].at("peak_bytes").get<double>(), j["memory"].at("growth_bytes").get<double>()};
  return base;
}

// Builds the model on the device and times its training step on random inputs; with profile_top
// > 0, then profiles `reps` more steps into .profile, its costliest ops that many rows.
Measured measure_steps(const ModelConfig& config, int batch, int reps, Device device, int profile_top) {
  Generator gen(0);
  PoseModel model(config, gen);
  model.to(device);
  model.train();
  const int H = config.head_config.input_h, W = config.head_config.input_w, J = config.head_config.num_keypoints;
  // Whole backbone strides keep the map exactly H/s x W/s, as the torch baseline assumes.
  SAR_CHECK(H % model.backbone().stride() == 0 && W % model.backbone().stride() == 0,
            "sar bench model: --input must be a multiple of ", model.backbone().stride(), " for ", config.backbone,
            ", got ", H, "x", W);
  const int h = H / model.feature_stride(), w = W / model.feature_stride();
  // Inputs as a loader gives them; the step's cost does not depend on their values.
  Tensor images = randn({batch, 3, H, W}, gen, DType::F32, device);
  KeypointTargets targets;
  targets.xy = rand({batch, J, 2}, gen, DType::F32, device) * double(std::min(H, W));
  targets.weight = Tensor::ones({batch, J}, DType::F32, device);
  targets.heatmaps = rand({batch, J, h, w}, gen, DType::F32, device);

  const double rss_before = proc_status_bytes("VmRSS");
  cuda_reset_peak();  // the steps' peak, not set-up's (tools/bench_model_torch.py resets too)
  const double cuda_before = double(cuda_allocator_stats().bytes_in_use);
  SAR_CHECK(device != Device::CPU || reset_peak_rss(),
            "sar bench model: cannot reset the peak resident set (/proc/self/clear_refs); Linux >= 4.0 allows it");
  Optimizer adam(OptimizerConfig{}, model.named_parameters());  // the recipe's Adam (lr 5e-4)
  Measured ours{"sar", 0, {}, ""};
  const auto forward_backward = [&] { backward(model.loss(images, targets)); };
  const auto update = [&] {
    adam.step(LrScheduleConfig{}.lr);  // the recipe's 5e-4
    model.zero_grad();  // drops the gradients, as PyTorch's zero_grad(set_to_none=True)
  };
  ours.ms = median_ms(
      [&] {
        forward_backward();
        update();
      },
      device, reps);
  if (device == Device::CPU) ours.memory.peak = proc_status_bytes("VmHWM");
  else ours.memory.peak = double(cuda_allocator_stats().peak_bytes_in_use);
  ours.memory.growth = ours.memory.peak - (device == Device::CPU ? rss_before : cuda_before);
  if (profile_top > 0) {
    OpProfile profile;
    for (int r = 0; r < reps; ++r) {
      profile.start_pass(device);
      forward_backward();
      const auto before_update = profile_clock(device);
      update();
      profile.add("adam step", std::chrono::duration<double, std::milli>(profile_clock(device) - before_update).count());
    }
    ours.profile = profile.tables(reps, profile_top);
  }
  return ours;
}

void print_row(const Measured& m, int batch) {
  std::printf("%-16s %10.1f %8.2f %10.0f %12.0f\n", m.label.c_str(), m.ms, batch * 1000.0 / m.ms,
              m.memory.peak / double(1 << 20), m.memory.growth / double(1 << 20));
}

}  // namespace

int bench_model_main(int argc, char** argv) {
  std::string device_spec = "auto", baseline_path;
  ModelConfig config;
  int batch = 8, reps = 3, top = 25;
  bool profile = false, top_given = false;
  bool tf32 = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--device" && has_value) device_spec = argv[++i];
    else if (a == "--tf32") tf32 = true;
    else if (a == "--model" && has_value) config.backbone = argv[++i];
    else if (a == "--head" && has_value) config.head = argv[++i];
    else if (a == "--input" && has_value)
      SAR_CHECK(std::sscanf(argv[++i], "%dx%d", &config.head_config.input_h, &config.head_config.input_w) == 2,
                "sar bench model --input: expected HxW, e.g. 256x192");
    else if (a == "--batch" && has_value) batch = std::atoi(argv[++i]);
    else if (a == "--keypoints" && has_value) config.head_config.num_keypoints = std::atoi(argv[++i]);
    else if (a == "--reps" && has_value) reps = std::atoi(argv[++i]);
    else if (a == "--baseline" && has_value) baseline_path = argv[++i];
    else if (a == "--profile") profile = true;
    else if (a == "--top" && has_value) { top = std::atoi(argv[++i]); top_given = true; }
    else if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    else SAR_THROW("sar bench model: unknown option or missing value '", a, "'; see sar bench model --help");
  }
  SAR_CHECK(batch > 0 && reps > 0, "sar bench model: --batch and --reps must be positive");
  SAR_CHECK(!top_given || (profile && top > 0), "sar bench model: --top takes a positive count and goes with --profile");
  if (config.backbone.rfind("hrnet", 0) == 0) config.deconv_layers = 0;
  std::string choice;
  Device device = resolve_device(device_spec, &choice);
  const char* math = bench_math(tf32, device);
  set_tf32_math(tf32);
  const int H = config.head_config.input_h, W = config.head_config.input_w, J = config.head_config.num_keypoints;
  Measured base;
  if (!baseline_path.empty())
    base = read_model_baseline(baseline_path, cat(config.backbone, " ", config.head, " ", H, "x", W, " J", J, " batch ",
                                                  batch, " on ", device_name(device)),
                               math);

  Measured ours = measure_steps(config, batch, reps, device, profile ? top : 0);
  std::printf("%s\ntraining step (forward + loss + backward + Adam): %s + %d deconvs + %s head, %dx%d, "
              "%d keypoints, batch %d, %s math, median of %d\n",
              choice.c_str(), config.backbone.c_str(), config.deconv_layers, config.head.c_str(), H, W, J, batch, math,
              reps);
  std::printf("peak memory: %s\n", device == Device::CPU ? "resident set (VmHWM reset before the steps)"
                                                         : "the allocator's peak bytes in use");
  std::printf("%-16s %10s %8s %10s %12s\n", "", "ms/step", "img/s", "peak MiB", "growth MiB");
  print_row(ours, batch);
  if (!baseline_path.empty()) {
    print_row(base, batch);
    std::printf("ratio sar / %s: img/s %.2fx (above 1: we are faster), peak memory %.2fx, growth %.2fx\n",
                base.label.c_str(), base.ms / ours.ms, ours.memory.peak / base.memory.peak,
                ours.memory.growth / base.memory.growth);
  }
  if (!ours.profile.empty()) std::printf("\n%s", ours.profile.c_str());
  return 0;
}

}  // namespace sar
