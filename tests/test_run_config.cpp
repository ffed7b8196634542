// run_config: reading and writing configs (defaults, every key's field, refusals that name the
// file and the key), --set overrides, every file in configs/, and what a run builds from a config
// (splits on synthetic data and on the hand-made COCO fixture, model and crop configs).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/error.h"
#include "tests/test_util.h"
#include "train/run_config.h"

using namespace sar;
using sar::test::error_of;
using nlohmann::json;

namespace {

// A config file holding `text`; removed when the test ends.
struct TempConfig {
  std::string path;
  explicit TempConfig(const std::string& text)
      : path(test::temp_path("config.json")) {
    std::ofstream(path) << text;
  }
  ~TempConfig() { std::remove(path.c_str()); }
};

json defaults() { return run_config_to_json(RunConfig{}); }

// The hand-made COCO fixture of tests/test_datasets.cpp as a config's data section.
RunConfig tiny_coco_config() {
  RunConfig config;
  config.data.dataset = "coco";
  config.data.root = "tests/data/datasets";
  config.data.train = {"tiny_coco.json", "images", "", 0};
  config.data.val = {"tiny_coco.json", "images", "", 0};
  return config;
}

std::vector<int64_t> annotation_ids(const SampleSource& source) {
  const auto& people = dynamic_cast<const KeypointSource&>(source).dataset().people;
  std::vector<int64_t> ids;
  for (const PersonRecord& person : people) ids.push_back(person.annotation_id);
  return ids;
}

}  // namespace

// ---- reading and writing ----

TEST_CASE("run_config: the defaults and a changed config round-trip through JSON") {
  CHECK(run_config_to_json(run_config_from_json(defaults(), "defaults")) == defaults());
  CHECK(run_config_from_json(json::object(), "empty").train.schedule.lr == RunConfig{}.train.schedule.lr);  // missing keys keep defaults

  RunConfig changed;
  changed.description = "x";
  changed.seed = 18446744073709551615ull;  // the largest seed survives JSON
  changed.model.head_config.input_h = 64;
  changed.data.dataset = "coco";
  changed.data.val.dets = "dets.json";
  changed.data.synthetic_train_samples = 7;
  changed.data.augment.rotate_factor = 30;
  changed.train.schedule.milestones = {1, 5};
  changed.train.schedule.lr = 1.0 / 3;  // needs every digit
  changed.eval.flip = false;
  const json written = run_config_to_json(changed);
  CHECK(written["seed"] == json(18446744073709551615ull));
  CHECK(written["model"]["input"] == json::array({64, 192}));
  CHECK(run_config_to_json(run_config_from_json(written, "changed")) == written);
  CHECK(run_config_from_json(written, "changed").train.schedule.lr == 1.0 / 3);
}

