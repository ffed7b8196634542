// Training end to end on tiny synthetic runs: resume is bit-identical, the NaN guard stops a run
// before it saves NaNs, and the train / eval / infer verbs work from the command line.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <omp.h>

#include "core/error.h"
#include "core/safetensors.h"
#include "datasets/image_io.h"
#include "datasets/synthetic.h"
#include "eval/coco_eval.h"
#include "eval/visualize.h"
#include "tests/test_util.h"
#include "train/command_setup.h"
#include "train/trainer.h"

using namespace sar;
using sar::test::coco_dataset_options;
using sar::test::kTinyRun;
using sar::test::max_abs_diff;
using sar::test::run_command;
using sar::test::run_sar;
using sar::test::sar_binary;
using sar::test::write_coco_dataset;
using sar::test::temp_dir;

namespace {

// A run small enough for a test: 24 synthetic people at 32x32, ResNet-18 + one small deconv.
RunConfig tiny_config() {
  RunConfig c;
  c.data.dataset = "synthetic";
  c.data.synthetic_train_samples = 24;
  c.data.synthetic_val_samples = 6;
  c.data.synthetic_image_h = c.data.synthetic_image_w = 64;
  c.data.workers = 2;
  c.model.backbone = "resnet18";
  c.model.deconv_layers = 1;
  c.model.deconv_channels = 16;
  c.model.head_config.input_h = c.model.head_config.input_w = 32;
  c.train.epochs = 2;
  c.train.batch_size = 4;
  c.train.schedule.lr = 1e-3;
  c.train.schedule.warmup_iters = 3;
  c.train.schedule.milestones = {1};
  c.train.log_every = 2;
  c.eval.batch_size = 4;
  return c;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read ", path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Options of a quiet run on `device` into a fresh test folder named `name`.
TrainOptions quiet_run(const std::string& name, const std::string& device) {
  TrainOptions options;
  options.out_dir = temp_dir(name);
  options.device = device;
  options.quiet = true;
  return options;
}

// The first synthetic figure (64x64) as dir/person.png, an image for sar infer; returns it.
Image write_person_png(const std::string& dir) {
  SyntheticConfig sc;
  sc.image_h = sc.image_w = 64;
  Image image;
  PersonRecord person;
  SyntheticDataset(sc).get(0, &image, &person);
  write_png(dir + "/person.png", image);
  return image;
}

// One tensor of a safetensors file, by name.
Tensor tensor_named(const std::string& path, const std::string& name) {
  for (const auto& [n, t] : load_safetensors(path))
    if (n == name) return t;
  FAIL(path, " holds no tensor '", name, "'");
  return Tensor();
}

// Every floating-point tensor of a safetensors file holds finite numbers only.
void check_all_finite(const std::string& path) {
  for (const auto& [name, t] : load_safetensors(path)) {
    if (!is_floating(t.dtype())) continue;
    const Tensor d = t.to(DType::F64);
    for (int64_t i = 0; i < d.numel(); ++i) REQUIRE_MESSAGE(std::isfinite(d.data<double>()[i]), name);
  }
}

}  // namespace

TEST_CASE("train: a run stopped and resumed ends bit-identical to one never stopped") {
  const RunConfig config = tiny_config();
  const TrainOptions straight = quiet_run("straight", "cpu");
  const TrainSummary s = train_run(config, straight);
  CHECK(s.steps == 12);  // 2 epochs x 6 batches
  CHECK(s.metric == "AP");

  TrainOptions first = straight;
  first.out_dir = temp_dir("stopped");
  first.stop_at_step = 5;  // mid-epoch: the resumed run starts at batch 5 of epoch 0
  CHECK(train_run(config, first).steps == 5);
  TrainOptions rest = first;
  rest.stop_at_step = 0;
  rest.resume = true;
  rest.deterministic = true;
  CHECK(train_run(config, rest).steps == 12);

  for (const char* name : {"checkpoints/last.safetensors", "checkpoints/best.safetensors", "train_log.csv", "eval_log.csv"}) {
    INFO(name);
    CHECK(file_bytes(straight.out_dir + "/" + name) == file_bytes(first.out_dir + "/" + name));
  }
  // A run started with --deterministic keeps the rule in its resumes, flag given or not: another
  // thread count is refused.
  TrainOptions strict = quiet_run("strict", "cpu");
  strict.deterministic = true;
  strict.stop_at_step = 2;
  CHECK(train_run(config, strict).steps == 2);
  TrainOptions loose = strict;
  loose.deterministic = false;
  loose.resume = true;
  loose.stop_at_step = 3;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(threads + 1);
  const std::string refusal = sar::test::error_of([&] { train_run(config, loose); });
  omp_set_num_threads(threads);
  CHECK(refusal.find("a deterministic resume needs the same (set OMP_NUM_THREADS=" + std::to_string(threads) + ")") !=
        std::string::npos);
  // The report's time is the last sitting's, and says so.
  CHECK(file_bytes(first.out_dir + "/report.md").find(" (the last sitting: resumed at step 5)\n") != std::string::npos);
  CHECK(file_bytes(straight.out_dir + "/report.md").find("last sitting") == std::string::npos);
}

TEST_CASE("train: a fresh run into a folder that holds another run's checkpoints is refused, the files untouched") {
  const RunConfig config = tiny_config();
  TrainOptions first = quiet_run("reused_out", "cpu");
  first.stop_at_step = 1;
  CHECK(train_run(config, first).steps == 1);
  const std::string last = first.out_dir + "/checkpoints/last.safetensors", before = file_bytes(last);
  const std::string message = sar::test::error_of([&] { train_run(config, first); });
  CHECK(message.find(first.out_dir + " already holds a training run (checkpoints/last.safetensors): continue it with "
                     "sar train --resume " + first.out_dir) != std::string::npos);
  CHECK(file_bytes(last) == before);
}

TEST_CASE("train: model.pretrained loads weights by name; a file that fits nothing is refused; a resume needs no file") {
  RunConfig config = tiny_config();
  config.train.max_steps = 1;
  const TrainOptions first = quiet_run("pretrained_source", "cpu");
  train_run(config, first);  // its best.safetensors: every tensor of this model
  const std::string dir = temp_dir("pretrained");
  const std::string weights = dir + "/weights.safetensors";
  std::ofstream(weights, std::ios::binary) << file_bytes(first.out_dir + "/checkpoints/best.safetensors");

  config.pretrained = weights;
  config.train.schedule.lr = 1e-30;  // the step moves no weight by a representable amount
  TrainOptions start = quiet_run("pretrained_run", "cpu");
  start.stop_at_step = 1;
  CHECK(train_run(config, start).steps == 1);
  const Tensor trained = tensor_named(start.out_dir + "/checkpoints/last.safetensors", "model.backbone.layer1.0.conv1.weight");
  CHECK(max_abs_diff(trained, tensor_named(weights, "backbone.layer1.0.conv1.weight")) == 0);
  std::remove(weights.c_str());  // the resume takes every weight from its checkpoint
  TrainOptions resume = start;
  resume.stop_at_step = 0;
  resume.resume = true;
  config.train.max_steps = 2;
  CHECK(train_run(config, resume).steps == 2);

  // Another run's training checkpoint: its model.* tensors (fine-tuning from a run).
  config.pretrained = first.out_dir + "/checkpoints/last.safetensors";
  config.train.max_steps = 1;
  TrainOptions from_run = quiet_run("pretrained_from_run", "cpu");
  from_run.stop_at_step = 1;
  CHECK(train_run(config, from_run).steps == 1);
  CHECK(max_abs_diff(tensor_named(from_run.out_dir + "/checkpoints/last.safetensors",
                                  "model.backbone.layer1.0.conv1.weight"),
                     tensor_named(config.pretrained, "model.backbone.layer1.0.conv1.weight")) == 0);

  // A torchvision-style name without the pose model's 'backbone.' prefix fits nothing.
  const std::string unprefixed = dir + "/unprefixed.safetensors";
  save_safetensors(unprefixed, {{"layer1.0.conv1.weight", Tensor::zeros({64, 64, 3, 3})}});
  config.pretrained = unprefixed;
  TrainOptions bad = quiet_run("pretrained_bad", "cpu");
  bad.out_dir += "/run";  // a folder this run makes: a failed start leaves none behind
  const std::string message = sar::test::error_of([&] { train_run(config, bad); });
  CHECK(message.find("model.pretrained=" + unprefixed + ": none of its tensors fits this model (") != std::string::npos);
  CHECK(message.find("unexpected tensor 'layer1.0.conv1.weight'") != std::string::npos);
  CHECK(message.find("--add-prefix backbone") != std::string::npos);
  CHECK(::access(bad.out_dir.c_str(), F_OK) != 0);
}

TEST_CASE("train: train.accumulate_batches averages its batches' gradients into one step") {
  // Plain SGD moves the weights by -lr * gradient. The gradients of batches 1 and 2 at the
  // initial weights w0, each on its own: batch 1's from a one-step run; batch 2's from a two-step
  // run whose first step has lr * 1e-30 (warmup), which moves nothing. One step over both
  // batches must move the weights by the mean of those two moves.
  RunConfig config = tiny_config();
  config.train.optimizer.name = "sgd";
  config.train.optimizer.momentum = 0;
  config.train.schedule.warmup_factor = 1e-30;
  const auto moved = [&](const std::string& name, int accumulate, int warmup, int steps) {
    config.train.accumulate_batches = accumulate;
    config.train.schedule.warmup_iters = warmup;
    TrainOptions options = quiet_run(name, "cpu");
    options.stop_at_step = steps;
    CHECK(train_run(config, options).steps == steps);
    const std::string last = options.out_dir + "/checkpoints/last.safetensors";
    CHECK(read_safetensors_index(last).metadata.at("batch") == std::to_string(accumulate * steps));
    std::vector<double> values;  // every trained weight (BN's running statistics left out)
    for (const auto& [n, t] : load_safetensors(last))
      if (n.rfind("model.", 0) == 0 && n.find("running_") == std::string::npos && is_floating(t.dtype()))
        for (double v : t.to_vector()) values.push_back(v);
    return values;
  };
  const std::vector<double> w0 = moved("acc_w0", 1, 2, 1);          // one step of lr * 1e-30
  const std::vector<double> first = moved("acc_first", 1, 0, 1);    // batch 1 alone
  const std::vector<double> second = moved("acc_second", 1, 2, 2);  // batch 2 alone, from w0
  const std::vector<double> both = moved("acc_both", 2, 0, 1);      // one step over batches 1 and 2
  REQUIRE(w0.size() == both.size());
  double step = 0, off = 0;
  for (size_t i = 0; i < w0.size(); ++i) {
    const double expected = ((first[i] - w0[i]) + (second[i] - w0[i])) / 2;
    step += std::pow(both[i] - w0[i], 2);
    off += std::pow(both[i] - w0[i] - expected, 2);
  }
  INFO("step ", std::sqrt(step), ", off the mean of the two batches' steps by ", std::sqrt(off));
  CHECK(step > 0);
  CHECK(std::sqrt(off) < 1e-3 * std::sqrt(step));
}

TEST_CASE("train: a diverging run stops at the first non-finite step and saves no NaN") {
  RunConfig config = tiny_config();
  config.train.schedule.lr = 1e30;  // Adam moves every weight by ~lr: the activations overflow within a few steps
  config.train.schedule.warmup_iters = 0;
  config.train.checkpoint_every_steps = 1;
  const TrainOptions options = quiet_run("diverge", "cpu");
  std::string message;
  try {
    train_run(config, options);
  } catch (const Error& e) {
    message = e.what();
  }
  INFO(message);
  REQUIRE(message.find("step ") != std::string::npos);
  CHECK((message.find("NaN or Inf") != std::string::npos || message.find("the loss is") != std::string::npos));
  CHECK(message.find("stopped before applying it") != std::string::npos);
  // Every step before was checkpointed (checkpoint_every_steps = 1): the last checkpoint holds
  // finite numbers only, and the step named is the one after it, the first non-finite one.
  const std::string last = options.out_dir + "/checkpoints/last.safetensors";
  REQUIRE(std::ifstream(last).good());
  check_all_finite(last);
  const int64_t saved = std::stoll(read_safetensors_index(last).metadata.at("step"));
  CHECK(message.find(cat("step ", saved + 1, " (epoch 1): ")) != std::string::npos);
}

CUDA_TEST_CASE("train: a run on CUDA checkpoints, resumes (with TF32) and evaluates (float32, cuda)") {
  const RunConfig config = tiny_config();
  TrainOptions first = quiet_run("cuda_run", "cuda");
  first.stop_at_step = 5;  // its checkpoint is written from the GPU's tensors
  CHECK(train_run(config, first).steps == 5);
  check_all_finite(first.out_dir + "/checkpoints/last.safetensors");
  TrainOptions rest = first;
  rest.stop_at_step = 0;
  rest.resume = true;
  rest.tf32 = true;
  const test::ScopedTf32 tf32;  // switched off again at the end, as train_run leaves it on
  const TrainSummary s = train_run(config, rest);
  CHECK(s.steps == 12);
  CHECK(s.metric == "AP");
  CHECK((s.final_metric >= 0 && s.final_metric <= 1));
  check_all_finite(rest.out_dir + "/checkpoints/last.safetensors");
  check_all_finite(rest.out_dir + "/checkpoints/best.safetensors");
  CHECK(file_bytes(rest.out_dir + "/report.md").find(" steps on cuda (TF32 math)") != std::string::npos);
}

TEST_CASE("sar train, eval and infer from the command line") {
  for (const char* verb : {"train", "eval", "infer"}) {  // --help: tests/test_cli.cpp
    const auto bad = run_sar(std::string(verb) + " --frobnicate");
    CHECK(bad.exit_code == 1);
    CHECK(bad.output.find("unknown option '--frobnicate'") != std::string::npos);
  }
  const std::string dir = temp_dir("cli_train");
  const auto missing = run_sar("train --config " + dir + "/nope.json --out " + dir + "/run");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find(dir + "/nope.json") != std::string::npos);

