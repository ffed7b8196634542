// gradcheck_command.cpp: see gradcheck_command.h. The whole-model check builds the model as
// training does (PoseModel from a ModelConfig), in float64 and training mode, and compares the
// gradients of model.loss on a random batch with central differences (core/gradcheck.h).
#include "train/gradcheck_command.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/gradcheck.h"
#include "core/tape.h"
#include "models/pose_model.h"
#include "train/arg_parser.h"
#include "train/gradcheck_catalog.h"

namespace sar {

namespace {

const char* kUsage =
    "usage: sar gradcheck --model NAMES|all [--head NAMES|all] [--input HxW] [--samples 8] [--deconvs 3]\n"
    "                     [--deconv-channels 16] [--keypoints 3] [--seed 1] [--eps 1e-6] [--rtol 1e-5]\n"
    "       sar gradcheck --op NAMES|all [--list]\n"
    "\n"
    "Checks the gradients that backward() computes against float64 central differences: for an\n"
    "entry x of a tensor, analytic dL/dx (one backward) against numeric (L(x+h) - L(x-h)) / 2h.\n"
    "Each line gives the worst relative error |analytic - numeric| / max(|analytic|, |numeric|, floor)\n"
    "of a group of entries and PASS when it is at most rtol. Exits 1 when any group fails.\n"
    "\n"
    "--model, --head: a whole model (models/pose_model.h) in float64 and training mode (BatchNorm\n"
    "  uses batch statistics) on a batch of 2 random images with random keypoint targets (one\n"
    "  keypoint dropped, Gaussian heatmaps where the head reads them); L = model.loss. For every\n"
    "  group of parameters (the module prefix: backbone.layer1, head.offset_conv, ...) and for the\n"
    "  input images, --samples random entries are checked. NAMES: one name, a comma-separated\n"
    "  list, or 'all': every backbone (resnet18..152, hrnet_w32/48) or head (sar, regression,\n"
    "  heatmap, heatmap_offset, fg_fc; default sar); every backbone is checked with every head.\n"
    "  --input HxW    the crop (default 64x48; HRNet 64x64: its sides must be multiples of 32).\n"
    "                 Smaller, the stride-32 map is 1x1 and its BatchNorms see 2 values per\n"
    "                 channel, so curved that central differences are off by percents\n"
    "  --samples N    entries per group (default 8)\n"
    "  --deconvs N    SimpleBaseline deconvs after a ResNet (default 3; HRNet has none)\n"
    "  --deconv-channels C  their width (default 16: the check is of the code, not of the size)\n"
    "  --keypoints J  (default 3)    --seed S  the model's and the batch's random numbers (default 1)\n"
    "  --eps h        the step (default 1e-6)    --rtol r  the tolerance (default 1e-5)\n"
    "  Why h = 1e-6: a central difference is off by about h^2 |L'''| / 6 (curvature) plus\n"
    "  1e-15 |L| / h (float64 rounding); 1e-6 balances them for these nets (worst relative error\n"
    "  measured on ResNet-18: 8e-7), and rtol 1e-5 leaves a margin of ten, while a wrong backward\n"
    "  is off by far more. floor = 1e-3 |L| (or the rounding noise / rtol where larger): smaller\n"
    "  gradients are compared absolutely, to rtol * floor.\n"
    "  Kinks (ReLU at 0, max-pool ties): a perturbation that crosses one mixes two slopes into the\n"
    "  numeric value. A failing entry is retried with h/10 ... h/10^4: it passes when a step\n"
    "  passes, fails when two steps in a row agree on the numeric value (L is smooth there, so\n"
    "  the analytic value is wrong), and is skipped (counted; another entry is drawn) when even\n"
    "  the last two disagree. A group whose every entry drawn (4 per sample) skipped is NOT JUDGED,\n"
    "  which is not a failure. HRNet's and ResNet-152's stems move so many ReLUs that many skip.\n"
    "\n"
    "--op NAMES: checks of the catalog (every differentiable op of core/ops, every layer and head\n"
    "  loss), on tiny float64 inputs with L = sum(r * output), r fixed random in [-1, 1]; every\n"
    "  entry of every input and parameter is checked (floor 1, rtol 1e-6 unless given).\n"
    "  --op all runs them all; --list prints the names and what each computes.\n";

// Prints one line per group and returns whether none failed. A group whose every entry sat on
// a kink is "NOT JUDGED", not failed: the numbers cannot say whether its gradient is right.
bool print_results(const std::vector<GradcheckResult>& results, const GradcheckOptions& opt) {
  bool none_failed = true;
  for (const GradcheckResult& r : results) {
    std::printf("  %-44s %6lld checked %4lld skipped   worst %9.2e   %s\n", r.name.c_str(), (long long)r.checked,
                (long long)r.skipped, r.worst_error, r.passed ? "PASS" : r.judged() ? "FAIL" : "NOT JUDGED (kinks)");
    if (r.judged() && !r.passed) std::printf("      worst entry: %s (tolerance %.0e)\n", r.worst.c_str(), opt.rtol);
    none_failed = none_failed && (r.passed || !r.judged());
  }
  return none_failed;
}

// The group of a parameter: its first two name parts ("backbone.layer1.0.conv1.weight" ->
// "backbone.layer1"), in the order the model lists them.
std::vector<GradcheckGroup> parameter_groups(const PoseModel& model) {
  std::vector<GradcheckGroup> groups;
  for (const auto& [name, p] : model.named_parameters()) {
    const size_t first = name.find('.');
    const size_t second = first == std::string::npos ? first : name.find('.', first + 1);
    const std::string prefix = name.substr(0, second);
    if (groups.empty() || groups.back().name != prefix) groups.push_back({prefix, {}});
    groups.back().tensors.push_back({name, p});
  }
  return groups;
}

struct ModelCheckSettings {
  int input_h = 0, input_w = 0;  // 0: the backbone's default
  int deconvs = 3, deconv_channels = 16, keypoints = 3;
  uint64_t seed = 1;
  GradcheckOptions options;
};

bool is_hrnet(const std::string& backbone) { return backbone.rfind("hrnet", 0) == 0; }

bool check_model(const std::string& backbone, const std::string& head, const ModelCheckSettings& s) {
  const auto start = std::chrono::steady_clock::now();
  ModelConfig c;
  c.backbone = backbone;
  c.head = head;
  c.deconv_layers = is_hrnet(backbone) ? 0 : s.deconvs;
  c.deconv_channels = s.deconv_channels;
  c.head_config.num_keypoints = s.keypoints;
  // 64 x 48 (HRNet: 64 x 64, sides must be multiples of 32), not smaller: at 32 x 24 the stride-32
  // map is 1 x 1, so its BatchNorms normalize 2 values per channel (batch 2), so nearly singular
  // that central differences of the stem's weights were off by up to 66% (curvature, not a bug)
  c.head_config.input_h = s.input_h ? s.input_h : 64;
  c.head_config.input_w = s.input_w ? s.input_w : is_hrnet(backbone) ? 64 : 48;
  constexpr int64_t N = 2;  // BatchNorm's batch statistics need more than one image

  Generator gen(s.seed);
  PoseModel model(c, gen);
  model.to(DType::F64);
  model.train();
  Tensor images = randn({N, 3, c.head_config.input_h, c.head_config.input_w}, gen, DType::F64);
  images.set_requires_grad();
  Shape map;  // the feature map's [N, C, h, w]: input / stride, but a 24-pixel side gives 1 cell at stride 32
  {
    NoGrad no_grad;
    map = model.features(images).shape();
  }
  KeypointTargets targets =
      random_keypoint_targets(N, c.head_config, map[2], map[3], model.head().needs_heatmaps(), gen);
  std::vector<GradcheckGroup> groups = parameter_groups(model);
  groups.push_back({"input", {{"input", images}}});

  auto loss = [&] { return model.loss(images, targets); };
  GradcheckOptions opt = s.options;
  {  // gradients below 1e-3 |L| are compared absolutely (sar gradcheck --help)
    NoGrad no_grad;
    opt.floor = 1e-3 * std::max(std::fabs(loss().item()), 1.0);
  }
  std::printf("%s + %d deconvs (%lld channels) + %s head, input [%lld, 3, %d, %d], %d keypoints: %lld parameters\n",
              backbone.c_str(), c.deconv_layers, (long long)c.deconv_channels, head.c_str(), (long long)N,
              c.head_config.input_h, c.head_config.input_w, c.head_config.num_keypoints,
              (long long)model.parameter_count());
  std::printf("  h %.0e, relative error |a - n| / max(|a|, |n|, %.2e), PASS at <= %.0e; %lld entries per group\n",
              opt.eps, opt.floor, opt.rtol, (long long)opt.max_elements);
  const bool passed = print_results(gradcheck(loss, groups, opt), opt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s + %s: %s (%.1f s)\n\n", backbone.c_str(), head.c_str(), passed ? "PASS" : "FAIL", seconds);
  return passed;
}

bool check_op(const GradcheckCase& c, const GradcheckOptions& opt, uint64_t seed) {
  std::printf("%s: %s\n", c.name.c_str(), c.description.c_str());
  Generator gen(seed);
  const OpCheck check = c.build(gen);
  return print_results(gradcheck_op(c.name, check.f, check.inputs, opt, check.names), opt);
}

// "all" -> every name, else the comma-separated names given.
std::vector<std::string> names_or_all(const std::string& given, const std::vector<std::string>& all) {
  if (given == "all") return all;
  std::vector<std::string> names;
  std::stringstream list(given);
  for (std::string name; std::getline(list, name, ',');) names.push_back(name);
  return names;
}

}  // namespace

int gradcheck_main(int argc, char** argv) {
  std::string model_name, head = "sar", op, input;
  ModelCheckSettings s;
  int samples = 8, seed = 1;
  double eps = 1e-6, rtol = -1;
  bool list = false;
  ArgParser args("sar gradcheck", kUsage);
  args.value("--model", &model_name);
  args.value("--head", &head);
  args.value("--op", &op);
  args.value("--input", &input);
  args.value("--samples", &samples, 1);
  args.value("--deconvs", &s.deconvs, 0);
  args.value("--deconv-channels", &s.deconv_channels, 1);
  args.value("--keypoints", &s.keypoints, 1);
  args.value("--seed", &seed, 0);
  args.positive("--eps", &eps);
  args.positive("--rtol", &rtol);
  args.flag("--list", &list);
  if (!args.parse(argc, argv)) return 0;
  if (list) {
    for (const GradcheckCase& c : gradcheck_catalog()) std::printf("%-36s %s\n", c.name.c_str(), c.description.c_str());
    return 0;
  }
  SAR_CHECK(!model_name.empty() || !op.empty(), "sar gradcheck: give --model (and --head) or --op; see sar gradcheck --help");
  SAR_CHECK(input.empty() || (std::sscanf(input.c_str(), "%dx%d", &s.input_h, &s.input_w) == 2 && s.input_h > 0 &&
                               s.input_w > 0),
            "sar gradcheck --input: expected HxW, two sizes > 0, e.g. 64x48, got '", input, "'");
  s.seed = uint64_t(seed);

  int failures = 0, checks = 0;
  if (!op.empty()) {
    GradcheckOptions opt;
    opt.eps = eps;
    opt.rtol = rtol > 0 ? rtol : 1e-6;
    opt.skip_kinks = true;
    std::vector<std::string> names;
    for (const GradcheckCase& c : gradcheck_catalog()) names.push_back(c.name);
    for (const std::string& name : names_or_all(op, names)) {
      failures += !check_op(find_gradcheck_case(name), opt, s.seed);
      ++checks;
    }
  }
  if (!model_name.empty()) {
    s.options.eps = eps;
    s.options.rtol = rtol > 0 ? rtol : 1e-5;
    s.options.max_elements = samples;
    s.options.skip_kinks = true;
    for (const std::string& backbone : names_or_all(model_name, backbone_names()))
      for (const std::string& h : names_or_all(head, head_names())) {
        failures += !check_model(backbone, h, s);
        ++checks;
      }
  }
  std::printf("sar gradcheck: %d of %d checks passed%s\n", checks - failures, checks, failures ? " (FAIL)" : "");
  return failures ? 1 : 0;
}

}  // namespace sar
