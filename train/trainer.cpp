// trainer.cpp: see trainer.h.
#include "train/trainer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/atomic_write.h"
#include "core/caching_allocator.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "core/tape.h"
#include "models/checkpoint_io.h"
#include "train/csv_log.h"
#include "train/evaluate.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/progress.h"
#include "train/run_pngs.h"
#include "train/stop_signals.h"
#include "train/train_checkpoint.h"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace sar {

namespace {

int cpu_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Creates `dir` (and its parents) and proves it writable, so a bad --out fails before any work.
void make_run_dir(const std::string& dir) {
  SAR_CHECK(!dir.empty(), "sar train: --out RUN_DIR is required");
  for (size_t i = 1; i <= dir.size(); ++i)
    if (i == dir.size() || dir[i] == '/') {
      const std::string part = dir.substr(0, i);
      if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) SAR_THROW(part, ": cannot create the folder: ", std::strerror(errno));
    }
  SAR_CHECK(std::filesystem::is_directory(dir), dir, ": is a file, not a folder; give --out a folder for the run");
  const std::string probe = dir + "/.write_test";
  write_text_atomically(probe, "ok\n");
  std::remove(probe.c_str());
}

// A run folder resumes from any working directory: the relative data.root (or, without one, the
// working directory that relative data paths meant) and model.pretrained become absolute.
void anchor_paths(RunConfig* c) {
  const auto absolute = [](const std::string& path) {
    std::string out = (std::filesystem::current_path() / path).lexically_normal().string();
    if (out.size() > 1 && out.back() == '/') out.pop_back();  // "dir/." normalizes to "dir/"
    return out;
  };
  if (c->data.dataset != "synthetic" && (c->data.root.empty() || c->data.root[0] != '/'))
    c->data.root = absolute(c->data.root);
  if (!c->pretrained.empty() && c->pretrained[0] != '/') c->pretrained = absolute(c->pretrained);
}

// Everything one run holds, built from the config in the order a reader expects.
class Run {
 public:
  Run(const RunConfig& config, const TrainOptions& options);
  TrainSummary train();

 private:
  // One batch forward and backward, its gradients added to the parameters' (train.accumulate_batches
  // of them make a step); then the step itself: guard, optional clip, optimizer, log row.
  void add_gradients(const Batch& batch, int epoch);
  void optimizer_step(int epoch);
  bool at_max_steps() const { return config_.train.max_steps > 0 && state_.step >= config_.train.max_steps; }
  // An epoch's batches, a whole number of steps (a last, incomplete step is dropped, as the
  // loader drops an incomplete batch).
  int64_t batches_per_epoch() const {
    const int64_t per_step = config_.train.accumulate_batches;
    return int64_t(loader_->batches_per_epoch()) / per_step * per_step;
  }
  void evaluate_and_plot(int epoch);
  void evaluate_and_save(int epoch);
  void save_checkpoint();
  TrainSummary stopped_early(int signal);
  void check_disk_space() const;
  void write_report(const TrainSummary& summary) const;
  std::string path(const std::string& name) const { return options_.out_dir + "/" + name; }
  std::string device_label() const {  // "cpu", "cuda", "cuda (TF32 math)"
    return cat(device_name(device_), device_ == Device::CUDA && options_.tf32 ? " (TF32 math)" : "");
  }

  RunConfig config_;
  TrainOptions options_;
  Device device_;
  std::string config_json_;
  std::map<std::string, std::string> about_;  // both checkpoint files' description of the run
  std::shared_ptr<SampleSource> train_source_;
  std::unique_ptr<PoseModel> model_;
  std::unique_ptr<Optimizer> optimizer_;
  LrScheduleConfig schedule_;  // train.schedule, its epochs those of the run
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<CsvLog> train_log_, eval_log_;
  ProgressLine progress_line_;
  TrainProgress state_;
  Evaluation last_eval_;
  int64_t resumed_at_ = -1;  // the step the run resumed at (-1: a fresh run): logs keep rows up to it
  bool resumed_mid_eval_ = false;  // the checkpoint was written before an evaluation the run died in
  double loss_ = 0, lr_ = 0;  // the last batch's loss, the lr of the step under way
  double step_loss_ = 0;      // the mean loss of the step's batches so far
};