TEST_CASE("run_config: each key lands in its field") {
  const json config_json = json::parse(R"({
    "description": "d", "seed": 5,
    "model": {"backbone": "resnet18", "deconv_layers": 2, "deconv_channels": 64, "head": "heatmap",
              "input": [128, 96], "sar_heatmap": false, "offset_weight": 0.25, "offset_radius": 1,
              "pretrained": "r18.safetensors"},
    "data": {"dataset": "mpii", "root": "/r", "metric": "pckh", "pck_alpha": 0.5, "pck_norm": "bbox",
             "workers": 3, "skip_bad": false,
             "train": {"ann": "a.json", "images": "i"},
             "val": {"ann": "b.json", "images": "j", "dets": "d.json", "det_min_score": 0.25},
             "synthetic": {"train_samples": 11, "val_samples": 12, "image_size": [200, 100]},
             "augment": {"flip_prob": 0.1, "half_body_min_keypoints": 4, "scale_min": 0.7, "padding": 1.5, "sigma": 3}},
    "train": {"epochs": 9, "batch_size": 4, "max_steps": 1e3, "optimizer": "sgd", "lr": 0.01, "momentum": 0.8,
              "schedule": "cosine", "milestones": [], "warmup_iters": 0, "eval_every": 3},
    "eval": {"flip": false, "batch_size": 8, "nms_threshold": -1, "max_images": 10}
  })");
  const RunConfig c = run_config_from_json(config_json, "all.json");
  CHECK(c.description == "d");
  CHECK(c.seed == 5);
  CHECK(c.model.backbone == "resnet18");
  CHECK(c.model.deconv_layers == 2);
  CHECK(c.model.deconv_channels == 64);
  CHECK(c.model.head == "heatmap");
  CHECK(c.model.head_config.input_h == 128);
  CHECK(c.model.head_config.input_w == 96);
  CHECK(!c.model.sar_heatmap);
  CHECK(c.model.offset_weight == 0.25);
  CHECK(c.model.offset_radius == 1);
  CHECK(c.pretrained == "r18.safetensors");
  CHECK(c.data.dataset == "mpii");
  CHECK(c.data.root == "/r");
  CHECK(c.data.metric == "pckh");
  CHECK(c.data.pck_alpha == 0.5);
  CHECK(c.data.pck_norm == "bbox");
  CHECK(c.data.workers == 3);
  CHECK(!c.data.skip_bad);
  CHECK(c.data.train.ann == "a.json");
  CHECK(c.data.train.images == "i");
  CHECK(c.data.val.ann == "b.json");
  CHECK(c.data.val.images == "j");
  CHECK(c.data.val.dets == "d.json");
  CHECK(c.data.val.det_min_score == 0.25);
  CHECK(c.data.synthetic_train_samples == 11);
  CHECK(c.data.synthetic_val_samples == 12);
  CHECK(c.data.synthetic_image_h == 200);
  CHECK(c.data.synthetic_image_w == 100);
  CHECK(c.data.augment.flip_prob == 0.1);
  CHECK(c.data.augment.half_body_prob == TopdownConfig{}.half_body_prob);  // not in the file
  CHECK(c.data.augment.half_body_min_keypoints == 4);
  CHECK(c.data.augment.scale_min == 0.7);
  CHECK(c.data.augment.padding == 1.5);
  CHECK(c.data.augment.sigma == 3);
  CHECK(c.train.epochs == 9);
  CHECK(c.train.batch_size == 4);
  CHECK(c.train.max_steps == 1000);
  CHECK(c.train.optimizer.name == "sgd");
  CHECK(c.train.schedule.lr == 0.01);
  CHECK(c.train.optimizer.momentum == 0.8);
  CHECK(c.train.schedule.kind == "cosine");
  CHECK(c.train.schedule.milestones.empty());
  CHECK(c.train.schedule.warmup_iters == 0);
  CHECK(c.train.eval_every == 3);
  CHECK(!c.eval.flip);
  CHECK(c.eval.batch_size == 8);
  CHECK(c.eval.nms_threshold == -1);
  CHECK(c.eval.max_images == 10);
}

