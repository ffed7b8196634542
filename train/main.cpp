// main.cpp: the `sar` command line. Library code throws sar::Error; this is the one place
// that turns it into a message on stderr and a non-zero exit.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/flop_counter.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/tape.h"
#include "models/pose_model.h"
#include "core/safetensors.h"
#include "core/storage.h"
#include "train/bench_data.h"
#include "train/bench_layers.h"
#include "train/bench_model.h"
#include "train/bench_sar.h"
#include "train/compare_command.h"
#include "train/data_commands.h"
#include "train/gradcheck_command.h"
#include "train/run_commands.h"
#include "train/run_config.h"
#include "train/score_command.h"
#include "train/train_checkpoint.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace {

const char* kUsage =
    "usage: sar <command> [options]\n"
    "\n"
    "commands:\n"
    "  train --config C --out RUN      trains a model from a config (see sar train --help); --resume RUN\n"
    "  eval --checkpoint CK --out RES  a trained model over the val split, scored with the data set's metric\n"
    "  infer --checkpoint CK --image IMG --out OUT.png [--maps]\n"
    "                                  one person's skeleton (and confidence maps) drawn on an image\n"
    "  info [--device auto|cpu|cuda]   build configuration, libraries and the device chosen\n"
    "  info --weights FILE             the tensors of a safetensors file: name, dtype, shape, bytes\n"
    "  info --model NAME [--head H]    parameters and multiply-adds of a model (see sar info --help)\n"
    "  info --config C [--set k=v]     the same for the model a run config builds (e.g. make demo's)\n"
    "  info --model NAME --weights FILE [--allow-partial]\n"
    "                                  loads FILE into the model by name and lists what did not match\n"
    "  gradcheck --model NAME [--head H] | --op NAME|all\n"
    "                                  float64 central differences against backward(), per parameter group\n"
    "  bench layers [--help]           conv/deconv forward+backward timings of ResNet-50 shapes\n"
    "  bench sar [--help]              SAR loss forward+backward and decode timings, with GB/s\n"
    "  bench model [--help]            a whole model's training step: img/s and peak memory\n"
    "  bench data [--help]             input pipeline samples/s on LSPET (decode, augment, targets)\n"
    "  data show [--help]              a PNG grid of the loader's crops with keypoints and skeleton\n"
    "  score --gt GT --results RES --metric coco|pck|pckh|crowdpose|wholebody [--json]\n"
    "                                  a results file scored as pycocotools / xtcocotools give it, or PCK\n"
    "  compare RUN [RUN ...] [--out P] training runs side by side: a markdown table and the metric's curves\n"
    "  help                            this text\n"
    "\n"
    "Every command takes --help. The main job: make demo (README.md).\n";

// Lists a safetensors file's tensors and their total; a bad file is refused by the reader.
int print_weights(const std::string& path) {
  sar::SafetensorsIndex index = sar::read_safetensors_index(path);
  size_t name_width = 4, total = 0;
  for (const auto& e : index.entries) name_width = std::max(name_width, e.name.size());
  std::printf("%-*s  %-5s  %-20s  %12s\n", int(name_width), "name", "dtype", "shape", "bytes");
  for (const auto& e : index.entries) {
    std::printf("%-*s  %-5s  %-20s  %12zu\n", int(name_width), e.name.c_str(), sar::safetensors_dtype_name(e.dtype),
                e.shape.str().c_str(), e.end - e.begin);
    total += e.end - e.begin;
  }
  std::printf("%zu tensors, %zu bytes (%s)\n", index.entries.size(), total, sar::format_bytes(total).c_str());
  for (const auto& [key, value] : index.metadata) std::printf("metadata %s = %s\n", key.c_str(), value.c_str());
  return 0;
}

