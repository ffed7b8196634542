// train_command.cpp: `sar train` (train/run_commands.h): options -> RunConfig -> train_run.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/arg_parser.h"
#include "train/command_setup.h"
#include "train/run_commands.h"
#include "train/trainer.h"

namespace sar {

namespace {

const char* kTrainUsage =
    "usage: sar train --config FILE.json --out RUN_DIR [--set key=value ...] [--device auto|cpu|cuda]\n"
    "                 [--seed N] [--deterministic] [--tf32]\n"
    "       sar train --resume RUN_DIR [--set key=value ...] [--device ...] [--deterministic] [--tf32]\n"
    "\n"
    "  Trains the config's model on its data set and writes RUN_DIR: config.json (every key),\n"
    "  train_log.csv, eval_log.csv, curves.png, predictions.png, confidence_maps.png (the heads\n"
    "  with maps), val_results.json, report.md, checkpoints/last.safetensors (resume) and\n"
    "  checkpoints/best.safetensors (the weights of the best evaluation). A RUN_DIR that holds\n"
    "  another run's checkpoints is refused: continue that run with --resume, or choose another.\n"
    "  --set key=value   overrides one config key, e.g. --set train.lr=1e-3 --set model.input=[128,96]\n"
    "                    --set data.root=/data/coco (see configs/ and train/run_config.h for the keys)\n"
    "  --seed N          the same as --set seed=N: model init, data order and augmentation\n"
    "  --resume RUN_DIR  continues the run from RUN_DIR/checkpoints/last.safetensors with its\n"
    "                    config.json; on the CPU with the same thread count the result is\n"
    "                    bit-identical to a run that was never stopped\n"
    "  --deterministic   deterministic cuDNN algorithms only, and a resume with another CPU thread\n"
    "                    count is refused (float sums depend on it)\n"
    "  --tf32            on a GPU (Ampere or later): convolutions and matrix products round their\n"
    "                    inputs to TF32 (~1e-3 relative error per product) and run on tensor cores,\n"
    "                    as PyTorch's convolutions do by default; without it, float32 throughout\n"
    "  --stop-at-step N  stops right after step N's checkpoint, as a killed run would (tests resume)\n"
    "  Progress: a redrawn line on a terminal, a log line every train.log_every batches otherwise.\n"
    "  Ctrl-C or SIGTERM: stops after the step under way and saves a checkpoint to resume from\n"
    "  (exit status 130 or 143); a second one quits at once.\n";

}  // namespace

int train_main(int argc, char** argv) {
  std::string config_path, resume_dir;
  std::vector<std::string> overrides;
  TrainOptions options;
  int seed = -1, stop_at_step = 0;
  ArgParser args("sar train", kTrainUsage);
  args.value("--config", &config_path);
  args.value("--out", &options.out_dir);
  args.value("--resume", &resume_dir);
  args.repeated("--set", &overrides);
  args.value("--device", &options.device);
  args.value("--seed", &seed, 0);
  args.flag("--deterministic", &options.deterministic);
  args.flag("--tf32", &options.tf32);
  args.value("--stop-at-step", &stop_at_step, 1);
  if (!args.parse(argc, argv)) return 0;
  options.stop_at_step = stop_at_step;
  options.progress_tty = ::isatty(2) == 1;
  if (seed >= 0) overrides.push_back("seed=" + std::to_string(seed));

  RunConfig config;
  if (!resume_dir.empty()) {
    SAR_CHECK(config_path.empty() && options.out_dir.empty(),
              "sar train --resume: the run folder holds the config and is the output; drop --config and --out");
    options.out_dir = resume_dir;
    options.resume = true;
    check_run_folder("sar train --resume", resume_dir);
    const std::string saved_path = resume_dir + "/config.json";
    config = load_run_config(saved_path, overrides);
    // A resume continues at a batch of its epoch: what decides the batches must stay as it was
    // (the same values again are fine: make train passes its ARGS to every sitting).
    const nlohmann::json saved = run_config_to_json(load_run_config(saved_path)), now = run_config_to_json(config);
    for (const char* key : {"seed", "train.batch_size", "train.accumulate_batches", "data.dataset", "data.synthetic"}) {
      std::string pointer = std::string("/") + key;
      std::replace(pointer.begin(), pointer.end(), '.', '/');
      const nlohmann::json& was = saved.at(nlohmann::json::json_pointer(pointer));
      const nlohmann::json& is = now.at(nlohmann::json::json_pointer(pointer));
      SAR_CHECK(was == is, "sar train --resume: ", key, " would change from ", was.dump(), " to ", is.dump(),
                ", and with it the samples of the resumed run's batches; start a new run for that");
    }
  } else {
    args.require("--config");
    args.require("--out");
    config = load_run_config(config_path, overrides);
  }
  const TrainSummary s = train_run(config, options);
  if (s.metric.empty() || s.stopped_by) {
    std::printf("stopped after %lld steps; continue with: sar train --resume %s\n", (long long)s.steps,
                options.out_dir.c_str());
    return s.stopped_by ? 128 + s.stopped_by : 0;  // a shell's code for a process a signal ended: 130, 143
  }
  const std::string resumed = s.resumed_at > 0 ? cat(" (resumed at step ", s.resumed_at, ")") : "";
  std::printf("trained %lld step%s%s in %.0f s: final %s %.4f, best %.4f (epoch %d)\n", (long long)s.steps,
              s.steps == 1 ? "" : "s", resumed.c_str(), s.seconds, s.metric.c_str(), s.final_metric, s.best_metric,
              s.best_epoch);
  std::printf("run folder: %s (report.md, %s)\n", options.out_dir.c_str(), s.pngs.c_str());
  return 0;
}

}  // namespace sar