Run::Run(const RunConfig& config, const TrainOptions& options)
    : config_(config), options_(options), progress_line_(options.progress_tty, config.train.log_every, options.quiet) {
  if (!options_.resume) {
    // A fresh run would overwrite another's checkpoints: days of work lost to a reused --out.
    for (const char* file : {"checkpoints/last.safetensors", "checkpoints/best.safetensors"})
      SAR_CHECK(::access(path(file).c_str(), F_OK) != 0, options_.out_dir, " already holds a training run (", file,
                "): continue it with sar train --resume ", options_.out_dir,
                ", or choose another --out (remove the folder to start it over)");
    anchor_paths(&config_);
  }
  make_run_dir(options_.out_dir);
  make_run_dir(path("checkpoints"));
  const int abandoned =
      remove_abandoned_temporaries(options_.out_dir) + remove_abandoned_temporaries(path("checkpoints"));
  if (abandoned > 0)
    progress_line_.message(cat("removed ", abandoned, " partial file(s) left in ", options_.out_dir,
                               " by an interrupted write (the files they were replacing are intact)"));
  std::string device_choice;
  device_ = resolve_device(options_.device, &device_choice);
  // A CPU run where a GPU was hoped for (a broken driver, say) must not pass unnoticed.
  if (device_ == Device::CPU && options_.device == "auto") progress_line_.message(device_choice);
  if (device_ == Device::CPU && options_.tf32) progress_line_.message("--tf32: no effect on the CPU (float32 math)");
  set_tf32_math(options_.tf32);
  state_.threads = cpu_threads();

  train_source_ = open_split(config_, Split::Train);
  const DatasetMeta& meta = train_source_->meta();
  Generator gen(config_.seed);
  model_ = std::make_unique<PoseModel>(model_config(config_, meta.num_keypoints()), gen);
  // Starting weights, for a fresh run (a resume takes them all from its checkpoint: no file needed).
  if (!options_.resume && !config_.pretrained.empty()) {
    // A weights file, or another run's training checkpoint (its model.* tensors): fine-tuning.
    const LoadReport report = model_->load_state(checkpoint_model_state(config_.pretrained), /*allow_partial=*/true);
    // A file that fits nothing would leave the whole model random without a word.
    SAR_CHECK(!report.loaded.empty(), "model.pretrained=", config_.pretrained,
              ": none of its tensors fits this model (", report.describe(),
              "); a torchvision backbone needs the names prefixed: tools/torch2safetensors.py --add-prefix backbone");
    progress_line_.message(cat("pretrained: ", report.loaded.size(), " tensors loaded from ", config_.pretrained,
                               report.complete() ? "" : "; not matched: " + report.describe()));
  } else if (!options_.resume && config_.data.dataset != "synthetic") {
    progress_line_.message("model.pretrained is not set: the backbone starts from random weights (the paper's "
                           "recipe starts from ImageNet weights: --set model.pretrained=FILE)");
  }
  model_->to(device_);
  optimizer_ = std::make_unique<Optimizer>(config_.train.optimizer, model_->named_parameters());
  schedule_ = config_.train.schedule;
  schedule_.epochs = config_.train.epochs;  // cosine's period is the run (the official configs' T_max = max_epochs)
  check_lr_schedule(schedule_);
  check_disk_space();

  const std::string last = path("checkpoints/last.safetensors");
  if (options_.resume) {
    SAR_CHECK(::access(last.c_str(), R_OK) == 0, options_.out_dir, ": nothing to resume: ", last, " does not exist");
    const LoadedCheckpoint loaded = load_train_checkpoint(last, *model_, *optimizer_);
    options_.deterministic = options_.deterministic || loaded.progress.deterministic;  // started so, stays so
    SAR_CHECK(!options_.deterministic || loaded.progress.threads == state_.threads, last,
              ": written with ", loaded.progress.threads, " CPU threads, this run has ", state_.threads,
              "; a deterministic resume needs the same (set OMP_NUM_THREADS=", loaded.progress.threads, ")");
    state_ = loaded.progress;
    resumed_at_ = state_.step;
    resumed_mid_eval_ = state_.pending_eval >= 0;
    const TrainConfig& t = config_.train;
    SAR_CHECK(!(at_max_steps() || state_.epoch >= t.epochs) || resumed_mid_eval_, options_.out_dir,
              ": the run is finished (", state_.step, " steps, ", state_.epoch, " of train.epochs=", t.epochs,
              " epochs); to train it further, resume with more, e.g. --set ",
              at_max_steps() ? cat("train.max_steps=", state_.step + t.max_steps)
                             : cat("train.epochs=", t.epochs + 10));
    state_.threads = cpu_threads();
    progress_line_.message(cat("resuming ", options_.out_dir, " at step ", state_.step, " (epoch ", state_.epoch + 1,
                               ", batch ", state_.batch, ")"));
  }
  set_deterministic_algorithms(options_.deterministic);
  if (!options_.resume) state_.deterministic = options_.deterministic;  // how the run started, kept by resumes
  config_json_ = run_config_to_json(config_).dump(2);
  write_text_atomically(path("config.json"), config_json_ + "\n");
  // The keypoints by name: sar eval and infer refuse a data set whose keypoints differ.
  about_ = {{"config", config_json_}, {"keypoint_names", nlohmann::json(meta.keypoint_names).dump()}};

  LoaderConfig lc;
  lc.batch_size = config_.train.batch_size;
  lc.workers = config_.data.workers;
  lc.skip_bad = config_.data.skip_bad;
  lc.seed = config_.seed;
  lc.device = device_;
  lc.crop = crop_config(config_, Split::Train, model_->feature_stride(), model_->head().needs_heatmaps());
  loader_ = std::make_unique<Loader>(train_source_, lc);
  SAR_CHECK(batches_per_epoch() > 0, "sar train: the training set has ", train_source_->size(),
            " samples, fewer than one step of ", config_.train.accumulate_batches, " batch(es) of ", lc.batch_size);

  train_log_ = std::make_unique<CsvLog>(path("train_log.csv"),
                                        std::vector<std::string>{"step", "epoch", "lr", "loss", "grad_norm"}, resumed_at_);
  evaluator_ = std::make_unique<Evaluator>(config_, options_.out_dir);
}

