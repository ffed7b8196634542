// train_checkpoint.h: one safetensors file that holds everything a run needs to continue exactly
// where it stopped (issue 9's resume contract):
//
//   tensors   model.<name>   every parameter and buffer of the model (Module::state)
//             optim.<name>   the optimizer's state (Adam's exp_avg / exp_avg_sq / step, SGD's buffer)
//   metadata  format         "sar-train-checkpoint-1"
//             step, epoch, batch     optimizer steps done; the epoch and the batch within it that
//                                    come next (the loader rebuilds any batch from (seed, epoch,
//                                    position), so no random state needs storing)
//             best_metric, best_epoch  the best evaluation so far (-1 before any)
//             pending_eval           the epoch whose evaluation was under way when the file was
//                                    written (-1: none); a run killed during that evaluation
//                                    does it first when resumed (absent in older files: -1)
//             threads                the CPU thread count (float sums depend on it: a bit-identical
//                                    resume needs the same)
//             deterministic          "1" for a run started with --deterministic: its resumes keep
//                                    the rule (absent in older files: "0")
//             config                 the run's complete config as JSON
// Written atomically (core/atomic_write.h via save_safetensors): a crash leaves the previous file.
#pragma once

#include <map>
#include <string>

#include "layers/module.h"
#include "train/optimizer.h"

namespace sar {

struct TrainProgress {
  int64_t step = 0;         // optimizer steps done
  int epoch = 0;            // the epoch in progress (or next)
  int64_t batch = 0;        // the next batch of that epoch
  double best_metric = -1;  // the best evaluation metric so far
  int best_epoch = -1;
  int pending_eval = -1;    // the epoch (0-based) whose evaluation is due first, -1 if none
  int threads = 1;
  bool deterministic = false;  // the run was started with --deterministic
};

// Refuses (before writing anything) a model or optimizer state holding NaN or Inf, naming the
// first such tensor: a checkpoint with NaNs is never written. about: what describes the run in
// both of its files' metadata (train/trainer.cpp: its "config" and "keypoint_names").
void save_train_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                           const TrainProgress& progress, const std::map<std::string, std::string>& about);

struct LoadedCheckpoint {
  TrainProgress progress;
  std::string config_json;
};

// Loads into an already built model and optimizer. Refuses, naming the file: a file that is not
// a training checkpoint (e.g. weights only), a model tensor whose name or shape differs (the
// first ones named, as Module::load_state says), an optimizer state that does not match.
LoadedCheckpoint load_train_checkpoint(const std::string& path, Module& model, Optimizer& optimizer);

// The model.* tensors of a training checkpoint as a plain weights state (for `sar eval` and
// `sar infer`, which accept either a training checkpoint or a save_model file).
NamedTensors checkpoint_model_state(const std::string& path);

}  // namespace sar
