// run_config.h: everything a training or evaluation run needs, read from a json config file
// (configs/*.json) with `--set key=value` overrides, and the objects built from it.
//
//   {
//     "description": "what this config is for (free text, kept with the rest)",
//     "seed": 0,
//     "model": {"backbone": "resnet18", "deconv_layers": 3, "deconv_channels": 128, "head": "sar",
//               "input": [128, 96], "sar_heatmap": true, "offset_weight": 1, "offset_radius": 2,
//               "pretrained": ""},
//     "data":  {"dataset": "synthetic", "root": "", "metric": "coco", "workers": 2,
//               "train": {"ann": "", "images": ""}, "val": {"ann": "", "images": "", "dets": "", "det_min_score": 0},
//               "synthetic": {"train_samples": 2000, "val_samples": 200, "image_size": [256, 256]},
//               "pck_alpha": 0.2, "pck_norm": "torso",
//               "augment": {"flip_prob": 0.5, "half_body_prob": 0.3, ..., "padding": 1.25, "sigma": 2}},
//     "train": {"epochs": 210, "batch_size": 32, ...},
//     "eval":  {"flip": true, "batch_size": 64, ...}
//   }
//
// Rules (what a user who mistypes a key deserves):
// - Every key is optional: a missing key keeps the default below, so a config holds only what
//   it changes. An unknown key is an error naming the file and the key path, e.g.
//   "configs/x.json: train.lr_rate is not a config key (train has: epochs, batch_size, ...)".
// - A value of the wrong JSON type is an error naming the file, the key and both types;
//   numbers are checked for range where a range exists (batch_size >= 1, lr > 0, ...), names
//   against their lists (model.backbone from backbone_names(), train.optimizer adam | sgd, ...),
//   and model.input's sides must be multiples of 32 (every backbone's stride; other sizes give
//   feature maps that are not input / stride). An integer key also takes an integral number (1e4).
// - `--set a.b.c=value` (apply_override) sets one key before the file's values are checked:
//   value is parsed as JSON when it parses (1e-3, true, [128,96], "x"), else taken as a string
//   (--set data.root=/data/coco); a string key always takes the text as it is unless it is a
//   quoted JSON string. The key must exist in the defaults (a leaf, not a section), and the
//   value's type and range are checked at once, so the message names the --set.
// - run_config_to_json() writes every key (defaults included), so the config copied into a run folder or a
//   checkpoint is complete and reads back to an equal RunConfig.
// - Relative data paths (ann, images, dets) are relative to data.root when it is set, else to
//   the current directory; model.pretrained likewise to the current directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/loader.h"
#include "datasets/synthetic.h"
#include "datasets/topdown.h"
#include "models/pose_model.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace sar {

struct SplitConfig {
  std::string ann;            // COCO-format annotation json (or MPII json for dataset "mpii")
  std::string images;         // the image folder its file names are relative to
  std::string dets;           // val only: detector results json; empty = ground-truth boxes
  double det_min_score = 0;   // val only: detections below are dropped
};

struct DataConfig {
  std::string dataset = "synthetic";  // synthetic | coco | wholebody | mpii
  std::string root;                   // prefix of relative ann / images / dets paths
  std::string metric = "coco";        // coco | pck | pckh: the metric of evaluation and best checkpoint
  double pck_alpha = 0.2;             // pck: threshold, fraction of the scale
  std::string pck_norm = "torso";     // pck: torso | bbox
  int workers = 2;                    // loader threads
  bool skip_bad = true;               // replace unreadable images (datasets/loader.h)
  SplitConfig train, val;
  // dataset "synthetic": train samples from seed `seed`, val from seed + 1 (disjoint figures)
  size_t synthetic_train_samples = 2000, synthetic_val_samples = 200;  // "synthetic": {"train_samples", "val_samples",
  int synthetic_image_h = 256, synthetic_image_w = 256;                //   "image_size": [h, w]}
  // "augment": the training crop's TopdownConfig fields flip_prob, half_body_prob,
  // half_body_min_keypoints, shift_factor, shift_prob, scale_factor, scale_min, scale_max,
  // scale_prob, rotate_factor, rotate_prob, padding, sigma (same names). The crop size comes
  // from model.input, the map size from the model's stride.
  TopdownConfig augment;
};