void Run::add_gradients(const Batch& batch, int epoch) {
  lr_ = learning_rate(schedule_, state_.step, epoch);
  model_->train();
  Tensor loss = model_->loss(batch.images, batch.targets);
  // Each batch's loss is its mean; a step averages its batches' gradients, as data-parallel
  // training averages its devices' (one batch: the loss as it is).
  const int batches = config_.train.accumulate_batches;
  // The loss is read once the backward pass is queued: reading it waits for the GPU, which could
  // otherwise run the forward pass while the host queues the backward one.
  backward(batches == 1 ? loss : loss * (1.0 / batches));
  loss_ = loss.item();
  SAR_CHECK(std::isfinite(loss_), "step ", state_.step + 1, " (epoch ", epoch + 1, "): the loss is ", loss_,
            "; stopped before applying it. The last checkpoint is ", path("checkpoints/last.safetensors"),
            " (try a lower train.lr or train.clip_grad_norm)");
  step_loss_ += loss_ / batches;
  ++state_.batch;
}

void Run::optimizer_step(int epoch) {
  const int64_t step = state_.step + 1;
  const NamedTensors& params = optimizer_->params();
  // One pass over the gradients gives the norm (logged, clipped to) and the guard: the norm is
  // finite exactly when every gradient is (clip_grad_norm leaves non-finite gradients untouched).
  const double grad_norm = config_.train.clip_grad_norm > 0 ? clip_grad_norm(params, config_.train.clip_grad_norm)
                                                            : global_grad_norm(params);
  if (!std::isfinite(grad_norm)) {
    const std::string bad = first_non_finite_grad(params);
    SAR_THROW("step ", step, " (epoch ", epoch + 1, "): ",
              bad.empty() ? cat("the gradient norm is ", grad_norm) : "the gradient of '" + bad + "' holds NaN or Inf",
              "; stopped before applying it. The last checkpoint is ", path("checkpoints/last.safetensors"),
              " (try a lower train.lr or train.clip_grad_norm)");
  }
  optimizer_->step(lr_);
  model_->zero_grad();
  state_.step = step;
  // every train.log_every steps, and the run's last step: a run shorter than that has a loss too
  const bool last_step = at_max_steps() || (epoch + 1 == config_.train.epochs && state_.batch == batches_per_epoch());
  if (step % config_.train.log_every == 0 || last_step)
    train_log_->append({double(step), double(epoch + 1), lr_, step_loss_, grad_norm});  // epochs from 1, as printed
  step_loss_ = 0;
}

// Checkpoints need room for last.safetensors (model + optimizer state) and best.safetensors (the
// model), and each is written beside the old file before replacing it: refuse to start on a disk
// with less than that, rather than fail hours in. Files already there (a resume) count as room.
void Run::check_disk_space() const {
  uint64_t model_bytes = 0, optimizer_bytes = 0, existing = 0;
  for (const auto& [name, t] : model_->state()) model_bytes += t.nbytes();
  for (const auto& [name, t] : optimizer_->state()) optimizer_bytes += t.nbytes();
  for (const char* file : {"checkpoints/last.safetensors", "checkpoints/best.safetensors"}) {
    struct stat st;
    if (::stat(path(file).c_str(), &st) == 0) existing += uint64_t(st.st_size);
  }
  const uint64_t kLogsAndPngs = uint64_t(16) << 20;
  const uint64_t needed = 3 * model_bytes + 2 * optimizer_bytes + kLogsAndPngs;
  const uint64_t available = free_disk_bytes(options_.out_dir) + existing;
  SAR_CHECK(available >= needed, options_.out_dir, ": its disk has ", format_bytes(available),
            " free; this run's checkpoints need about ", format_bytes(needed),
            " (last.safetensors with the optimizer state and best.safetensors, each written beside the old one "
            "before replacing it); free some space or choose another --out");
}

