// eval_command.cpp: `sar eval` (train/run_commands.h): a trained model over a data set's val
// split, its COCO results written and scored with the data set's metric (train/evaluate.h).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/arg_parser.h"
#include "train/command_setup.h"
#include "train/evaluate.h"
#include "train/run_commands.h"

namespace sar {

namespace {

const char* kEvalUsage =
    "usage: sar eval [--config FILE.json] --checkpoint CK.safetensors --out RES.json\n"
    "                [--ann FILE --images DIR] [--dets FILE [--det-min-score S]] [--flip|--no-flip]\n"
    "                [--set key=value ...]\n"
    "                [--device auto|cpu|cuda] [--json]\n"
    "\n"
    "  Runs the model over the config's validation split (top-down: each person's box cropped,\n"
    "  flip test on by default, keypoints mapped back to the image; rescoring and OKS-NMS),\n"
    "  writes the COCO results json RES.json and prints the data set's metric (data.metric):\n"
    "  coco: pycocotools' 10 AP/AR numbers; pck: PCK@alpha and the mean pixel error.\n"
    "  --checkpoint  a training checkpoint (RUN/checkpoints/last.safetensors) or a weights file\n"
    "                (RUN/checkpoints/best.safetensors); both carry their config, so --config\n"
    "                may be left out\n"
    "  --ann, --images  another annotation file and image folder (data.val.ann, data.val.images)\n"
    "  --dets FILE   person boxes from a detector's results json instead of the ground-truth boxes\n"
    "  --det-min-score S  drops detections scoring below S (default 0: all, as the official recipe)\n"
    "  --set         a config key, e.g. --set eval.max_images=100 (default here 0: the whole split)\n"
    "  --json        one JSON object with every number on the last line\n";

// A path as the user typed it, made absolute so data.root does not apply to it.
std::string from_cwd(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  SAR_CHECK(::getcwd(cwd, sizeof cwd), "sar eval: cannot read the current directory");
  return std::string(cwd) + "/" + path;
}

}  // namespace

int eval_main(int argc, char** argv) {
  std::string config_path, checkpoint, out, ann, images, dets, device_spec = "auto";
  double det_min_score = 0;
  std::vector<std::string> overrides;
  bool flip = true, as_json = false;
  ArgParser args("sar eval", kEvalUsage);
  args.value("--config", &config_path);
  args.value("--checkpoint", &checkpoint);
  args.value("--out", &out);
  args.value("--ann", &ann);
  args.value("--images", &images);
  args.value("--dets", &dets);
  args.value("--det-min-score", &det_min_score);  // a number, refused as --det-min-score's
  args.toggle("flip", &flip);
  args.repeated("--set", &overrides);
  args.value("--device", &device_spec);
  args.flag("--json", &as_json);
  if (!args.parse(argc, argv)) return 0;
  args.require("--checkpoint");
  args.require("--out");
  // The whole val split, whatever the run's quick evaluations used (a --set given later wins).
  overrides.insert(overrides.begin(), "eval.max_images=0");
  SAR_CHECK(ann.empty() == images.empty(), "sar eval: --ann and --images go together");
  check_output_path("sar eval", out, {checkpoint, config_path, ann, dets});
  const bool min_score_given = args.given("--det-min-score");
  // The run's own config first: the files below only make sense for a data set that reads files.
  const bool reads_files = command_config("sar eval", config_path, checkpoint, overrides).data.dataset != "synthetic";
  SAR_CHECK(reads_files || (ann.empty() && dets.empty()), "sar eval ", ann.empty() ? "--dets" : "--ann",
            ": this run's data set is synthetic, which reads no files; for a COCO-format file add ",
            "--set data.dataset=coco (the file needs the model's keypoints)");
  if (!ann.empty()) {
    overrides.push_back("data.val.ann=" + from_cwd(ann));
    overrides.push_back("data.val.images=" + from_cwd(images));
  }
  if (!dets.empty()) overrides.push_back("data.val.dets=" + from_cwd(dets));
  if (min_score_given)  // every digit: JSON writes the shortest text that reads back the same double
    overrides.push_back("data.val.det_min_score=" + nlohmann::json(det_min_score).dump());
  if (args.given("--flip") || args.given("--no-flip")) overrides.push_back(flip ? "eval.flip=true" : "eval.flip=false");

  const RunConfig config = command_config("sar eval", config_path, checkpoint, overrides);
  note_input_size("sar eval", config, config_path, checkpoint);
  SAR_CHECK(!min_score_given || !config.data.val.dets.empty(),
            "sar eval --det-min-score: filters detections, and there are none (give --dets FILE)");
  const Device device = command_device(device_spec);
  Evaluator evaluator(config, "");
  auto model = trained_model(config, evaluator.source().meta(), checkpoint, device);
  const Evaluation e = evaluator.run(*model, device, out);
  std::fputs(e.table.c_str(), stdout);
  std::printf("results: %s (%zu people, flip test %s)\n", out.c_str(), e.results,
              config.eval.flip ? "on" : "off");
  if (as_json) {
    for (size_t i = 0; i < e.numbers.size(); ++i)
      std::printf("%s\"%s\": %.17g", i ? ", " : "{", e.numbers[i].first.c_str(), e.numbers[i].second);
    std::printf("}\n");
  }
  return 0;
}

}  // namespace sar