TEST_CASE("run_config: unknown keys, wrong types and values out of range name the file and the key") {
  auto error_for = [](const std::string& text) {
    return error_of([&] { run_config_from_json(json::parse(text), "configs/x.json"); });
  };
  CHECK(error_for(R"({"train": {"lr_rate": 1}})") ==
        "configs/x.json: train.lr_rate is not a config key (train has: epochs, batch_size, accumulate_batches, "
        "max_steps, optimizer, lr, "
        "beta1, beta2, eps, momentum, weight_decay, schedule, milestones, gamma, warmup_iters, warmup_factor, "
        "clip_grad_norm, eval_every, checkpoint_every_steps, log_every)");
  CHECK(error_for(R"({"modle": {}})") ==
        "configs/x.json: modle is not a config key (the top level has: description, seed, model, data, train, eval)");
  CHECK(error_for(R"({"data": {"val": {"det": ""}}})") ==
        "configs/x.json: data.val.det is not a config key (data.val has: ann, images, dets, det_min_score)");
  CHECK(error_for(R"({"train": {"lr": "1e-3"}})") == "configs/x.json: train.lr must be a number, got string \"1e-3\"");
  CHECK(error_for(R"({"train": {"epochs": 2.5}})") ==
        "configs/x.json: train.epochs must be an integer, got number 2.5");
  CHECK(error_for(R"({"eval": {"flip": 1}})") == "configs/x.json: eval.flip must be a boolean, got number 1");
  CHECK(error_for(R"({"data": {"train": "a.json"}})") ==
        "configs/x.json: data.train must be an object, got string \"a.json\"");
  CHECK(error_for(R"({"model": {"input": [256]}})") ==
        "configs/x.json: model.input must be [h, w], two integers > 0, got array [256]");
  CHECK(error_for(R"({"train": {"batch_size": 0}})") == "configs/x.json: train.batch_size must be >= 1, got 0");
  CHECK(error_for(R"({"train": {"lr": 0}})") == "configs/x.json: train.lr must be > 0, got 0");
  CHECK(error_for(R"({"train": {"beta2": 1}})") == "configs/x.json: train.beta2 must be in [0, 1), got 1");
  CHECK(error_for(R"({"data": {"augment": {"flip_prob": 1.5}}})") ==
        "configs/x.json: data.augment.flip_prob must be in [0, 1], got 1.5");
  CHECK(error_for(R"({"seed": -1})") == "configs/x.json: seed must be >= 0, got -1");
  CHECK(error_for(R"({"train": {"epochs": 1e12}})") ==
        "configs/x.json: train.epochs must be in [-2.14748e+09, 2.14748e+09] (its C++ type), got 1000000000000.0");
  CHECK(error_for(R"({"train": {"milestones": [200, 170]}})") ==
        "configs/x.json: train.milestones must be increasing epochs >= 0, got [200,170]");
  CHECK(error_for(R"({"train": {"optimizer": "adamw"}})") ==
        "configs/x.json: train.optimizer must be one of adam | sgd, got 'adamw'");
  CHECK(error_for(R"({"model": {"backbone": "resnet19"}})").rfind(
            "configs/x.json: model.backbone must be one of resnet18 | resnet34 | ", 0) == 0);
  CHECK(error_for(R"({"data": {"metric": "ap"}})") ==
        "configs/x.json: data.metric must be one of coco | pck | pckh, got 'ap'");
  CHECK(error_for(R"({"model": {"backbone": "hrnet_w32", "input": [256, 200]}})") ==
        "configs/x.json: model.input must be multiples of 32 (the backbone's stride), got [256, 200]");
  CHECK(error_for(R"({"data": {"augment": {"scale_min": 2}}})") ==
        "configs/x.json: data.augment.scale_min must be <= scale_max, got 2 > 1.5");
  CHECK(error_for("[1]") == "configs/x.json: a config must be a JSON object, got array [1]");
}

TEST_CASE("run_config: load_run_config names a missing file and one that is not JSON") {
  CHECK(error_of([] { load_run_config("/nonexistent/c.json"); }) ==
        "/nonexistent/c.json: cannot open (No such file or directory)");
  TempConfig broken("{\"train\": {\"lr\": }");
  CHECK(error_of([&] { load_run_config(broken.path); }).rfind(broken.path + ": not valid JSON: ", 0) == 0);
  TempConfig typo(R"({"train": {"epoch": 3}})");
  CHECK(error_of([&] { load_run_config(typo.path); }).rfind(typo.path + ": train.epoch is not a config key", 0) == 0);
}