  const std::string tiny = kTinyRun + " --set train.epochs=1";
  // --tf32 is accepted and changes nothing on the CPU
  const auto train =
      run_sar("train --config configs/synthetic_demo.json --device cpu --tf32 --out " + dir + "/run" + tiny);
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  for (const char* name : {"config.json", "train_log.csv", "eval_log.csv", "curves.png", "predictions.png",
                           "confidence_maps.png", "report.md", "val_gt.json", "val_results.json",
                           "checkpoints/last.safetensors", "checkpoints/best.safetensors"})
    CHECK_MESSAGE(std::ifstream(dir + "/run/" + name).good(), name);
  // 2 steps, fewer than train.log_every: the last step has its row all the same
  const std::string log = file_bytes(dir + "/run/train_log.csv");
  CHECK(log.find("\n2,1,") != std::string::npos);  // step 2 of epoch 1

  // eval: the checkpoint carries its config; the numbers agree with sar score on the written files.
  const auto eval = run_sar("eval --checkpoint " + dir + "/run/checkpoints/last.safetensors --device cpu --out " + dir +
                            "/res.json --json");
  INFO(eval.output);
  REQUIRE(eval.exit_code == 0);
  CHECK(eval.output.find("\"AP\": ") != std::string::npos);
  const auto score = run_sar("score --gt " + dir + "/run/val_gt.json --results " + dir + "/res.json --metric coco --json");
  REQUIRE(score.exit_code == 0);
  const std::string eval_ap = eval.output.substr(eval.output.find("\"AP\": ")).substr(0, 30);
  CHECK(score.output.find(eval_ap.substr(0, eval_ap.find(','))) != std::string::npos);
  CHECK(eval.output.find("device: cpu (asked for)") != std::string::npos);
  // sar info --weights reads a training checkpoint's model (not its optimizer state).
  const auto info = run_sar("info --config configs/synthetic_demo.json" + kTinyRun + " --weights " + dir +
                            "/run/checkpoints/last.safetensors");
  INFO(info.output);
  CHECK(info.exit_code == 0);
  CHECK(info.output.find("missing (in the model, not in the file): 0\nunexpected (in the file, not in the model): 0") !=
        std::string::npos);
  // Files for a data set that reads none are refused, not ignored.
  const auto ann = run_sar("eval --checkpoint " + dir + "/run/checkpoints/last.safetensors --out " + dir +
                           "/r.json --ann a.json --images .");
  CHECK(ann.exit_code == 1);
  CHECK(ann.output.find("sar eval --ann: this run's data set is synthetic, which reads no files") != std::string::npos);

