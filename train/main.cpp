// main.cpp: the `sar` command line. Library code throws sar::Error; this is the one place
// that turns it into a message on stderr and a non-zero exit.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/device.h"
#include "core/error.h"
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

int cmd_info(int argc, char** argv) {
  const char* usage = "usage: sar info [--device auto|cpu|cuda] [--weights FILE.safetensors]\n";
  std::string spec = "auto", weights;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--device" && has_value) spec = argv[++i];
    else if (arg == "--weights" && has_value) weights = argv[++i];
    else if (arg == "--help" || arg == "-h") { std::fputs(usage, stdout); return 0; }
    else SAR_THROW("sar info: unknown option or missing value '", arg, "'; see sar info --help");
  }
  if (!weights.empty()) return print_weights(weights);
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
