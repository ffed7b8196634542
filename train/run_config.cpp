// run_config.cpp: the config schema (one table of keys, each bound to its RunConfig field, that
// both reading and writing walk), --set overrides, and what a run builds from its config.
#include "train/run_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/input_file.h"

namespace sar {

namespace {

using nlohmann::json;

// One config key: its dotted path, its field as JSON, and the setter that checks a JSON value's
// type and range (throwing "<where>: <path> must be ..., got ...") before storing it.
struct Key {
  std::string path;
  std::function<json()> get;
  std::function<void(const json& value, const std::string& where)> set;
};

// The JSON value a message quotes: its type and (the start of) its text.
std::string describe(const json& value) {
  // A --set value is the user's text, not parsed JSON: a non-UTF-8 byte is shown as U+FFFD, not thrown.
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// The numbers a key accepts: an interval, each end open or closed.
struct Range {
  double min = -kInf, max = kInf;
  bool min_open = false, max_open = false;

  bool contains(double x) const { return (min_open ? x > min : x >= min) && (max_open ? x < max : x <= max); }
  std::string text() const {
    if (max == kInf) return cat(min_open ? "> " : ">= ", min);
    if (min == -kInf) return cat(max_open ? "< " : "<= ", max);
    return cat("in ", min_open ? "(" : "[", min, ", ", max, max_open ? ")" : "]");
  }
};
Range at_least(double min) { return {min}; }
Range above(double min) { return {min, kInf, true}; }
Range between(double min, double max) { return {min, max}; }
Range at_most(double max) { return {-kInf, max}; }
const Range kProbability = between(0, 1);
const Range kFraction = {0, 1, false, true};          // [0, 1): Adam's betas, momentum
const Range kPositiveFraction = {0, 1, true, false};  // (0, 1]: pck_alpha, warmup_factor

bool is_integer(const json& value) {
  if (value.is_number_integer()) return true;
  return value.is_number_float() && std::floor(value.get<double>()) == value.get<double>();
}

// An integral JSON number as an Int, refused (naming the key) unless the type holds it: converting
// a double past an integer type's range is undefined behaviour.
template <typename Int>
Int integer_value(const json& value, const std::string& path, const std::string& where) {
  SAR_CHECK(is_integer(value), where, ": ", path, " must be an integer, got ", describe(value));
  const Range fits = between(double(std::numeric_limits<Int>::min()), double(std::numeric_limits<Int>::max()));
  // double(max) of a 64-bit Int is 2^digits, past what it holds: a float must stay below it, an
  // unsigned integer is compared exactly.
  const uint64_t max = uint64_t(std::numeric_limits<Int>::max());
  const bool holds = value.is_number_float() ? value.get<double>() < std::ldexp(1.0, std::numeric_limits<Int>::digits)
                                             : !value.is_number_unsigned() || value.get<uint64_t>() <= max;
  SAR_CHECK(fits.contains(value.get<double>()) && holds, where, ": ", path, " must be ", fits.text(),
            " (its C++ type), got ", value.dump());
  return value.is_number_float() ? Int(value.get<double>()) : value.get<Int>();
}

// An integer key of any integer type (1e3 is accepted: it is integral).
template <typename Int>
Key integer_key(const std::string& path, Int* field, Range range) {
  return {path, [field] { return json(*field); },
          [path, field, range](const json& value, const std::string& where) {
            SAR_CHECK(is_integer(value), where, ": ", path, " must be an integer, got ", describe(value));
            SAR_CHECK(range.contains(value.get<double>()), where, ": ", path, " must be ", range.text(), ", got ",
                      value.dump());
            *field = integer_value<Int>(value, path, where);
          }};
}

Key number_key(const std::string& path, double* field, Range range) {
  return {path, [field] { return json(*field); },
          [path, field, range](const json& value, const std::string& where) {
            SAR_CHECK(value.is_number(), where, ": ", path, " must be a number, got ", describe(value));
            SAR_CHECK(range.contains(value.get<double>()), where, ": ", path, " must be ", range.text(), ", got ",
                      value.dump());
            *field = value.get<double>();
          }};
}

Key bool_key(const std::string& path, bool* field) {
  return {path, [field] { return json(*field); },
          [path, field](const json& value, const std::string& where) {
            SAR_CHECK(value.is_boolean(), where, ": ", path, " must be a boolean, got ", describe(value));
            *field = value.get<bool>();
          }};
}

// A string key; with `choices`, only those values.
Key string_key(const std::string& path, std::string* field, const std::vector<std::string>& choices = {}) {
  return {path, [field] { return json(*field); },
          [path, field, choices](const json& value, const std::string& where) {
            SAR_CHECK(value.is_string(), where, ": ", path, " must be a string, got ", describe(value));
            const std::string text = value.get<std::string>();
            if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
              std::string known;
              for (const std::string& choice : choices) known += (known.empty() ? "" : " | ") + choice;
              SAR_THROW(where, ": ", path, " must be one of ", known, ", got '", text, "'");
            }
            *field = text;
          }};
}

// An image size [h, w], stored in two int fields.
Key size_key(const std::string& path, int* h, int* w) {
  return {path, [h, w] { return json::array({*h, *w}); },
          [path, h, w](const json& value, const std::string& where) {
            SAR_CHECK(value.is_array() && value.size() == 2 && is_integer(value[0]) && is_integer(value[1]) &&
                          value[0].get<double>() > 0 && value[1].get<double>() > 0,
                      where, ": ", path, " must be [h, w], two integers > 0, got ", describe(value));
            *h = integer_value<int>(value[0], path, where);
            *w = integer_value<int>(value[1], path, where);
          }};
}

// Epoch milestones: integers >= 0, strictly increasing.
Key milestones_key(const std::string& path, std::vector<int>* field) {
  return {path, [field] { return json(*field); },
          [path, field](const json& value, const std::string& where) {
            SAR_CHECK(value.is_array() && std::all_of(value.begin(), value.end(), is_integer), where, ": ", path,
                      " must be an array of integers, got ", describe(value));
            std::vector<int> epochs;
            for (const json& epoch : value) epochs.push_back(integer_value<int>(epoch, path, where));
            for (size_t i = 0; i < epochs.size(); ++i)
              SAR_CHECK(epochs[i] >= 0 && (i == 0 || epochs[i] > epochs[i - 1]), where, ": ", path,
                        " must be increasing epochs >= 0, got ", value.dump());
            *field = epochs;
          }};
}

// Every key of the schema, bound to the fields of *c (the order messages list a section's keys in).
std::vector<Key> config_keys(RunConfig* c) {
  ModelConfig& m = c->model;
  DataConfig& d = c->data;
  TopdownConfig& a = d.augment;
  TrainConfig& t = c->train;
  EvalConfig& e = c->eval;
  return {
      string_key("description", &c->description),
      integer_key("seed", &c->seed, at_least(0)),
      string_key("model.backbone", &m.backbone, backbone_names()),
      integer_key("model.deconv_layers", &m.deconv_layers, between(0, 5)),
      integer_key("model.deconv_channels", &m.deconv_channels, at_least(1)),
      string_key("model.head", &m.head, head_names()),
      size_key("model.input", &m.head_config.input_h, &m.head_config.input_w),
      bool_key("model.sar_heatmap", &m.sar_heatmap),
      number_key("model.offset_weight", &m.offset_weight, at_least(0)),
      integer_key("model.offset_radius", &m.offset_radius, at_least(0)),
      string_key("model.pretrained", &c->pretrained),
      string_key("data.dataset", &d.dataset, {"synthetic", "coco", "wholebody", "mpii"}),
      string_key("data.root", &d.root),
      string_key("data.metric", &d.metric, {"coco", "pck", "pckh"}),
      number_key("data.pck_alpha", &d.pck_alpha, kPositiveFraction),
      string_key("data.pck_norm", &d.pck_norm, {"torso", "bbox"}),
      integer_key("data.workers", &d.workers, at_least(1)),
      bool_key("data.skip_bad", &d.skip_bad),
      string_key("data.train.ann", &d.train.ann),
      string_key("data.train.images", &d.train.images),
      string_key("data.val.ann", &d.val.ann),
      string_key("data.val.images", &d.val.images),
      string_key("data.val.dets", &d.val.dets),
      number_key("data.val.det_min_score", &d.val.det_min_score, kProbability),
      integer_key("data.synthetic.train_samples", &d.synthetic_train_samples, at_least(1)),
      integer_key("data.synthetic.val_samples", &d.synthetic_val_samples, at_least(1)),
      size_key("data.synthetic.image_size", &d.synthetic_image_h, &d.synthetic_image_w),
      number_key("data.augment.flip_prob", &a.flip_prob, kProbability),
      number_key("data.augment.half_body_prob", &a.half_body_prob, kProbability),
      integer_key("data.augment.half_body_min_keypoints", &a.half_body_min_keypoints, at_least(0)),
      number_key("data.augment.shift_factor", &a.shift_factor, at_least(0)),
      number_key("data.augment.shift_prob", &a.shift_prob, kProbability),
      number_key("data.augment.scale_factor", &a.scale_factor, at_least(0)),
      number_key("data.augment.scale_min", &a.scale_min, above(0)),
      number_key("data.augment.scale_max", &a.scale_max, above(0)),
      number_key("data.augment.scale_prob", &a.scale_prob, kProbability),
      number_key("data.augment.rotate_factor", &a.rotate_factor, between(0, 180)),
      number_key("data.augment.rotate_prob", &a.rotate_prob, kProbability),
      number_key("data.augment.padding", &a.padding, above(0)),
      number_key("data.augment.sigma", &a.sigma, above(0)),
      integer_key("train.epochs", &t.epochs, at_least(1)),
      integer_key("train.batch_size", &t.batch_size, at_least(1)),
      integer_key("train.accumulate_batches", &t.accumulate_batches, at_least(1)),
      integer_key("train.max_steps", &t.max_steps, at_least(0)),
      string_key("train.optimizer", &t.optimizer.name, {"adam", "sgd"}),
      number_key("train.lr", &t.schedule.lr, above(0)),
      number_key("train.beta1", &t.optimizer.beta1, kFraction),
      number_key("train.beta2", &t.optimizer.beta2, kFraction),
      number_key("train.eps", &t.optimizer.eps, above(0)),
      number_key("train.momentum", &t.optimizer.momentum, kFraction),
      number_key("train.weight_decay", &t.optimizer.weight_decay, at_least(0)),
      string_key("train.schedule", &t.schedule.kind, {"step", "cosine"}),
      milestones_key("train.milestones", &t.schedule.milestones),
      number_key("train.gamma", &t.schedule.gamma, above(0)),
      integer_key("train.warmup_iters", &t.schedule.warmup_iters, at_least(0)),
      number_key("train.warmup_factor", &t.schedule.warmup_factor, kPositiveFraction),
      number_key("train.clip_grad_norm", &t.clip_grad_norm, at_least(0)),
      integer_key("train.eval_every", &t.eval_every, at_least(1)),
      integer_key("train.checkpoint_every_steps", &t.checkpoint_every_steps, at_least(0)),
      integer_key("train.log_every", &t.log_every, at_least(1)),
      bool_key("eval.flip", &e.flip),
      integer_key("eval.batch_size", &e.batch_size, at_least(1)),
      number_key("eval.rescore_threshold", &e.rescore_threshold, kProbability),
      number_key("eval.nms_threshold", &e.nms_threshold, at_most(1)),
      integer_key("eval.max_images", &e.max_images, at_least(0)),
  };
}

const Key* find_key(const std::vector<Key>& keys, const std::string& path) {
  for (const Key& key : keys)
    if (key.path == path) return &key;
  return nullptr;
}

// Whether `path` is a section (an object holding keys), e.g. "data.val".
bool is_section(const std::vector<Key>& keys, const std::string& path) {
  return path.empty() || std::any_of(keys.begin(), keys.end(),
                                     [&](const Key& key) { return key.path.rfind(path + ".", 0) == 0; });
}

// The section holding `path`: "data.val" for "data.val.ann", "" (the top level) for "seed".
std::string parent_of(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

// The error for a key the schema does not have: names it and lists its section's keys.
[[noreturn]] void throw_unknown_key(const std::vector<Key>& keys, const std::string& where, const std::string& path) {
  std::string section = parent_of(path);
  while (!is_section(keys, section)) section = parent_of(section);  // --set foo.bar=1 lists the top level
  const std::string prefix = section.empty() ? "" : section + ".";
  std::vector<std::string> names;
  for (const Key& key : keys) {
    if (key.path.rfind(prefix, 0) != 0) continue;
    const std::string rest = key.path.substr(prefix.size());
    const std::string name = rest.substr(0, rest.find('.'));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::string listed;
  for (const std::string& name : names) listed += (listed.empty() ? "" : ", ") + name;
  SAR_THROW(where, ": ", path, " is not a config key (", section.empty() ? "the top level" : section, " has: ", listed,
            ")");
}

// Reads the object `section` (at dotted path `prefix`) into the keys' fields, recursively.
void read_section(const json& section, const std::string& prefix, const std::vector<Key>& keys,
                  const std::string& where) {
  for (const auto& [name, value] : section.items()) {
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (const Key* key = find_key(keys, path)) {
      key->set(value, where);
    } else if (is_section(keys, path)) {
      SAR_CHECK(value.is_object(), where, ": ", path, " must be an object, got ", describe(value));
      read_section(value, path, keys, where);
    } else {
      throw_unknown_key(keys, where, path);
    }
  }
}

// What no single key can check: sizes that must agree with each other.
void check_consistency(const RunConfig& c, const std::string& where) {
  const HeadConfig& input = c.model.head_config;
  // Every backbone halves the input 5 times; other sides would give feature maps whose size is
  // not input / stride (HRNet's branches would not even fit back onto each other).
  SAR_CHECK(input.input_h % 32 == 0 && input.input_w % 32 == 0, where, ": model.input must be multiples of 32 (the ",
            "backbone's stride), got [", input.input_h, ", ", input.input_w, "]");
  // The synthetic data set reads no files: a path set beside it would be ignored without a word.
  if (c.data.dataset == "synthetic") {
    const DataConfig& d = c.data;
    for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"data.train.ann", d.train.ann},
                                     {"data.train.images", d.train.images}, {"data.val.ann", d.val.ann},
                                     {"data.val.images", d.val.images}, {"data.val.dets", d.val.dets}})
      SAR_CHECK(value.empty(), where, ": ", key, " is set, but data.dataset is synthetic, which reads no files ",
                "(set data.dataset to the files' format: coco, wholebody or mpii)");
  }
  SAR_CHECK(c.data.augment.scale_min <= c.data.augment.scale_max, where,
            ": data.augment.scale_min must be <= scale_max, got ", c.data.augment.scale_min, " > ",
            c.data.augment.scale_max);
}

json::json_pointer pointer_of(const std::string& path) {
  std::string text = "/" + path;
  std::replace(text.begin(), text.end(), '.', '/');
  return json::json_pointer(text);
}

bool is_hrnet(const std::string& backbone) { return backbone.rfind("hrnet", 0) == 0; }

// A data file or folder the config names under `key` (data.val.ann, ...), resolved against
// data.root; throws naming the key when it is not there.
std::string existing_path(const RunConfig& config, const std::string& key, const std::string& path, bool folder) {
  const std::string resolved = data_path(config, path);
  // An empty folder path names the current directory (image file names relative to it).
  const bool found = folder ? std::filesystem::is_directory(resolved.empty() ? "." : resolved)
                            : std::filesystem::is_regular_file(resolved);
  if (found) return resolved;
  std::string hint;
  if (!config.data.root.empty())
    hint = cat("; data.root is ", config.data.root, " (--set data.root=DIR points elsewhere)");
  else if (path.empty() || path[0] != '/')
    hint = "; data.root is not set, so the path is relative to the current directory (--set data.root=DIR)";
  SAR_THROW(key, ": ", resolved, folder ? " is not a folder" : " does not exist", hint);
}

}  // namespace