  // infer: the skeleton is drawn where the printed keypoints are.
  const Image image = write_person_png(dir);
  const auto infer = run_sar("infer --checkpoint " + dir + "/run/checkpoints/best.safetensors --device cpu --image " +
                             dir + "/person.png --out " + dir + "/pose.png --maps --json");
  INFO(infer.output);
  REQUIRE(infer.exit_code == 0);
  // The 64x64 image is drawn 6 times larger (384 on its short side); a point x lands on (x + 0.5) 6 - 0.5.
  const Image drawn = decode_image(dir + "/pose.png");
  CHECK(drawn.width == 6 * 64);
  CHECK(drawn.height == 6 * 64);
  const Image maps = decode_image(dir + "/pose_maps.png");
  CHECK(maps.width > 32);
  const size_t at = infer.output.find("\"keypoints\": [[");
  REQUIRE(at != std::string::npos);
  double x = 0, y = 0;
  REQUIRE(std::sscanf(infer.output.c_str() + at, "\"keypoints\": [[%lf, %lf", &x, &y) == 2);
  const int px = int(std::lround((x + 0.5) * 6 - 0.5)), py = int(std::lround((y + 0.5) * 6 - 0.5));
  if (px >= 0 && py >= 0 && px < 6 * 64 && py < 6 * 64) {
    const Image enlarged = upscale(image, 6);
    const size_t i = size_t(py * 6 * 64 + px) * 3;
    const bool changed = drawn.rgb[i] != enlarged.rgb[i] || drawn.rgb[i + 1] != enlarged.rgb[i + 1] ||
                         drawn.rgb[i + 2] != enlarged.rgb[i + 2];
    CHECK_MESSAGE(changed, "no keypoint drawn at the first predicted keypoint (", px, ", ", py, ")");
  }
  const auto bad_box = run_sar("infer --checkpoint " + dir + "/run/checkpoints/best.safetensors --image " + dir +
                               "/person.png --out " + dir + "/x.png --bbox 1,2,0,4");
  CHECK(bad_box.exit_code == 1);
  CHECK(bad_box.output.find("--bbox") != std::string::npos);
  for (const char* box : {"nan,2,10,10", "1000,2,10,10", "-50,2,10,10"}) {
    const auto off = run_sar("infer --checkpoint " + dir + "/run/checkpoints/best.safetensors --image " + dir +
                             "/person.png --out " + dir + "/x.png --bbox " + box);
    INFO(box, ": ", off.output);
    CHECK(off.exit_code == 1);
    CHECK(off.output.find("sar infer --bbox") != std::string::npos);
  }

