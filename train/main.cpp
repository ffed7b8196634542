// main.cpp: the `sar` command line. Library code throws sar::Error; this is the one place
// that turns it into a message on stderr and a non-zero exit.
#include <cstdio>
#include <cstring>
#include <string>

#include "core/device.h"
#include "core/error.h"
#include "core/storage.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace {

const char* kUsage =
    "usage: sar <command> [options]\n"
    "\n"
    "commands:\n"
    "  info [--device auto|cpu|cuda]   build configuration, libraries and the device chosen\n"
    "  help                            this text\n"
    "\n"
    "Training, evaluation and benchmarks arrive with later issues (see README.md).\n";

int cmd_info(int argc, char** argv) {
  std::string spec = "auto";
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--device") == 0 && i + 1 < argc) spec = argv[++i];
    else if (std::strcmp(argv[i], "--help") == 0) { std::fputs("usage: sar info [--device auto|cpu|cuda]\n", stdout); return 0; }
    else SAR_THROW("sar info: unknown option '", argv[i], "'; see sar info --help");
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