RunConfig run_config_from_json(json config_json, const std::string& source, const std::vector<std::string>& overrides) {
  SAR_CHECK(config_json.is_object(), source, ": a config must be a JSON object, got ", describe(config_json));
  for (const std::string& assignment : overrides) apply_override(&config_json, assignment);
  RunConfig config;
  const std::vector<Key> keys = config_keys(&config);
  read_section(config_json, "", keys, source);  // each override was checked on its own: a key's error is the source's
  std::string combined = source;  // keys that disagree may come from either
  for (const std::string& assignment : overrides) combined += " --set " + assignment;
  check_consistency(config, combined);
  return config;
}

json run_config_to_json(const RunConfig& config) {
  RunConfig copy = config;  // the keys bind to a mutable config; writing only reads them
  json out = json::object();
  for (const Key& key : config_keys(&copy)) out[pointer_of(key.path)] = key.get();
  return out;
}

void apply_override(json* config_json, const std::string& assignment) {
  const std::string where = "--set " + assignment;
  const size_t equals = assignment.find('=');
  SAR_CHECK(equals != std::string::npos && equals > 0, where, ": expected key=value, e.g. --set train.lr=1e-3");
  const std::string path = assignment.substr(0, equals), text = assignment.substr(equals + 1);
  RunConfig scratch;
  const std::vector<Key> keys = config_keys(&scratch);
  const Key* key = find_key(keys, path);
  if (!key) {
    SAR_CHECK(!is_section(keys, path), where, ": ", path, " is a section; set one of its keys (", path, ".<key>=...)");
    throw_unknown_key(keys, where, path);
  }
  // A string key takes the text as it is (--set data.root=/data/coco, --set model.pretrained=123.st)
  // unless it is a quoted JSON string; any other key takes the text as JSON, and text that is not
  // JSON as a string, which the key's check then refuses naming both types.
  const bool string_field = key->get().is_string();
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded() || (string_field && !value.is_string())) value = text;
  key->set(value, where);  // type and range checked here, so the message names the override
  try {
    (*config_json)[pointer_of(path)] = value;
  } catch (const json::exception&) {  // a section on the way is not an object
    SAR_THROW(where, ": the config holds something other than an object on the way to ", path);
  }
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in = open_input_file(path, std::ios::in);
  // A key written twice in one object: JSON parsers keep the last, so the first would be
  // ignored without a word (an edited config that still holds the old value above).
  struct Object {
    std::set<std::string> keys;
    std::string last;  // the key being read: the name of a section that opens under it
  };
  std::vector<Object> open;
  const json::parser_callback_t refuse_duplicates = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open.push_back({});
    if (event == json::parse_event_t::object_end) open.pop_back();
    if (event == json::parse_event_t::key) {
      const std::string key = parsed.get<std::string>();
      std::string name;  // model.input: the sections it is in, then the key
      for (size_t i = 0; i + 1 < open.size(); ++i) name += open[i].last + ".";
      SAR_CHECK(open.back().keys.insert(key).second, path, ": ", name, key,
                " is set twice (JSON keeps only the last; remove one)");
      open.back().last = key;
    }
    return true;
  };
  json config_json;
  try {
    config_json = json::parse(in, refuse_duplicates);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number past double's range (1e999)
    SAR_THROW(path, ": not valid JSON: ", e.what());
  }
  return run_config_from_json(std::move(config_json), path, overrides);
}