  // Refusals before any work: a run folder that cannot be made, a resume of a folder that holds
  // no run, a resume whose model differs
  // (the first mismatching tensor named); and a finished run given more epochs goes on.
  const auto unwritable = run_sar("train --config configs/synthetic_demo.json --out /proc/sar_run" + tiny);
  CHECK(unwritable.exit_code == 1);
  CHECK(unwritable.output.find("/proc/sar_run: cannot create the folder") != std::string::npos);
  for (const char* change : {" --seed 5", " --set train.batch_size=2", " --set data.synthetic.train_samples=4"}) {
    const auto changed = run_sar("train --resume " + dir + "/run" + change);
    INFO(changed.output);
    CHECK(changed.exit_code == 1);
    CHECK(changed.output.find(" would change from ") != std::string::npos);
  }
  // A metric the data set cannot give is refused before training, with a hint that applies.
  const auto pckh = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + dir + "/pckh" + tiny +
                            " --set data.metric=pckh");
  CHECK(pckh.exit_code == 1);
  CHECK(pckh.output.find("needs a keypoint named 'upper_neck' in the category; PCKh is MPII's metric") !=
        std::string::npos);
  CHECK_FALSE(std::ifstream(dir + "/pckh/checkpoints/last.safetensors").good());
  const auto nowhere = run_sar("train --resume " + dir + "/nowhere");
  CHECK(nowhere.exit_code == 1);
  CHECK(nowhere.output.find("sar train --resume " + dir + "/nowhere: does not exist") != std::string::npos);
  const auto not_a_run = run_sar("train --resume " + dir);
  CHECK(not_a_run.exit_code == 1);
  CHECK(not_a_run.output.find("sar train --resume " + dir + ": not a run folder (it has no config.json") !=
        std::string::npos);
  const auto reshaped = run_sar("train --resume " + dir + "/run --device cpu --set model.deconv_channels=16");
  CHECK(reshaped.exit_code == 1);
  CHECK(reshaped.output.find("does not fit this run") != std::string::npos);
  CHECK(reshaped.output.find("head.deconv_layers.0.weight") != std::string::npos);
  const auto finished = run_sar("train --resume " + dir + "/run --device cpu");
  CHECK(finished.exit_code == 1);
  CHECK(finished.output.find(dir + "/run: the run is finished (2 steps, 1 of train.epochs=1 epochs); to train it "
                             "further, resume with more, e.g. --set train.epochs=11") != std::string::npos);
  const auto capped = run_sar("train --resume " + dir + "/run --device cpu --set train.max_steps=1");
  CHECK(capped.exit_code == 1);  // the hint names a limit past the run's 2 steps
  CHECK(capped.output.find("resume with more, e.g. --set train.max_steps=3") != std::string::npos);
  const auto extended = run_sar("train --resume " + dir + "/run --device cpu --set train.epochs=2");
  CHECK(extended.exit_code == 0);  // a finished run resumed with more epochs continues
  CHECK(extended.output.find(" steps (resumed at step 2) in ") != std::string::npos);
}