// Parameters and multiply-adds of a model on one image (one forward on the CPU, no tape).
int print_model(const sar::ModelConfig& config) {
  sar::Generator gen(0);
  sar::PoseModel model(config, gen);
  model.eval();
  sar::NoGrad no_grad;
  sar::FlopCount count;
  model.predict(sar::Tensor::zeros({1, 3, config.head_config.input_h, config.head_config.input_w}));
  std::printf("model: %s + %d deconvs + %s head; input %dx%d, %d keypoints; features: %lld channels at stride %d\n",
              config.backbone.c_str(), config.deconv_layers, config.head.c_str(), config.head_config.input_h,
              config.head_config.input_w, config.head_config.num_keypoints, (long long)model.feature_channels(),
              model.feature_stride());
  std::printf("parameters: %lld\n", (long long)model.parameter_count());
  for (const auto& [label, macs] : count.macs()) std::printf("  %-48s %8.3f G multiply-adds\n", label.c_str(), macs / 1e9);
  std::printf("total: %.3f G multiply-adds per image (transposed convs at their real cost)\n", count.total() / 1e9);
  const double full_kernel = count.total_full_kernel();
  if (count.macs().count(sar::kDeconvFullKernelLabel))
    std::printf("total, transposed convs charged a full kernel per output pixel (the paper's 9.7 G convention): %.3f G\n",
                full_kernel / 1e9);
  // The HRNet repository's model summary counts that way and divides by 2^30, not 1e9: its
  // "GFLOPs" (HRNet-W32 256x192: 7.1) are this number.
  std::printf("the same in the HRNet tables' unit (/ 2^30): %.2f\n", full_kernel / double(1 << 30));
  return 0;
}

// The model a run config builds, as `sar train` builds it: the keypoint count is the data set's,
// read from the val split's meta (a COCO-format set needs its annotation file on disk; the
// synthetic set needs nothing), unless `keypoints` (> 0) gives it.
sar::ModelConfig config_model(const std::string& path, const std::vector<std::string>& overrides, int keypoints) {
  const sar::RunConfig config = sar::load_run_config(path, overrides);
  if (keypoints > 0) return sar::model_config(config, keypoints);
  try {
    return sar::model_config(config, sar::open_split(config, sar::Split::Val)->meta().num_keypoints());
  } catch (const sar::Error& e) {  // no data set on this machine: the model is still worth a look
    SAR_THROW(e.message(), "; without the data set, give its keypoint count: sar info --config ", path,
              " --keypoints K (COCO: 17)");
  }
}

// Prints one kind of mismatch of a load, one tensor a line.
void print_names(const char* title, const sar::NamedShapes& names) {
  std::printf("%s: %zu\n", title, names.size());
  for (const auto& [name, shape] : names) std::printf("  %s %s\n", name.c_str(), shape.str().c_str());
}

// --check-features: the backbone alone (C5, eval mode) on the file's "input" against its
// "expected", e.g. torchvision's output dumped by tools/test_torch2safetensors.py. The
// tolerance is relative to the largest expected value: float32 sums in another order over
// 50 layers differ by about 1e-6 of it, a wrong weight or BN statistic by far more.
int check_features(sar::PoseModel& model, const std::string& path) {
  constexpr double kTolerance = 1e-4;
  sar::Tensor input, expected;
  for (auto& [name, t] : sar::load_safetensors(path)) {
    if (name == "input") input = t;
    else if (name == "expected") expected = t;
  }
  SAR_CHECK(input.defined() && expected.defined(), path,
            ": --check-features needs the tensors 'input' [N, 3, H, W] and 'expected' (the backbone's output)");
  model.eval();
  sar::NoGrad no_grad;
  sar::Tensor c5 = model.backbone().forward(input.to(sar::DType::F32));
  SAR_CHECK(c5.shape() == expected.shape(), path, ": 'expected' has shape ", expected.shape(),
            ", the backbone gives ", c5.shape());
  const double diff = sar::max(sar::abs(c5 - expected.to(sar::DType::F32))).item();
  const double scale = std::max(sar::max(sar::abs(expected)).item(), 1e-12);
  std::printf("check-features: backbone output %s on '%s': max |ours - expected| = %.3g, max |expected| = %.3g, "
              "relative %.3g (tolerance %.0e)\n",
              c5.shape().str().c_str(), path.c_str(), diff, scale, diff / scale, kTolerance);
  SAR_CHECK(diff <= kTolerance * scale, path, ": the backbone's output differs from 'expected' by ", diff / scale,
            " of its largest value (tolerance ", kTolerance, ")");
  return 0;
}

