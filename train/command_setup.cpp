// command_setup.cpp: see command_setup.h.
#include "train/command_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "core/device.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "train/train_checkpoint.h"

namespace sar {

namespace {

// The config a checkpoint carries (sar train writes it into both of its files), if any.
std::optional<RunConfig> carried_config(const std::string& checkpoint_path, const std::vector<std::string>& overrides) {
  const std::map<std::string, std::string>& metadata = read_safetensors_index(checkpoint_path).metadata;
  auto it = metadata.find("config");
  if (it == metadata.end()) return std::nullopt;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    SAR_THROW(checkpoint_path, ": its metadata 'config' is not JSON: ", e.what());
  }
  return run_config_from_json(std::move(json), checkpoint_path + " (metadata 'config')", overrides);
}

}  // namespace

RunConfig command_config(const std::string& command, const std::string& config_path,
                         const std::string& checkpoint_path, const std::vector<std::string>& overrides) {
  if (!config_path.empty()) return load_run_config(config_path, overrides);
  SAR_CHECK(!checkpoint_path.empty(), command, ": --config or --checkpoint is required; see ", command, " --help");
  std::optional<RunConfig> config = carried_config(checkpoint_path, overrides);
  SAR_CHECK(config.has_value(), command, ": ", checkpoint_path,
            " carries no config (a converted or foreign weights file): give --config");
  return *config;
}

void note_input_size(const std::string& command, const RunConfig& config, const std::string& config_path,
                     const std::string& checkpoint_path) {
  if (config_path.empty()) return;  // the checkpoint's own config: its own input size
  const std::optional<RunConfig> trained = carried_config(checkpoint_path, {});
  if (!trained) return;
  const HeadConfig &now = config.model.head_config, &then = trained->model.head_config;
  if (then.input_h != now.input_h || then.input_w != now.input_w)
    std::fprintf(stderr, "%s: note: %s was trained at %dx%d; --config %s runs it at %dx%d\n", command.c_str(),
                 checkpoint_path.c_str(), then.input_h, then.input_w, config_path.c_str(), now.input_h, now.input_w);
}

Device command_device(const std::string& spec) {
  std::string choice;
  const Device device = resolve_device(spec, &choice);
  std::fprintf(stderr, "%s\n", choice.c_str());
  return device;
}

std::unique_ptr<PoseModel> trained_model(const RunConfig& config, const DatasetMeta& meta,
                                         const std::string& checkpoint, Device device) {
  // A model of another data set with as many keypoints would load, and score the wrong joints.
  const std::map<std::string, std::string> metadata = read_safetensors_index(checkpoint).metadata;
  if (const auto names = metadata.find("keypoint_names"); names != metadata.end()) {
    std::vector<std::string> trained;
    try {
      trained = nlohmann::json::parse(names->second).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      SAR_THROW(checkpoint, ": its metadata 'keypoint_names' is not a JSON list of names: ", e.what());
    }
    const std::vector<std::string>& here = meta.keypoint_names;
    size_t k = 0;
    while (k < trained.size() && k < here.size() && trained[k] == here[k]) ++k;
    SAR_CHECK(trained == here, checkpoint, ": trained on other keypoints than this data set's (", trained.size(),
              " against ", here.size(), "; keypoint ", k, " is '", k < trained.size() ? trained[k] : "-",
              "' there, '", k < here.size() ? here[k] : "-", "' here): a model of another data set");
  }
  const int num_keypoints = meta.num_keypoints();
  Generator gen(config.seed);
  auto model = std::make_unique<PoseModel>(model_config(config, num_keypoints), gen);
  try {
    model->load_state(checkpoint_model_state(checkpoint));
  } catch (const Error& e) {
    SAR_THROW(checkpoint, ": does not fit the model of this config and data set (", num_keypoints,
              " keypoints: a model trained on another data set does not fit): ", e.message());
  }
  model->to(device);
  model->eval();
  return model;
}

void check_output_path(const std::string& command, const std::string& out, const std::vector<std::string>& inputs) {
  struct stat target;
  const bool exists = ::stat(out.c_str(), &target) == 0;
  SAR_CHECK(!exists || !S_ISDIR(target.st_mode), command, " --out ", out, ": is a folder; give a file name");
  for (const std::string& input : inputs) {
    struct stat in;
    SAR_CHECK(!exists || input.empty() || ::stat(input.c_str(), &in) != 0 || in.st_dev != target.st_dev ||
                  in.st_ino != target.st_ino,
              command, " --out ", out, ": is the input ", input, " itself; choose another name");
  }
  const size_t slash = out.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : out.substr(0, slash);
  SAR_CHECK(::access(folder.c_str(), W_OK) == 0, command, " --out ", out, ": cannot write into the folder ", folder,
            " (", std::strerror(errno), ")");
  // access() says yes to root everywhere, /sys and /proc included: a file written there proves it.
  // O_EXCL and the process id: a file of the user's that happens to have the name is never touched.
  const std::string probe = folder + "/.write_test." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  SAR_CHECK(fd >= 0, command, " --out ", out, ": cannot write into the folder ", folder, " (", std::strerror(errno),
            ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_png_output_path(const std::string& command, const std::string& out, const std::vector<std::string>& inputs) {
  std::string extension = out.size() >= 4 ? out.substr(out.size() - 4) : "";
  for (char& c : extension) c = char(std::tolower(static_cast<unsigned char>(c)));
  SAR_CHECK(extension == ".png", command, " --out ", out, ": writes a PNG; give a name ending in .png");
  check_output_path(command, out, inputs);
}

void check_run_folder(const std::string& what, const std::string& dir) {
  struct stat info;
  SAR_CHECK(::stat(dir.c_str(), &info) == 0, what, " ", dir, ": does not exist");
  SAR_CHECK(S_ISDIR(info.st_mode), what, " ", dir, ": is not a folder");
  SAR_CHECK(::access((dir + "/config.json").c_str(), F_OK) == 0, what, " ", dir,
            ": not a run folder (it has no config.json; sar train --out writes one)");
}

}  // namespace sar