TEST_CASE("sar eval: the whole val split whatever the run's quick evaluations took; a --config input size noted") {
  const std::string dir = temp_dir("eval_whole");
  const std::string run = dir + "/run";
  const auto train = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + run + kTinyRun +
                             " --set train.max_steps=1 --set eval.max_images=2");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  const std::string ck = " --checkpoint " + run + "/checkpoints/last.safetensors --device cpu --out " + dir + "/r.json";
  const auto whole = run_sar("eval" + ck);
  CHECK(whole.output.find("(4 people, flip test on)") != std::string::npos);  // all 4, not the run's 2
  const auto quick = run_sar("eval" + ck + " --set eval.max_images=3");
  CHECK(quick.output.find("(3 people, flip test on)") != std::string::npos);
  const auto resized =
      run_sar("eval --config configs/synthetic_demo.json" + kTinyRun + " --set model.input=[64,64]" + ck);
  INFO(resized.output);
  CHECK(resized.exit_code == 0);
  const std::string note = "sar eval: note: " + run + "/checkpoints/last.safetensors was trained at 32x32; --config "
                           "configs/synthetic_demo.json runs it at 64x64";
  const size_t first = resized.output.find(note);
  CHECK(first != std::string::npos);
  CHECK(resized.output.find(note, first + 1) == std::string::npos);  // said once
}