TEST_CASE("run_config: a key set twice in one object is refused by its full name") {
  TempConfig twice(R"({"seed": 1, "seed": 2})");
  CHECK(error_of([&] { load_run_config(twice.path); }) ==
        twice.path + ": seed is set twice (JSON keeps only the last; remove one)");
  TempConfig nested(R"({"model": {"head": "sar"}, "data": {"augment": {"sigma": 2, "sigma": 3}}})");
  CHECK(error_of([&] { load_run_config(nested.path); }) ==
        nested.path + ": data.augment.sigma is set twice (JSON keeps only the last; remove one)");
  TempConfig apart(R"({"train": {"batch_size": 4}, "eval": {"batch_size": 2}, "data": {"val": {}, "train": {}}})");
  CHECK(load_run_config(apart.path).train.batch_size == 4);  // the same name in other objects is no repeat
}

TEST_CASE("run_config: a data file named beside the synthetic data set is refused") {
  CHECK(error_of([] { run_config_from_json(json::parse(R"({"data": {"val": {"ann": "v.json"}}})"), "c.json"); }) ==
        "c.json: data.val.ann is set, but data.dataset is synthetic, which reads no files (set data.dataset to the "
        "files' format: coco, wholebody or mpii)");
  CHECK(error_of([] { run_config_from_json(json::parse("{}"), "c.json", {"data.val.dets=d.json"}); })
            .rfind("c.json --set data.val.dets=d.json: data.val.dets is set, but data.dataset is synthetic", 0) == 0);
}

// ---- --set ----

TEST_CASE("run_config: --set parses JSON values, falls back to strings, and refuses unknown keys") {
  json config_json = {{"train", {{"epochs", 3}}}};
  apply_override(&config_json, "train.lr=1e-3");                  // number
  apply_override(&config_json, "eval.flip=false");                // bool
  apply_override(&config_json, "model.input=[64,32]");            // array
  apply_override(&config_json, "data.root=/data/coco");           // not JSON: a string
  apply_override(&config_json, "model.pretrained=123");           // a string key keeps the text
  apply_override(&config_json, "data.dataset=coco");
  apply_override(&config_json, "data.val.dets=\"quoted.json\"");  // a quoted JSON string
  apply_override(&config_json, "data.synthetic.train_samples=5");  // nested, into a section the file lacks
  apply_override(&config_json, "train.epochs=4");                 // replaces the file's value
  apply_override(&config_json, "description=a=b");                // only the first '=' splits
  const RunConfig c = run_config_from_json(config_json, "x.json");
  CHECK(c.train.schedule.lr == 1e-3);
  CHECK(!c.eval.flip);
  CHECK(c.model.head_config.input_h == 64);
  CHECK(c.model.head_config.input_w == 32);
  CHECK(c.data.root == "/data/coco");
  CHECK(c.pretrained == "123");
  CHECK(c.data.val.dets == "quoted.json");
  CHECK(c.data.synthetic_train_samples == 5);
  CHECK(c.train.epochs == 4);
  CHECK(c.train.batch_size == RunConfig{}.train.batch_size);
  CHECK(c.description == "a=b");

  CHECK(error_of([&] { apply_override(&config_json, "train.lr"); }) ==
        "--set train.lr: expected key=value, e.g. --set train.lr=1e-3");
  CHECK(error_of([&] { apply_override(&config_json, "train.lrate=1"); })
            .rfind("--set train.lrate=1: train.lrate is not a config key (train has: epochs, ", 0) == 0);
  CHECK(error_of([&] { apply_override(&config_json, "=1"); }) ==
        "--set =1: expected key=value, e.g. --set train.lr=1e-3");
  CHECK(error_of([&] { apply_override(&config_json, "foo.bar=1"); })
            .rfind("--set foo.bar=1: foo.bar is not a config key (the top level has: description, seed, ", 0) == 0);
  CHECK(error_of([&] { apply_override(&config_json, "model={}"); }) ==
        "--set model={}: model is a section; set one of its keys (model.<key>=...)");
  CHECK(error_of([&] { apply_override(&config_json, "train.lr=fast"); }) ==
        "--set train.lr=fast: train.lr must be a number, got string \"fast\"");
  CHECK(error_of([&] { apply_override(&config_json, "train.batch_size=0"); }) ==
        "--set train.batch_size=0: train.batch_size must be >= 1, got 0");
  CHECK(config_json["train"]["batch_size"].is_null());  // a refused value is not stored

  TempConfig file(R"({"train": {"epochs": 3}})");
  CHECK(load_run_config(file.path, {"train.epochs=5", "train.epochs=6"}).train.epochs == 6);  // in order
  // keys that disagree are named with the overrides that may have made them disagree
  CHECK(error_of([&] { load_run_config(file.path, {"model.input=[30,30]", "train.lr=1"}); }) ==
        file.path + " --set model.input=[30,30] --set train.lr=1: model.input must be multiples of 32 (the backbone's "
                    "stride), got [30, 30]");
}

