// bench_layers.cpp: `sar bench layers`: times SimpleBaseline-R50's conv and deconv shapes against
// the PyTorch baseline.
#include "train/bench_layers.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/ops/conv.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/rng.h"
#include "core/tape.h"
#include "train/bench_util.h"

namespace sar {

namespace {

// One distinct conv of the network: input [N, Cin, H, W], weight k x k, and how many
// times the network runs it (so the weighted total estimates the whole network's convs).
struct ConvShape {
  std::string name;
  int cin, cout, h, w, k, stride, pad;
  bool transpose;  // a SimpleBaseline deconv (k4 s2 p1)
  int count;
};

// ResNet-50 (torchvision v1.5: the stride sits on the 3x3) at 256x192, then three deconvs.
const std::vector<ConvShape> kResNet50Shapes = {
    {"stem 7x7/2", 3, 64, 256, 192, 7, 2, 3, false, 1},
    {"l1 1x1 64-64", 64, 64, 64, 48, 1, 1, 0, false, 1},
    {"l1 3x3 64-64", 64, 64, 64, 48, 3, 1, 1, false, 3},
    {"l1 1x1 64-256", 64, 256, 64, 48, 1, 1, 0, false, 4},
    {"l1 1x1 256-64", 256, 64, 64, 48, 1, 1, 0, false, 2},
    {"l2 1x1 256-128", 256, 128, 64, 48, 1, 1, 0, false, 1},
    {"l2 3x3/2 128-128", 128, 128, 64, 48, 3, 2, 1, false, 1},
    {"l2 1x1 128-512", 128, 512, 32, 24, 1, 1, 0, false, 4},
    {"l2 down 1x1/2 256-512", 256, 512, 64, 48, 1, 2, 0, false, 1},
    {"l2 1x1 512-128", 512, 128, 32, 24, 1, 1, 0, false, 3},
    {"l2 3x3 128-128", 128, 128, 32, 24, 3, 1, 1, false, 3},
    {"l3 1x1 512-256", 512, 256, 32, 24, 1, 1, 0, false, 1},
    {"l3 3x3/2 256-256", 256, 256, 32, 24, 3, 2, 1, false, 1},
    {"l3 1x1 256-1024", 256, 1024, 16, 12, 1, 1, 0, false, 6},
    {"l3 down 1x1/2 512-1024", 512, 1024, 32, 24, 1, 2, 0, false, 1},
    {"l3 1x1 1024-256", 1024, 256, 16, 12, 1, 1, 0, false, 5},
    {"l3 3x3 256-256", 256, 256, 16, 12, 3, 1, 1, false, 5},
    {"l4 1x1 1024-512", 1024, 512, 16, 12, 1, 1, 0, false, 1},
    {"l4 3x3/2 512-512", 512, 512, 16, 12, 3, 2, 1, false, 1},
    {"l4 1x1 512-2048", 512, 2048, 8, 6, 1, 1, 0, false, 3},
    {"l4 down 1x1/2 1024-2048", 1024, 2048, 16, 12, 1, 2, 0, false, 1},
    {"l4 1x1 2048-512", 2048, 512, 8, 6, 1, 1, 0, false, 2},
    {"l4 3x3 512-512", 512, 512, 8, 6, 3, 1, 1, false, 2},
    {"deconv1 4x4/2 2048-256", 2048, 256, 8, 6, 4, 2, 1, true, 1},
    {"deconv2 4x4/2 256-256", 256, 256, 16, 12, 4, 2, 1, true, 1},
    {"deconv3 4x4/2 256-256", 256, 256, 32, 24, 4, 2, 1, true, 1},
};

const char* kUsage =
    "usage: sar bench layers [--device auto|cpu|cuda] [--tf32] [--batch N] [--reps N] [--baseline FILE.json]\n"
    "                        [--print-shapes]\n"
    "  Forward + backward (input and weight gradients) of each distinct conv/deconv shape of\n"
    "  SimpleBaseline-ResNet-50 at 256x192; median of --reps runs after one warm-up.\n"
    "  --tf32: TF32 tensor-core math (CUDA only; sar train --tf32)\n"
    "  --baseline: PyTorch times from tools/bench_layers_torch.py (and --tf32 for --tf32); adds a\n"
    "  ratio column (ours / PyTorch).\n"
    "  --print-shapes: writes the shapes as JSON (what tools/bench_layers_torch.py reads) and exits.\n";

void print_shapes(int batch) {
  nlohmann::json out = nlohmann::json::array();
  for (const ConvShape& s : kResNet50Shapes)
    out.push_back({{"name", s.name}, {"n", batch}, {"cin", s.cin}, {"cout", s.cout}, {"h", s.h}, {"w", s.w},
                   {"k", s.k}, {"stride", s.stride}, {"pad", s.pad}, {"transpose", s.transpose}, {"count", s.count}});
  std::printf("%s\n", out.dump(1).c_str());
}

// Median milliseconds of forward + backward for one shape.
double time_shape(const ConvShape& s, int batch, Device device, int reps, Generator& gen) {
  Tensor x = randn({batch, s.cin, s.h, s.w}, gen, DType::F32, device).set_requires_grad();
  Tensor w = randn(s.transpose ? Shape{s.cin, s.cout, s.k, s.k} : Shape{s.cout, s.cin, s.k, s.k}, gen, DType::F32,
                   device, 0.0, 0.01)
                 .set_requires_grad();
  return median_ms(
      [&] {
        Tensor y = s.transpose ? conv_transpose2d(x, w, Tensor(), ConvTranspose2dOptions(s.stride, s.pad))
                               : conv2d(x, w, Tensor(), Conv2dOptions(s.stride, s.pad));
        // seed the backward with ones of y's shape: the gradient kernels do the same work for any seed
        tape().backward(y, Tensor::ones_like(y));
        x.zero_grad();
        w.zero_grad();
      },
      device, reps);
}

}  // namespace

int bench_layers_main(int argc, char** argv) {
  std::string device_spec = "auto", baseline_path;
  int batch = 8, reps = 3;
  bool shapes_only = false, tf32 = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--device" && has_value) device_spec = argv[++i];
    else if (a == "--tf32") tf32 = true;
    else if (a == "--batch" && has_value) batch = std::atoi(argv[++i]);
    else if (a == "--reps" && has_value) reps = std::atoi(argv[++i]);
    else if (a == "--baseline" && has_value) baseline_path = argv[++i];
    else if (a == "--print-shapes") shapes_only = true;
    else if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    else SAR_THROW("sar bench layers: unknown option or missing value '", a, "'; see sar bench layers --help");
  }
  SAR_CHECK(batch > 0 && reps > 0, "sar bench layers: --batch and --reps must be positive");
  if (shapes_only) {
    print_shapes(batch);
    return 0;
  }
  std::string choice, label;
  Device device = resolve_device(device_spec, &choice);
  const char* math = bench_math(tf32, device);
  set_tf32_math(tf32);
  std::map<std::string, double> baseline;
  if (!baseline_path.empty()) baseline = read_baseline(baseline_path, &label, math);
  std::printf("%s\nconv forward+backward, batch %d, %s math, median of %d, ms\n", choice.c_str(), batch, math, reps);
  std::printf("%-26s %5s %10s %10s %7s\n", "shape", "count", "sar", label.empty() ? "-" : label.c_str(), "ratio");
  Generator gen(0);
  double total = 0, total_base = 0;
  for (const ConvShape& s : kResNet50Shapes) {
    double ms = time_shape(s, batch, device, reps, gen);
    total += ms * s.count;
    auto b = baseline.find(s.name);
    if (b != baseline.end()) {
      total_base += b->second * s.count;
      std::printf("%-26s %5d %10.2f %10.2f %7.2f\n", s.name.c_str(), s.count, ms, b->second, ms / b->second);
    } else {
      std::printf("%-26s %5d %10.2f %10s %7s\n", s.name.c_str(), s.count, ms, "-", "-");
    }
    std::fflush(stdout);
  }
  if (total_base > 0)
    std::printf("%-26s %5s %10.1f %10.1f %7.2f  (ours / %s, counts weighted)\n", "network total", "", total, total_base,
                total / total_base, label.c_str());
  else
    std::printf("%-26s %5s %10.1f\n", "network total", "", total);
  return 0;
}

}  // namespace sar