TEST_CASE("trained_model: keypoint names in a checkpoint's metadata that are not a list are refused by name") {
  const std::string path = sar::test::temp_path("bad_names.safetensors");
  save_safetensors(path, {{"x", Tensor::zeros({1})}}, {{"keypoint_names", "[\"nose\","}});
  DatasetMeta meta;
  meta.keypoint_names = {"nose"};
  CHECK(sar::test::error_of([&] { trained_model(RunConfig{}, meta, path, Device::CPU); })
            .rfind(path + ": its metadata 'keypoint_names' is not a JSON list of names: ", 0) == 0);
}

TEST_CASE("a head without confidence maps: the run lists none, sar infer --maps refuses before writing") {
  const std::string dir = temp_dir("no_maps");
  const auto train = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + dir + "/run" + kTinyRun +
                             " --set train.max_steps=1 --set model.head=regression");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  CHECK(train.output.find("(report.md, curves.png, predictions.png)") != std::string::npos);
  CHECK_FALSE(std::ifstream(dir + "/run/confidence_maps.png").good());
  std::ifstream report(dir + "/run/report.md");
  const std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  CHECK(text.find("predictions.png, val_results.json") != std::string::npos);

  write_person_png(dir);
  const auto infer = run_sar("infer --checkpoint " + dir + "/run/checkpoints/last.safetensors --device cpu --image " +
                             dir + "/person.png --out " + dir + "/pose.png --maps");
  CHECK(infer.exit_code == 1);
  CHECK(infer.output.find("sar infer --maps: the regression head has no confidence maps") != std::string::npos);
  CHECK_FALSE(std::ifstream(dir + "/pose.png").good());
}