// ---- configs/ ----

TEST_CASE("run_config: every file in configs/ parses and builds a model config") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator("configs")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    const std::string path = entry.path().string();
    CAPTURE(path);
    const RunConfig config = load_run_config(path);
    CHECK(!config.description.empty());
    const ModelConfig model = model_config(config, 17);
    CHECK(model.head_config.num_keypoints == 17);
    CHECK(model.head_config.input_h == config.model.head_config.input_h);
    if (config.model.backbone.rfind("hrnet", 0) == 0) CHECK(model.deconv_layers == 0);
    // The data set's files are named (paths under data.root), except for synthetic data.
    if (config.data.dataset != "synthetic") {
      CHECK(!config.data.train.ann.empty());
      CHECK(!config.data.val.ann.empty());
    }
  }
  CHECK(files >= 10);
}

SHARED_DATA_TEST_CASE("run_config: the LSPET configs open the shared LSPET data") {
  const RunConfig config =
      load_run_config("configs/lspet_sar.json", {"data.root=" + *test::shared_data_dir() + "/lspet"});
  const auto train = open_split(config, Split::Train);
  CHECK(train->size() == 8000);
  CHECK(train->meta().num_keypoints() == 14);
  CHECK(open_split(config, Split::Val)->size() == 1000);
}

// ---- what a run builds ----

TEST_CASE("run_config: open_split on synthetic data gives the configured sizes, val other figures than train") {
  RunConfig config;
  config.seed = 3;
  config.data.synthetic_train_samples = 5;
  config.data.synthetic_val_samples = 2;
  config.data.synthetic_image_h = 64;
  config.data.synthetic_image_w = 96;
  const auto train = open_split(config, Split::Train);
  const auto val = open_split(config, Split::Val);
  CHECK(train->size() == 5);
  CHECK(val->size() == 2);
  Image train_image, val_image;
  PersonRecord train_person, val_person;
  train->get(0, &train_image, &train_person);
  val->get(0, &val_image, &val_person);
  CHECK(train_image.height == 64);
  CHECK(train_image.width == 96);
  CHECK(train_person.keypoints != val_person.keypoints);
  CHECK(train->meta().num_keypoints() == 15);
}

TEST_CASE("run_config: open_split on the COCO fixture: train drops people without keypoints, val keeps them") {
  RunConfig config = tiny_coco_config();
  const auto train = open_split(config, Split::Train);
  CHECK(annotation_ids(*train) == std::vector<int64_t>{1, 4, 8});
  CHECK(dynamic_cast<const KeypointSource&>(*train).dataset().image_root == "tests/data/datasets/images");
  CHECK(annotation_ids(*open_split(config, Split::Val)) == std::vector<int64_t>{1, 3, 4, 8});

  // With detections, val is the detector's boxes (tiny_dets.json: 3 usable, one scoring 0.01).
  config.data.val.dets = "tiny_dets.json";
  CHECK(open_split(config, Split::Val)->size() == 3);
  config.data.val.det_min_score = 0.1;
  CHECK(open_split(config, Split::Val)->size() == 2);
  CHECK(open_split(config, Split::Train)->size() == 3);  // training ignores the detections
}