// Loads a weights file into the model (all of it, or what matches with allow_partial) and lists
// what matched and what did not; strict mode then fails naming the first mismatches.
int load_weights(const sar::ModelConfig& config, const std::string& path, bool allow_partial,
                 const std::string& features_path) {
  sar::Generator gen(0);
  sar::PoseModel model(config, gen);
  // A training checkpoint (RUN/checkpoints/last.safetensors) loads its model.* tensors.
  sar::LoadReport report = model.load_state(sar::checkpoint_model_state(path), /*allow_partial=*/true);
  int64_t values = 0;
  for (const auto& [name, t] : model.state())
    if (std::find(report.loaded.begin(), report.loaded.end(), name) != report.loaded.end()) values += t.numel();
  std::printf("model: %s + %d deconvs + %s head: %zu tensors\n", config.backbone.c_str(), config.deconv_layers,
              config.head.c_str(), model.state().size());
  std::printf("%s: loaded %zu tensors (%lld values)\n", path.c_str(), report.loaded.size(), (long long)values);
  print_names("missing (in the model, not in the file)", report.missing);
  print_names("unexpected (in the file, not in the model)", report.unexpected);
  std::printf("mis-shaped (not loaded): %zu\n", report.mismatched.size());
  for (const auto& m : report.mismatched)
    std::printf("  %s: file %s, model %s\n", m.name.c_str(), m.given.str().c_str(), m.expected.str().c_str());
  SAR_CHECK(allow_partial || report.complete(), path, ": the weights do not match the model: ", report.describe(),
            "; --allow-partial loads what matches");
  return features_path.empty() ? 0 : check_features(model, features_path);
}

int cmd_info(int argc, char** argv) {
  const char* usage =
      "usage: sar info [--device auto|cpu|cuda]\n"
      "       sar info --weights FILE.safetensors\n"
      "       sar info --model BACKBONE [--head sar] [--deconvs 3] [--input 256x192] [--keypoints 17]\n"
      "       sar info --model BACKBONE [...] --weights FILE [--allow-partial] [--check-features FILE]\n"
      "       sar info --config FILE.json [--set key=value ...] [--keypoints K] [--weights FILE ...]\n"
      "\n"
      "  --config builds the model of a run config (configs/*.json, as sar train does: deconv\n"
      "  channels, head options, input size, and the data set's keypoint count) in place of --model\n"
      "  and its options; --set changes one config key first, e.g. --set model.deconv_channels=256.\n"
      "  --keypoints K with --config: K keypoints instead of reading the data set's annotation file\n"
      "  (for a config whose data is not on this machine, e.g. configs/coco_*.json: 17).\n"
      "  --model with --weights loads FILE into the model by name (a file from save_model, a training\n"
      "  checkpoint's model, or a file converted by tools/torch2safetensors.py) and lists the tensors\n"
      "  loaded, missing, unexpected and mis-shaped. Without --allow-partial anything that does not\n"
      "  match is an error (exit 1);\n"
      "  with it, what matches is loaded (e.g. a torchvision backbone: head.* missing, fc.* unexpected).\n"
      "  --check-features FILE: runs the loaded backbone alone (eval mode) on FILE's 'input' and\n"
      "  fails unless it gives FILE's 'expected' within 1e-4 of its largest value.\n";
  std::string spec = "auto", weights, features, config_path;
  std::vector<std::string> overrides;
  sar::ModelConfig model;
  bool show_model = false, model_options = false, allow_partial = false, keypoints_given = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    for (const char* option : {"--model", "--head", "--deconvs", "--input"})
      if (arg == option) model_options = true;  // what --config must not be mixed with
    if (arg == "--device" && has_value) spec = argv[++i];
    else if (arg == "--weights" && has_value) weights = argv[++i];
    else if (arg == "--allow-partial") allow_partial = true;
    else if (arg == "--check-features" && has_value) features = argv[++i];
    else if (arg == "--config" && has_value) config_path = argv[++i];
    else if (arg == "--set" && has_value) overrides.push_back(argv[++i]);
    else if (arg == "--model" && has_value) { model.backbone = argv[++i]; show_model = true; }
    else if (arg == "--head" && has_value) model.head = argv[++i];
    else if (arg == "--deconvs" && has_value) model.deconv_layers = std::atoi(argv[++i]);
    else if (arg == "--keypoints" && has_value) {
      model.head_config.num_keypoints = std::atoi(argv[++i]);
      SAR_CHECK(model.head_config.num_keypoints >= 1, "sar info --keypoints: expected a count >= 1, got '", argv[i],
                "'");
      keypoints_given = true;
    }
    else if (arg == "--input" && has_value)
      SAR_CHECK(std::sscanf(argv[++i], "%dx%d", &model.head_config.input_h, &model.head_config.input_w) == 2,
                "sar info --input: expected HxW, e.g. 256x192");
    else if (arg == "--help" || arg == "-h") { std::fputs(usage, stdout); return 0; }
    else SAR_THROW("sar info: unknown option or missing value '", arg, "'; see sar info --help");
  }
  SAR_CHECK(overrides.empty() || !config_path.empty(), "sar info: --set needs --config");
  if (!config_path.empty()) {
    SAR_CHECK(!model_options, "sar info: --config builds the config's model; change it with --set model.KEY=VALUE, "
              "not with --model, --head, --deconvs or --input");
    model = config_model(config_path, overrides, keypoints_given ? model.head_config.num_keypoints : 0);
    show_model = true;
  }
  SAR_CHECK((!allow_partial && features.empty()) || (show_model && !weights.empty()),
            "sar info: --allow-partial and --check-features need --model (or --config) and --weights");
  if (show_model && model.backbone.rfind("hrnet", 0) == 0) model.deconv_layers = 0;
  if (show_model && !weights.empty()) return load_weights(model, weights, allow_partial, features);
  if (!weights.empty()) return print_weights(weights);
  if (show_model) return print_model(model);
  std::printf("sar: build with CUDA: %s\n", sar::built_with_cuda() ? "yes" : "no (make CUDA=0)");