TEST_CASE("make train: trains a config into OUT; the same command again resumes the run") {
  const std::string out = temp_dir("make_train") + "/run";
  // The make that runs the tests passes its job server and flags down; this make needs none.
  const std::string make = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory train NOBUILD=1 SAR_BIN=" +
                           sar_binary() + " CONFIG=configs/synthetic_demo.json OUT=" + out +
                           " ARGS='--device cpu --set data.synthetic.train_samples=8 --set data.synthetic.val_samples=4"
                           " --set model.backbone=resnet18 --set model.deconv_channels=8 --set model.input=[32,32]"
                           " --set train.batch_size=4 --set eval.batch_size=4 --set train.max_steps=";
  const auto first = run_command(make + "1'");
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.output.find("train --config configs/synthetic_demo.json --out " + out) != std::string::npos);
  const auto again = run_command(make + "2'");
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("make train: " + out + " holds a run; resuming it") != std::string::npos);
  CHECK(again.output.find("resuming " + out + " at step 1") != std::string::npos);
  CHECK(read_safetensors_index(out + "/checkpoints/last.safetensors").metadata.at("step") == "2");
}

TEST_CASE("train: a run started with a relative data.root resumes from another working directory") {
  const std::string dir = temp_dir("relative_root");
  write_coco_dataset(dir, 4);
  const std::string sar = std::filesystem::absolute(sar_binary()).string();
  const std::string repo = std::filesystem::current_path().string();
  std::string options = coco_dataset_options(dir) + " --set train.max_steps=2";
  options.replace(options.find("data.root=" + dir), std::string("data.root=" + dir).size(), "data.root=.");
  const auto first = run_command("cd " + dir + " && " + sar + " train --config " + repo +
                                 "/configs/synthetic_demo.json --device cpu --out run --stop-at-step 1" + options);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const auto resumed = run_command("cd / && " + sar + " train --resume " + dir + "/run --device cpu");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(read_safetensors_index(dir + "/run/checkpoints/last.safetensors").metadata.at("step") == "2");
  CHECK(nlohmann::json::parse(file_bytes(dir + "/run/config.json"))["data"]["root"] == dir);
}