std::string data_path(const RunConfig& config, const std::string& path) {
  return image_file(config.data.root, path);
}

std::shared_ptr<SampleSource> open_split(const RunConfig& config, Split split) {
  const DataConfig& data = config.data;
  const bool train = split == Split::Train;
  if (data.dataset == "synthetic") {
    SyntheticConfig synthetic;
    synthetic.num_samples = train ? data.synthetic_train_samples : data.synthetic_val_samples;
    synthetic.image_h = data.synthetic_image_h;
    synthetic.image_w = data.synthetic_image_w;
    synthetic.seed = train ? config.seed : config.seed + 1;  // val: other figures than training's
    return std::make_shared<SyntheticSource>(synthetic);
  }
  const std::string name = train ? "data.train" : "data.val";
  const SplitConfig& files = train ? data.train : data.val;
  SAR_CHECK(!files.ann.empty(), name, ".ann is empty: data set '", data.dataset, "' needs an annotation file");
  const std::string ann = existing_path(config, name + ".ann", files.ann, false);
  const std::string images = existing_path(config, name + ".images", files.images, true);
  // Training drops people without labelled keypoints (SAR_SPEC §4); evaluation keeps everyone.
  const int min_keypoints = train ? 1 : 0;
  KeypointDataset dataset;
  if (data.dataset == "mpii") {
    MpiiLoadOptions options;
    options.skip_bad = data.skip_bad;
    options.min_keypoints = min_keypoints;
    dataset = load_mpii_json(ann, images, options);
  } else {
    CocoLoadOptions options;
    options.skip_bad = data.skip_bad;
    options.min_keypoints = min_keypoints;
    dataset = data.dataset == "wholebody" ? load_coco_wholebody(ann, images, options)
                                          : load_coco_keypoints(ann, images, options);
  }
  if (dataset.skipped > 0)
    std::fprintf(stderr, "%s: %lld bad entries skipped (data.skip_bad)\n", ann.c_str(), (long long)dataset.skipped);
  if (!train && !files.dets.empty()) {
    DetectionLoadOptions options;
    options.skip_bad = data.skip_bad;
    options.min_score = float(files.det_min_score);
    const std::string dets = existing_path(config, name + ".dets", files.dets, false);
    dataset = load_detections(dets, dataset, options);
    if (dataset.skipped > 0)  // e.g. the detections of another data set's images
      std::fprintf(stderr, "%s: %lld of its detections skipped (data.skip_bad); is it this data set's file?\n",
                   dets.c_str(), (long long)dataset.skipped);
  }
  return std::make_shared<KeypointSource>(std::move(dataset));
}

ModelConfig model_config(const RunConfig& config, int num_keypoints) {
  ModelConfig model = config.model;
  model.head_config.num_keypoints = num_keypoints;
  if (is_hrnet(model.backbone)) model.deconv_layers = 0;  // HRNet ends at stride 4 already (as `sar info`)
  return model;
}

TopdownConfig crop_config(const RunConfig& config, Split split, int feature_stride, bool with_heatmaps) {
  const HeadConfig& input = config.model.head_config;
  SAR_CHECK(feature_stride > 0 && input.input_h % feature_stride == 0 && input.input_w % feature_stride == 0,
            "crop_config: model.input [", input.input_h, ", ", input.input_w, "] must be a multiple of the feature ",
            "stride, got ", feature_stride);
  TopdownConfig crop = config.data.augment;
  crop.train = split == Split::Train;
  crop.input_h = input.input_h;
  crop.input_w = input.input_w;
  crop.aspect = double(input.input_w) / input.input_h;
  crop.map_h = input.input_h / feature_stride;
  crop.map_w = input.input_w / feature_stride;
  crop.with_heatmaps = with_heatmaps;
  return crop;
}

}  // namespace sar
