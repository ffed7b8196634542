// main.cpp: the `sar` command line. Library code throws sar::Error; this is the one place
// that turns it into a message on stderr and a non-zero exit.
#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/device.h"
#include "core/error.h"
#include "core/flop_counter.h"
#include "core/tape.h"
#include "models/pose_model.h"
#include "core/safetensors.h"
#include "core/storage.h"
#include "train/bench_layers.h"
#include "train/bench_sar.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace {

const char* kUsage =
    "usage: sar <command> [options]\n"
    "\n"
    "commands:\n"
    "  info [--device auto|cpu|cuda]   build configuration, libraries and the device chosen\n"
    "  info --weights FILE             the tensors of a safetensors file: name, dtype, shape, bytes\n"
    "  info --model NAME [--head H]    parameters and multiply-adds of a model (see sar info --help)\n"
    "  bench layers [--help]           conv/deconv forward+backward timings of ResNet-50 shapes\n"
    "  bench sar [--help]              SAR loss forward+backward and decode timings, with GB/s\n"
    "  help                            this text\n"
    "\n"
    "Training and evaluation arrive with later issues (see README.md).\n";

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
  auto full = count.macs().find(sar::kDeconvFullKernelLabel);
  if (full != count.macs().end())
    std::printf("total, transposed convs charged a full kernel per output pixel (the paper's 9.7 G convention): %.3f G\n",
                (count.total() - count.macs().at("conv_transpose2d") + full->second) / 1e9);
  return 0;
}

int cmd_info(int argc, char** argv) {
  const char* usage =
      "usage: sar info [--device auto|cpu|cuda]\n"
      "       sar info --weights FILE.safetensors\n"
      "       sar info --model BACKBONE [--head sar] [--deconvs 3] [--input 256x192] [--keypoints 17]\n";
  std::string spec = "auto", weights;
  sar::ModelConfig model;
  bool show_model = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--device" && has_value) spec = argv[++i];
    else if (arg == "--weights" && has_value) weights = argv[++i];
    else if (arg == "--model" && has_value) { model.backbone = argv[++i]; show_model = true; }
    else if (arg == "--head" && has_value) model.head = argv[++i];
    else if (arg == "--deconvs" && has_value) model.deconv_layers = std::atoi(argv[++i]);
    else if (arg == "--keypoints" && has_value) model.head_config.num_keypoints = std::atoi(argv[++i]);
    else if (arg == "--input" && has_value)
      SAR_CHECK(std::sscanf(argv[++i], "%dx%d", &model.head_config.input_h, &model.head_config.input_w) == 2,
                "sar info --input: expected HxW, e.g. 256x192");
    else if (arg == "--help" || arg == "-h") { std::fputs(usage, stdout); return 0; }
    else SAR_THROW("sar info: unknown option or missing value '", arg, "'; see sar info --help");
  }
  if (!weights.empty()) return print_weights(weights);
  if (show_model) {
    if (model.backbone.rfind("hrnet", 0) == 0) model.deconv_layers = 0;
    return print_model(model);
  }
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

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
      std::fputs(kUsage, stdout);
      return argc < 2 ? 2 : 0;
    }
    std::string cmd = argv[1];
    if (cmd == "info") return cmd_info(argc - 2, argv + 2);
    if (cmd == "bench" && argc >= 3 && std::string(argv[2]) == "layers") return sar::bench_layers_main(argc - 3, argv + 3);
    if (cmd == "bench" && argc >= 3 && std::string(argv[2]) == "sar") return sar::bench_sar_main(argc - 3, argv + 3);
    if (cmd == "bench") SAR_THROW("sar bench: expected a benchmark name: layers or sar");
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
