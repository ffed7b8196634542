// trainer.h: `sar train`: a whole training run from a RunConfig into a run folder.
//
//   RUN/config.json          the complete config (every key), as the run used it
//   RUN/train_log.csv        step, epoch, lr, loss, grad_norm (every train.log_every steps and the last)
//   RUN/eval_log.csv         step, epoch and the metric's numbers after each evaluation
//                            (epochs counted from 1 in both: a step of the first epoch, and the
//                            evaluation after it, say 1)
//   RUN/curves.png           loss and metric curves, redrawn after each evaluation
//   RUN/checkpoints/last.safetensors   everything needed to resume (train/train_checkpoint.h)
//   RUN/checkpoints/best.safetensors   the weights of the best evaluation so far (save_model format)
//   RUN/val_results.json     the last evaluation's COCO results (and val_gt.json for synthetic data)
//   RUN/predictions.png      val crops with the predicted skeleton and keypoint scores
//   RUN/confidence_maps.png  the first val person's confidence map per keypoint (paper Fig. 3)
//   RUN/report.md            what ran, how long, the final and best numbers, the files above
//
// One step: lr from the schedule (train/lr_schedule.h) -> model.loss on the batch (BN in
// training mode) -> backward -> guard (a non-finite loss or gradient stops the run naming the
// step and the first bad parameter; nothing is applied or saved) -> optional gradient clip ->
// optimizer step. Resuming (options.resume) loads RUN/checkpoints/last.safetensors and continues
// at the batch after it; CPU runs are bit-identical to an uninterrupted run with the same thread
// count (the loader rebuilds every batch from (seed, epoch, position)). An epoch's checkpoint is
// written before its evaluation too, so a run killed during an evaluation keeps the epoch and
// redoes the evaluation when resumed. Ctrl-C or SIGTERM stops
// the run after the step under way, with a checkpoint to resume from (train/stop_signals.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/run_config.h"

namespace sar {

struct TrainOptions {
  std::string out_dir;           // the run folder (created)
  bool resume = false;           // continue the run in out_dir
  std::string device = "auto";   // auto | cpu | cuda
  bool deterministic = false;    // cuDNN: deterministic algorithms only; resume: same thread count required
  bool tf32 = false;             // CUDA: TF32 tensor-core math in convs and matmuls (core/device.h)
  int64_t stop_at_step = 0;      // > 0: stop right after step N's checkpoint, as a killed run would (tests)
  bool progress_tty = false;     // redraw one progress line (stderr is a terminal)
  bool quiet = false;            // no progress, no evaluation tables (tests)
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t resumed_at = 0;        // the step a resumed run started from (0: a fresh run)
  std::string metric;            // "AP", "PCK"
  double final_metric = -1, best_metric = -1;
  int best_epoch = -1;
  double seconds = 0;
  int stopped_by = 0;            // the signal (SIGINT, SIGTERM) that stopped the run early, after its checkpoint
  std::string pngs;              // the pictures written at the end: "curves.png, predictions.png"
                                 // and, for heads with maps, ", confidence_maps.png"
};

TrainSummary train_run(const RunConfig& config, const TrainOptions& options);

}  // namespace sar