void Run::save_checkpoint() {
  save_train_checkpoint(path("checkpoints/last.safetensors"), *model_, *optimizer_, state_, about_);
}

// The evaluation after `epoch`, then the checkpoint that records it done (and the best metric).
void Run::evaluate_and_save(int epoch) {
  evaluate_and_plot(epoch);
  state_.pending_eval = -1;
  save_checkpoint();
}

// The run stops before its end, its checkpoint just saved: at --stop-at-step, or for a signal.
TrainSummary Run::stopped_early(int signal) {
  progress_line_.message(signal ? cat("stopped at step ", state_.step, " by ", signal_name(signal), "; saved ",
                                      path("checkpoints/last.safetensors"))
                                : cat("stopped at step ", state_.step, " (--stop-at-step), as a killed run would"));
  TrainSummary s;
  s.steps = state_.step;
  s.stopped_by = signal;
  return s;
}

void Run::evaluate_and_plot(int epoch) {
  last_eval_ = evaluator_->run(*model_, device_, path("val_results.json"), !options_.progress_tty || options_.quiet);
  progress_line_.message(cat("evaluation after epoch ", epoch + 1, " (step ", state_.step, "):\n", last_eval_.table));
  if (!eval_log_) {
    std::vector<std::string> columns{"step", "epoch"};
    for (const auto& [name, value] : last_eval_.numbers) columns.push_back(name);
    // A resumed run redoing the evaluation it died in drops that evaluation's row if it got written.
    const int64_t keep_up_to = resumed_at_ < 0 ? -1 : resumed_at_ - (resumed_mid_eval_ ? 1 : 0);
    eval_log_ = std::make_unique<CsvLog>(path("eval_log.csv"), columns, keep_up_to);
  }
  std::vector<double> row{double(state_.step), double(epoch + 1)};
  for (const auto& [name, value] : last_eval_.numbers) row.push_back(value);
  eval_log_->append(row);

  if (last_eval_.primary() > state_.best_metric) {
    state_.best_metric = last_eval_.primary();
    state_.best_epoch = epoch + 1;
    std::map<std::string, std::string> metadata = about_;
    metadata["epoch"] = std::to_string(epoch + 1);
    metadata[last_eval_.metric] = cat(last_eval_.primary());
    save_model(path("checkpoints/best.safetensors"), *model_, metadata);
  }
  write_curves(path("curves.png"), *train_log_, *eval_log_, last_eval_.metric);
}