#if SAR_WITH_CUDA
  std::printf("libraries: %s\n", sar::cuda::library_versions().c_str());
#endif
  std::printf("CUDA devices: %d (%s)\n", sar::cuda_device_count(), sar::cuda_device_description().c_str());
  std::string choice;
  sar::resolve_device(spec, &choice);
  std::printf("%s\n", choice.c_str());
  return 0;
}

// libgomp reads OMP_WAIT_POLICY once, when it loads (before main). Its default lets a thread
// that waits at the end of a parallel region spin; when a loader worker or another process holds
// the other core, that spinning steals it, and a ResNet-18 training step on 2 loaded cores ran
// 10x slower (8.9 s instead of 0.88 s, docs/BENCHMARKS.md). Unless the user chose a policy, the
// program runs itself again with PASSIVE: waiting threads sleep.
void prefer_passive_omp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);  // returns only when it fails: then run on with the default
}

}  // namespace

const char* const kBenchUsage =
    "usage: sar bench layers|sar|model|data [--help]\n"
    "  Speed against PyTorch measured in the same run (make bench runs all four):\n"
    "  layers   conv/deconv forward+backward timings of ResNet-50 shapes\n"
    "  sar      SAR loss forward+backward and decode timings, with GB/s\n"
    "  model    a whole model's training step: img/s and peak memory\n"
    "  data     input pipeline samples/s on LSPET (decode, augment, targets)\n";

int main(int argc, char** argv) {
  prefer_passive_omp_wait(argv);
  try {
    if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
      std::fputs(kUsage, stdout);
      return argc < 2 ? 2 : 0;
    }
    std::string cmd = argv[1];
    if (cmd == "info") return cmd_info(argc - 2, argv + 2);
    if (cmd == "bench" && argc >= 3 && std::string(argv[2]) == "layers") return sar::bench_layers_main(argc - 3, argv + 3);
    if (cmd == "bench" && argc >= 3 && std::string(argv[2]) == "sar") return sar::bench_sar_main(argc - 3, argv + 3);
    if (cmd == "bench" && argc >= 3 && std::string(argv[2]) == "model") return sar::bench_model_main(argc - 3, argv + 3);
    if (cmd == "bench" && argc >= 3 && std::string(argv[2]) == "data") return sar::bench_data_main(argc - 3, argv + 3);
    if (cmd == "bench") {
      const bool help = argc >= 3 && (!std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h"));
      if (!help) std::fprintf(stderr, argc >= 3 ? "sar bench: unknown benchmark '%s'\n\n" : "sar bench: which one?\n\n",
                              argc >= 3 ? argv[2] : "");
      std::fputs(kBenchUsage, help ? stdout : stderr);
      return help ? 0 : 2;
    }
    if (cmd == "data") return sar::data_main(argc - 2, argv + 2);
    if (cmd == "score") return sar::score_main(argc - 2, argv + 2);
    if (cmd == "compare") return sar::compare_main(argc - 2, argv + 2);
    if (cmd == "train") return sar::train_main(argc - 2, argv + 2);
    if (cmd == "eval") return sar::eval_main(argc - 2, argv + 2);
    if (cmd == "infer") return sar::infer_main(argc - 2, argv + 2);
    if (cmd == "gradcheck") return sar::gradcheck_main(argc - 2, argv + 2);
    std::fprintf(stderr, "sar: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const sar::Error& e) {
    std::fprintf(stderr, "sar: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sar: unexpected error: %s\n", e.what());
    return 1;
  }
}