TEST_CASE("sar eval on a COCO-format data set with detector boxes, and its refusals") {
  // A COCO-format data set on disk: 6 synthetic figures as PNG files, their json and a
  // detector's boxes (the true boxes, scored 0.9, and one far-off false positive scored 0.05).
  const std::string dir = temp_dir("cli_coco");
  nlohmann::json dets = nlohmann::json::array();
  for (const PersonRecord& p : write_coco_dataset(dir, 6))
    dets.push_back({{"image_id", dets.size() + 1}, {"category_id", 1}, {"bbox", p.bbox}, {"score", 0.9}});
  dets.push_back({{"image_id", 1}, {"category_id", 1}, {"bbox", {40, 40, 20, 20}}, {"score", 0.05}});
  std::ofstream(dir + "/dets.json") << dets.dump();
  const std::string data = coco_dataset_options(dir) + " --set train.max_steps=1";
  const auto train = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + dir + "/run" + data);
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  const std::string ck = dir + "/run/checkpoints/last.safetensors";

  const auto eval = run_sar("eval --checkpoint " + ck + " --device cpu --ann " + dir + "/coco.json"
                            " --images " + dir + " --dets " + dir + "/dets.json --det-min-score 0.1 --no-flip --out " + dir +
                            "/res.json --json");
  INFO(eval.output);
  REQUIRE(eval.exit_code == 0);
  CHECK(eval.output.find("flip test off") != std::string::npos);
  CHECK(eval.output.find("\"AP\": ") != std::string::npos);
  const CocoKeypointGt gt = load_coco_gt(dir + "/coco.json");
  CHECK(load_coco_results(dir + "/res.json", gt).size() == 6);  // the 0.05 false positive is dropped
  // The same images under other keypoint names: a model of another data set, refused.
  nlohmann::json renamed = nlohmann::json::parse(file_bytes(dir + "/coco.json"));
  const std::string first = renamed["categories"][0]["keypoints"][0];
  renamed["categories"][0]["keypoints"][0] = "tail";
  std::ofstream(dir + "/renamed.json") << renamed.dump();
  const auto other = run_sar("eval --checkpoint " + ck + " --device cpu --ann " + dir + "/renamed.json --images " + dir +
                             " --out " + dir + "/other.json");
  CHECK(other.exit_code == 1);
  CHECK(other.output.find(ck + ": trained on other keypoints than this data set's (15 against 15; keypoint 0 is '" +
                          first + "' there, 'tail' here)") != std::string::npos);
  // Boxes for half of the people: the other half are unmatched, and the PCK line says so.
  nlohmann::json half = nlohmann::json::array();
  for (size_t i = 0; i < 3; ++i) half.push_back(dets[i]);
  std::ofstream(dir + "/half_dets.json") << half.dump();
  const auto missed = run_sar("eval --checkpoint " + ck + " --device cpu --ann " + dir + "/coco.json --images " + dir +
                              " --dets " + dir + "/half_dets.json --out " + dir + "/half.json");
  INFO(missed.output);
  CHECK(missed.output.find("of 6 people, 3 of them unmatched;") != std::string::npos);

  const auto no_checkpoint = run_sar("eval --checkpoint " + dir + "/nope.safetensors --out " + dir + "/r.json");
  CHECK(no_checkpoint.exit_code == 1);
  CHECK(no_checkpoint.output.find(dir + "/nope.safetensors") != std::string::npos);
  const auto no_ann = run_sar("eval --checkpoint " + ck + " --ann " + dir + "/missing.json --images " + dir +
                              " --out " + dir + "/r.json");
  CHECK(no_ann.exit_code == 1);
  CHECK(no_ann.output.find("missing.json") != std::string::npos);

  // An output that would destroy an input, or cannot be written, is refused before any work.
  const std::string coco = " --ann " + dir + "/coco.json --images " + dir;
  const auto over_input = run_sar("eval --checkpoint " + ck + coco + " --out " + ck);
  CHECK(over_input.exit_code == 1);
  CHECK(over_input.output.find("sar eval --out " + ck + ": is the input " + ck + " itself") != std::string::npos);
  const auto into_folder = run_sar("eval --checkpoint " + ck + coco + " --out " + dir);
  CHECK(into_folder.exit_code == 1);
  CHECK(into_folder.output.find(": is a folder; give a file name") != std::string::npos);
  const auto no_folder = run_sar("eval --checkpoint " + ck + coco + " --out " + dir + "/nowhere/r.json");
  CHECK(no_folder.exit_code == 1);
  CHECK(no_folder.output.find("cannot write into the folder " + dir + "/nowhere") != std::string::npos);
  CHECK(read_safetensors_index(ck).entries.size() > 0);  // still the checkpoint
  const auto min_score_alone = run_sar("eval --checkpoint " + ck + coco + " --det-min-score 0.5 --out " + dir + "/r.json");
  CHECK(min_score_alone.exit_code == 1);
  CHECK(min_score_alone.output.find("--det-min-score: filters detections, and there are none") != std::string::npos);
  // Detections that leave no one to evaluate say so.
  std::ofstream(dir + "/no_dets.json") << "[]";
  const auto no_boxes = run_sar("eval --checkpoint " + ck + coco + " --dets " + dir + "/no_dets.json --out " + dir +
                                "/r.json");
  INFO(no_boxes.output);
  CHECK(no_boxes.exit_code == 1);
  CHECK(no_boxes.output.find("the validation split has no one to evaluate: no box of " + dir + "/no_dets.json") !=
        std::string::npos);
}