TEST_CASE("run_config: open_split reads MPII's json for dataset mpii") {
  RunConfig config = tiny_coco_config();
  config.data.dataset = "mpii";
  config.data.train.ann = config.data.val.ann = "tiny_mpii.json";
  const auto train = open_split(config, Split::Train);
  CHECK(train->size() == 2);  // the third person has no labelled joint
  CHECK(train->meta().num_keypoints() == 16);
  CHECK(open_split(config, Split::Val)->size() == 3);
}

TEST_CASE("run_config: open_split names a missing file by its config key") {
  RunConfig config = tiny_coco_config();
  const std::string root_hint = "; data.root is tests/data/datasets (--set data.root=DIR points elsewhere)";
  config.data.val.ann = "nope.json";
  CHECK(error_of([&] { open_split(config, Split::Val); }) ==
        "data.val.ann: tests/data/datasets/nope.json does not exist" + root_hint);
  config.data.train.images = "no_folder";
  CHECK(error_of([&] { open_split(config, Split::Train); }) ==
        "data.train.images: tests/data/datasets/no_folder is not a folder" + root_hint);
  config.data.val.ann = "tiny_coco.json";
  config.data.val.dets = "no_dets.json";
  CHECK(error_of([&] { open_split(config, Split::Val); }) ==
        "data.val.dets: tests/data/datasets/no_dets.json does not exist" + root_hint);
  config.data.root = "";
  CHECK(error_of([&] { open_split(config, Split::Val); }) ==
        "data.val.ann: tiny_coco.json does not exist; data.root is not set, so the path is relative to the "
        "current directory (--set data.root=DIR)");
  config.data.val.ann = "/nonexistent/val.json";  // absolute: no hint
  CHECK(error_of([&] { open_split(config, Split::Val); }) == "data.val.ann: /nonexistent/val.json does not exist");
  config.data.train.ann = "";
  CHECK(error_of([&] { open_split(config, Split::Train); }) ==
        "data.train.ann is empty: data set 'coco' needs an annotation file");
}

TEST_CASE("run_config: data_path, model_config and crop_config") {
  RunConfig config;
  CHECK(data_path(config, "a/b.json") == "a/b.json");
  config.data.root = "/data/coco/";
  CHECK(data_path(config, "a/b.json") == "/data/coco/a/b.json");
  CHECK(data_path(config, "/abs/b.json") == "/abs/b.json");

  config.model.backbone = "hrnet_w32";
  config.model.head_config.input_h = 128;
  config.model.head_config.input_w = 96;
  const ModelConfig model = model_config(config, 14);
  CHECK(model.deconv_layers == 0);
  CHECK(model.head_config.num_keypoints == 14);
  CHECK(model.head_config.input_h == 128);
  config.model.backbone = "resnet18";
  CHECK(model_config(config, 14).deconv_layers == 3);

  config.data.augment.rotate_factor = 20;
  config.data.augment.sigma = 3;
  const TopdownConfig train = crop_config(config, Split::Train, 4, true);
  CHECK(train.train);
  CHECK(train.input_h == 128);
  CHECK(train.input_w == 96);
  CHECK(train.aspect == 0.75);
  CHECK(train.map_h == 32);
  CHECK(train.map_w == 24);
  CHECK(train.rotate_factor == 20);
  CHECK(train.sigma == 3);
  CHECK(train.with_heatmaps);
  const TopdownConfig val = crop_config(config, Split::Val, 8, false);
  CHECK(!val.train);
  CHECK(val.map_h == 16);
  CHECK(val.map_w == 12);
  CHECK(val.sigma == 3);
  CHECK(!val.with_heatmaps);
  CHECK(error_of([&] { crop_config(config, Split::Val, 64, false); }) ==
        "crop_config: model.input [128, 96] must be a multiple of the feature stride, got 64");
}
