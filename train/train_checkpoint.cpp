// train_checkpoint.cpp: see train_checkpoint.h.
#include "train/train_checkpoint.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "core/ops/reduce.h"
#include "core/safetensors.h"

namespace sar {

namespace {

constexpr const char* kFormat = "sar-train-checkpoint-1";
constexpr const char* kModelPrefix = "model.";
constexpr const char* kOptimPrefix = "optim.";

bool all_finite(const Tensor& host) {
  if (!is_floating(host.dtype()) || host.numel() == 0) return true;
  return std::isfinite(sum(host.to(DType::F64)).item());  // one NaN or Inf makes the sum non-finite
}

// The tensors whose names start with `prefix`, the prefix removed.
NamedTensors with_prefix(const NamedTensors& all, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [name, t] : all)
    if (name.compare(0, prefix.size(), prefix) == 0) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

const std::string& field(const std::map<std::string, std::string>& metadata, const std::string& path,
                         const char* key) {
  auto it = metadata.find(key);
  SAR_CHECK(it != metadata.end(), path, ": training checkpoint without metadata '", key, "'");
  return it->second;
}

NamedTensors load_checked(const std::string& path, std::map<std::string, std::string>* metadata) {
  NamedTensors all = load_safetensors(path, metadata);
  auto format = metadata->find("format");
  SAR_CHECK(format != metadata->end() && format->second == kFormat, path,
            ": not a training checkpoint (metadata 'format' is not '", kFormat,
            "'); a weights file from save_model loads with sar eval / sar infer --checkpoint");
  return all;
}

// %.17g: a double that reads back to itself.
std::string exact(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", x);
  return text;
}

}  // namespace

void save_train_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                           const TrainProgress& progress, const std::map<std::string, std::string>& about) {
  // Each tensor copied to the host once (a no-op for the CPU), checked there and written from
  // there: float64 sums do not run on CUDA, and the file is written from host memory anyway.
  NamedTensors all;
  auto add = [&](const char* prefix, const char* owner, const std::string& name, const Tensor& t) {
    Tensor host = t.to(Device::CPU);
    SAR_CHECK(all_finite(host), path, ": not written: ", owner, " tensor '", name, "' holds NaN or Inf");
    all.emplace_back(prefix + name, host);
  };
  for (auto& [name, t] : model.state()) add(kModelPrefix, "model", name, t);
  for (auto& [name, t] : optimizer.state()) add(kOptimPrefix, "optimizer", name, t);
  std::map<std::string, std::string> metadata{
      {"format", kFormat},
      {"step", std::to_string(progress.step)},
      {"epoch", std::to_string(progress.epoch)},
      {"batch", std::to_string(progress.batch)},
      {"best_metric", exact(progress.best_metric)},
      {"best_epoch", std::to_string(progress.best_epoch)},
      {"pending_eval", std::to_string(progress.pending_eval)},
      {"threads", std::to_string(progress.threads)},
      {"deterministic", progress.deterministic ? "1" : "0"},
  };
  metadata.insert(about.begin(), about.end());
  save_safetensors(path, all, metadata);
}

LoadedCheckpoint load_train_checkpoint(const std::string& path, Module& model, Optimizer& optimizer) {
  std::map<std::string, std::string> metadata;
  const NamedTensors all = load_checked(path, &metadata);
  try {
    model.load_state(with_prefix(all, kModelPrefix));
    optimizer.load_state(with_prefix(all, kOptimPrefix));
  } catch (const Error& e) {
    SAR_THROW(path, ": does not fit this run: ", e.message());
  }
  LoadedCheckpoint out;
  TrainProgress& p = out.progress;
  try {
    p.step = std::stoll(field(metadata, path, "step"));
    p.epoch = std::stoi(field(metadata, path, "epoch"));
    p.batch = std::stoll(field(metadata, path, "batch"));
    p.best_metric = std::stod(field(metadata, path, "best_metric"));
    p.best_epoch = std::stoi(field(metadata, path, "best_epoch"));
    p.threads = std::stoi(field(metadata, path, "threads"));
    const auto pending = metadata.find("pending_eval");  // optional: files written before it existed lack it
    if (pending != metadata.end()) p.pending_eval = std::stoi(pending->second);
    const auto deterministic = metadata.find("deterministic");  // optional, as pending_eval
    p.deterministic = deterministic != metadata.end() && deterministic->second == "1";
  } catch (const std::logic_error&) {  // stoll & co: not a number
    SAR_THROW(path, ": training checkpoint metadata is not numeric where it must be");
  }
  out.config_json = field(metadata, path, "config");
  return out;
}

NamedTensors checkpoint_model_state(const std::string& path) {
  std::map<std::string, std::string> metadata;
  NamedTensors all = load_safetensors(path, &metadata);
  auto format = metadata.find("format");
  if (format == metadata.end() || format->second != kFormat) return all;  // a save_model file
  return with_prefix(all, kModelPrefix);
}

}  // namespace sar