TrainSummary Run::train() {
  const StopSignals signals;  // Ctrl-C / SIGTERM from here on: stop after the step, saved
  const auto start = std::chrono::steady_clock::now();
  const TrainConfig& t = config_.train;
  const int64_t batches = batches_per_epoch();
  progress_line_.message(cat("training ", config_.model.backbone, " + ", config_.model.head, " head on ",
                             device_label(), " (", train_source_->size(), " samples, ", batches, " batches of ",
                             t.batch_size, " per epoch",
                             t.accumulate_batches > 1 ? cat(", ", t.accumulate_batches, " batches a step") : std::string(), ", ",
                             t.epochs, " epochs) -> ", options_.out_dir));
  if (state_.pending_eval >= 0) evaluate_and_save(state_.pending_eval);  // the run died during this evaluation
  bool done = at_max_steps();
  for (int epoch = state_.epoch; epoch < t.epochs && !done; ++epoch) {
    state_.epoch = epoch;
    loader_->start_epoch(epoch, size_t(state_.batch));
    const int64_t run_left = t.max_steps > 0 ? (t.max_steps - state_.step) * t.accumulate_batches : -1;
    progress_line_.start_epoch(epoch, t.epochs, batches, state_.batch, run_left);
    Batch batch;
    while (!done && state_.batch < batches && loader_->next(&batch)) {
      const int64_t b = state_.batch;
      add_gradients(batch, epoch);
      progress_line_.step(b, loss_, lr_, batch.images.shape()[0]);
      if (state_.batch % t.accumulate_batches != 0) continue;  // the step has more batches to come
      optimizer_step(epoch);
      done = at_max_steps();
      const bool stop_here = options_.stop_at_step > 0 && state_.step == options_.stop_at_step;
      const int signal = done ? 0 : signals.received();  // after the last step, the run just ends
      if ((t.checkpoint_every_steps > 0 && state_.step % t.checkpoint_every_steps == 0) || stop_here || signal)
        save_checkpoint();
      if (stop_here || signal) return stopped_early(signal);
    }
    progress_line_.end_epoch();
    if (loader_->unreadable() > 0)
      progress_line_.message(cat(loader_->unreadable(), " of ", train_source_->size(),
                                 " training samples are unreadable (warned above) and were replaced (data.skip_bad)"));
    if (!done) {  // the epoch finished: the next one starts at its first batch
      state_.epoch = epoch + 1;
      state_.batch = 0;
    }
    const bool last_epoch = done || epoch + 1 == t.epochs;
    const bool evaluate = (epoch + 1) % t.eval_every == 0 || last_epoch;
    state_.pending_eval = evaluate ? epoch : -1;
    save_checkpoint();  // before the evaluation: the epoch's training is kept should the process die in it
    if (evaluate) evaluate_and_save(epoch);
    if (const int signal = signals.received(); signal && !last_epoch) return stopped_early(signal);  // during eval
  }

  TrainSummary summary;
  summary.steps = state_.step;
  summary.resumed_at = std::max<int64_t>(0, resumed_at_);
  summary.metric = last_eval_.metric;
  summary.final_metric = last_eval_.metric.empty() ? -1 : last_eval_.primary();
  summary.best_metric = state_.best_metric;
  summary.best_epoch = state_.best_epoch;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<PersonPrediction> people = evaluator_->sample_predictions(*model_, device_, 16);
  write_prediction_pngs(people, evaluator_->source().meta(),
                        crop_config(config_, Split::Val, model_->feature_stride(), false), path("predictions.png"),
                        path("confidence_maps.png"));
  summary.pngs = model_->head().has_confidence_maps() ? "curves.png, predictions.png, confidence_maps.png"
                                                      : "curves.png, predictions.png";
  write_report(summary);
  return summary;
}

void Run::write_report(const TrainSummary& s) const {
  std::string text = cat("# Training run: ", options_.out_dir, "\n\n");
  text += cat("- model: ", config_.model.backbone, " + ", config_.model.deconv_layers, " deconvs + ", config_.model.head,
              " head, input ", config_.model.head_config.input_h, "x", config_.model.head_config.input_w, "\n");
  text += cat("- data: ", config_.data.dataset, ", ", train_source_->size(), " training samples, ",
              evaluator_->source().size(), " validation\n");
  text += cat("- ", s.steps, " steps on ", device_label(), " (", state_.threads, " CPU threads) in ",
              format_duration(s.seconds),
              options_.resume ? cat(" (the last sitting: resumed at step ", resumed_at_, ")") : std::string(), "\n");
  if (loader_->unreadable() > 0)
    text += cat("- ", loader_->unreadable(), " unreadable training samples skipped (data.skip_bad; ", loader_->replaced(),
                " replacements over the run)\n");
  if (!s.metric.empty()) {
    char numbers[96];  // 4 decimals, as the logs and the command's summary print them
    std::snprintf(numbers, sizeof numbers, "%.4f; best %.4f", s.final_metric, s.best_metric);
    text += cat("- final ", s.metric, ": ", numbers, " after epoch ", s.best_epoch, "\n\n");
    text += "```\n" + last_eval_.table + "```\n\n";
  }
  text += cat("Files: config.json, train_log.csv, eval_log.csv, ", s.pngs, ", val_results.json, ",
              "checkpoints/last.safetensors (resume), checkpoints/best.safetensors (weights).\n");
  write_text_atomically(path("report.md"), text);
}

}  // namespace

TrainSummary train_run(const RunConfig& config, const TrainOptions& options) {
  // A fresh run that fails to start (a data path, a pretrained file that fits nothing, ...) takes
  // the folder it made with it: no empty run folder to be taken for a run later.
  const bool new_folder = !options.resume && ::access(options.out_dir.c_str(), F_OK) != 0;
  std::unique_ptr<Run> run;
  try {
    run = std::make_unique<Run>(config, options);
  } catch (...) {
    std::error_code ignored;
    if (new_folder) std::filesystem::remove_all(options.out_dir, ignored);
    throw;
  }
  return run->train();
}

}  // namespace sar
