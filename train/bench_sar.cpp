// bench_sar.cpp: `sar bench sar`: the SAR loss and top-1 decode at training scale against PyTorch ops.
#include "train/bench_sar.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/ops/sar_decode.h"
#include "core/ops/sar_loss.h"
#include "core/rng.h"
#include "core/tape.h"
#include "train/bench_util.h"

namespace sar {

namespace {

const char* kUsage =
    "usage: sar bench sar [--device auto|cpu|cuda] [--batch 64] [--keypoints 17] [--map 64x48] [--reps 5]\n"
    "                     [--baseline FILE.json]\n"
    "  Times sar_loss forward + backward and sar_decode_topm (m = 1); prints ms, the GB/s that the\n"
    "  minimal memory traffic implies, and with --baseline the ratio to tools/bench_sar_torch.py.\n";

void print_row(const char* name, double ms, double bytes, const std::map<std::string, double>& baseline) {
  auto b = baseline.find(name);
  if (b != baseline.end())
    std::printf("%-24s %10.3f %10.1f %10.3f %7.2f\n", name, ms, bytes / ms / 1e6, b->second, ms / b->second);
  else
    std::printf("%-24s %10.3f %10.1f %10s %7s\n", name, ms, bytes / ms / 1e6, "-", "-");
}

}  // namespace

int bench_sar_main(int argc, char** argv) {
  std::string device_spec = "auto", baseline_path;
  int batch = 64, J = 17, h = 64, w = 48, reps = 5;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--device" && has_value) device_spec = argv[++i];
    else if (a == "--batch" && has_value) batch = std::atoi(argv[++i]);
    else if (a == "--keypoints" && has_value) J = std::atoi(argv[++i]);
    else if (a == "--map" && has_value) SAR_CHECK(std::sscanf(argv[++i], "%dx%d", &h, &w) == 2, "--map: expected HxW");
    else if (a == "--reps" && has_value) reps = std::atoi(argv[++i]);
    else if (a == "--baseline" && has_value) baseline_path = argv[++i];
    else if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    else SAR_THROW("sar bench sar: unknown option or missing value '", a, "'; see sar bench sar --help");
  }
  SAR_CHECK(batch > 0 && J > 0 && h > 0 && w > 0 && reps > 0, "sar bench sar: sizes and --reps must be positive");
  std::string choice, label;
  Device device = resolve_device(device_spec, &choice);
  std::map<std::string, double> baseline;
  if (!baseline_path.empty()) baseline = read_baseline(baseline_path, &label);

  // Inputs as training sees them: small offsets, logits near the prior, targets on the map.
  Generator gen(0);
  Tensor offsets = randn({batch, 2 * J, h, w}, gen, DType::F32, device, 0.0, 0.02).set_requires_grad();
  Tensor logits = randn({batch, J, h, w}, gen, DType::F32, device, -4.6, 1.0).set_requires_grad();
  Tensor target = rand({batch, J, 2}, gen, DType::F32, device);
  Tensor weight = bernoulli({batch, J}, 0.9, gen, DType::F32, device);

  double loss_ms = median_ms(
      [&] {
        backward(sar_loss(offsets, logits, target, weight));
        offsets.zero_grad();
        logits.zero_grad();
      },
      device, reps);
  double decode_ms = median_ms([&] { sar_decode_topm(offsets, logits); }, device, reps);

  // Minimal traffic: the forward reads offsets and logits (3 floats per cell and keypoint), the
  // backward reads them again and writes both gradients; the decode reads them once.
  const double cells = double(batch) * J * h * w;
  std::printf("%s\nSAR loss and decode: batch %d, %d keypoints, %dx%d map, median of %d\n", choice.c_str(), batch, J,
              h, w, reps);
  std::printf("%-24s %10s %10s %10s %7s\n", "", "sar ms", "GB/s", label.empty() ? "-" : label.c_str(), "ratio");
  print_row("loss forward+backward", loss_ms, 9 * cells * 4, baseline);
  print_row("decode top-1", decode_ms, 3 * cells * 4, baseline);
  return 0;
}

}  // namespace sar
