// command_setup.h: what the commands share before their work: find the run's config (given, or
// the one a checkpoint carries), pick the device and build the trained model on it (sar eval,
// sar infer), and check outputs and run folders before anything is computed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/pose_model.h"
#include "train/run_config.h"

namespace sar {

// The config of --config (with the overrides), or, without one, the config stored in the
// checkpoint's metadata (training checkpoints and best.safetensors carry it). Throws naming the
// command when neither exists.
RunConfig command_config(const std::string& command, const std::string& config_path,
                         const std::string& checkpoint_path, const std::vector<std::string>& overrides);

// The device --device asks for (auto, cpu or cuda), named on stderr with why (stdout keeps the
// results, for --json): "device: cpu (auto: no CUDA device answered (...))".
Device command_device(const std::string& spec);

// With --config and a checkpoint that carries its own config: a note on stderr where the input
// sizes differ (a model trained at one size runs at another without failing, and scores worse).
void note_input_size(const std::string& command, const RunConfig& config, const std::string& config_path,
                     const std::string& checkpoint_path);

// The model of `config` for the data set `meta`, its weights from `checkpoint` (a training
// checkpoint or a save_model file; strict: a mismatch is refused naming the tensor), on
// `device`, eval mode. A checkpoint that names its keypoints (sar train writes them) must name
// meta's, in order.
std::unique_ptr<PoseModel> trained_model(const RunConfig& config, const DatasetMeta& meta,
                                         const std::string& checkpoint, Device device);

// Refuses, before any work, an output path that cannot be written or would destroy an input:
// "COMMAND --out OUT: ..." an existing folder, a missing or unwritable parent folder, or the
// same file as one of `inputs` (e.g. --out given the checkpoint's own path).
void check_output_path(const std::string& command, const std::string& out, const std::vector<std::string>& inputs);
// The same for an image output, whose name must also end in .png (the format written).
void check_png_output_path(const std::string& command, const std::string& out, const std::vector<std::string>& inputs);

// Throws "<what> DIR: does not exist" (or "is not a folder", or "is not a run folder: it has no
// config.json") unless DIR is a folder that sar train --out wrote.
void check_run_folder(const std::string& what, const std::string& dir);

}  // namespace sar