struct TrainConfig {
  int epochs = 210;
  int batch_size = 32;
  int accumulate_batches = 1;         // batches whose gradients one optimizer step averages: the official
                                      //   2 GPUs x 96 on one device is batch_size 96, accumulate_batches 2
  int64_t max_steps = 0;              // > 0: stop after this many optimizer steps (tests, quick runs)
  OptimizerConfig optimizer;          // keys train.optimizer (its name: adam | sgd), train.beta1, beta2,
                                      //   eps (adam), train.momentum (sgd), train.weight_decay
  LrScheduleConfig schedule;          // keys train.lr, train.schedule (its kind: step | cosine),
                                      //   train.milestones, gamma, warmup_iters, warmup_factor; the
                                      //   trainer sets its epochs (cosine's period) to train.epochs
  double clip_grad_norm = 0;          // > 0: clip the global gradient norm to this
  int eval_every = 1;                 // evaluate every N epochs (and after the last)
  int checkpoint_every_steps = 0;     // > 0: also checkpoint every N steps (else at epoch ends)
  int log_every = 20;                 // steps between CSV rows (the run's last step has one too); batches
                                      // between progress lines off a terminal
};

struct EvalConfig {
  bool flip = true;                   // flip test (SAR_SPEC.md §3)
  int batch_size = 64;
  double rescore_threshold = 0.2;     // keypoint scores above this enter the instance score
  double nms_threshold = 0.9;         // OKS-NMS per image; <= 0 turns it off
  int max_images = 0;                 // > 0: evaluate only the first N val people (quick checks
                                      // during training; sar eval takes the whole split unless set)
};

struct RunConfig {
  std::string description;            // free text for the reader; no effect on the run
  uint64_t seed = 0;
  ModelConfig model;                  // "model": backbone, deconv_layers, deconv_channels, head,
                                      //   "input": [h, w], sar_heatmap, offset_weight, offset_radius;
                                      //   keypoints come from the data set
  std::string pretrained;             // "model.pretrained": weights loaded by name, partially (backbone)
  DataConfig data;
  TrainConfig train;
  EvalConfig eval;
};

// Parses a whole config after its --set overrides (apply_override, below); unknown keys and wrong
// types are refused, named by `source` or the override; keys that disagree with each other, by both.
RunConfig run_config_from_json(nlohmann::json json, const std::string& source,
                               const std::vector<std::string>& overrides = {});
nlohmann::json run_config_to_json(const RunConfig& config);

// Sets one dotted key of `json` from "a.b=value" (see the rules above). Throws naming the
// override when the key is not a config key or the text has no '='.
void apply_override(nlohmann::json* json, const std::string& assignment);

// Reads the file, applies the overrides in order, parses. Throws naming the file when it is
// missing or not JSON.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides = {});

// --- what a run builds from its config ---

enum class Split { Train, Val };

// The split's samples: synthetic figures, or the annotation file's people (val with data.val.dets:
// the detector's boxes). Paths resolved against data.root. Throws naming a missing file.
std::shared_ptr<SampleSource> open_split(const RunConfig& config, Split split);

// The model for a data set with `num_keypoints` keypoints (model.input sets head_config's size).
// HRNet backbones get deconv_layers 0 whatever the config says (they end at stride 4), as `sar info`.
ModelConfig model_config(const RunConfig& config, int num_keypoints);

// The crop pipeline for `split`: data.augment for training, no augmentation for val; input size
// from model.input; map size = input / stride; heatmaps when the head asks for them.
TopdownConfig crop_config(const RunConfig& config, Split split, int feature_stride, bool with_heatmaps);

// The path a data file of the config names, resolved against data.root (datasets' image_file:
// an absolute path, or any path while data.root is empty, stays as it is).
std::string data_path(const RunConfig& config, const std::string& path);

}  // namespace sar
