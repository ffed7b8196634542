#include "tests/test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/device.h"
#include "core/error.h"
#include "core/gradcheck.h"
#include "core/rng.h"
#include "datasets/image_io.h"
#include "datasets/synthetic.h"
#include "layers/heads/head.h"

namespace sar::test {

bool cuda_ready() {
  bool ready = cuda_device_count() > 0;
  const char* require = std::getenv("SAR_REQUIRE_CUDA");
  if (!ready && require && require[0] == '1') {
    std::fprintf(stderr, "SAR_REQUIRE_CUDA=1 but no CUDA device answered: %s\n", cuda_unavailable_reason().c_str());
    std::exit(1);
  }
  return ready;
}

const std::optional<std::string>& shared_data_dir() {
  static const std::optional<std::string> dir = []() -> std::optional<std::string> {
    const char* env = std::getenv("SAR_DATA");
    const std::string path = env && env[0] ? env : "../shared/data";
    struct stat info;
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return path;
    std::printf("shared data: %s is not a folder (%s); the shared-data tests are skipped\n", path.c_str(),
                env && env[0] ? "from $SAR_DATA" : "set SAR_DATA to the data folder");
    return std::nullopt;
  }();
  return dir;
}

Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype) {
  Generator gen(seed);
  return rand(shape, gen, dtype, Device::CPU, lo, hi);
}

void gradcheck_head(const std::string& name, KeypointHead& head, const KeypointTargets& targets) {
  head.to(DType::F64);
  uint64_t seed = 100;
  for (Tensor& p : head.parameters()) p.copy_(uniform(p.shape(), -0.5, 0.5, seed++));
  Tensor features = uniform({2, 3, 5, 4}, -1, 1, 99).set_requires_grad();
  std::vector<Tensor> inputs = {features};
  for (const Tensor& p : head.parameters()) inputs.push_back(p);
  test::gradcheck(name, [&](const std::vector<Tensor>& in) { return head.loss(in[0], targets); }, inputs);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE_MESSAGE(a.shape() == b.shape(), "max_abs_diff: shapes ", a.shape(), " vs ", b.shape());
  std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double worst = 0;
  for (size_t i = 0; i < va.size(); ++i) worst = std::fmax(worst, std::fabs(va[i] - vb[i]));
  return worst;
}

std::string sar_binary() {
  const char* bin = std::getenv("SAR_BIN");
  return bin ? bin : "build/sar";
}

CliResult run_sar(const std::string& args) { return run_command(sar_binary() + " " + args); }

CliResult run_command(const std::string& shell_command) {
  const std::string cmd = shell_command + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE_MESSAGE(pipe, "cannot run ", cmd);
  CliResult r{0, ""};
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string error_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

namespace {

constexpr const char* kScratchPrefix = "sar_test_";

// Made by the first scratch_dir() call; remove_scratch_dir() looks here so that it never makes one.
std::optional<std::string> made_scratch_dir;

// `dir` made afresh and empty (whatever was there goes).
void make_empty_dir(const std::string& dir) {
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  std::filesystem::create_directories(dir, error);
  REQUIRE_MESSAGE(!error, "cannot make ", dir, ": ", error.message());
}

// The folders of test processes that ended without removing theirs (a crash, a kill): removed by
// the next run, so they cannot pile up. The folder of a process still running (another suite) stays.
void remove_dead_processes_folders(const std::string& tmp) {
  std::error_code error;
  std::vector<std::filesystem::path> dead;
  for (const auto& entry : std::filesystem::directory_iterator(tmp, error)) {
    const std::string name = entry.path().filename();
    if (name.rfind(kScratchPrefix, 0) != 0) continue;
    const std::string pid = name.substr(std::strlen(kScratchPrefix));
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(pid_t(std::stol(pid)), 0) != 0 && errno == ESRCH) dead.push_back(entry.path());
  }
  for (const auto& path : dead) std::filesystem::remove_all(path, error);
}

}  // namespace

const std::string& scratch_dir() {
  if (!made_scratch_dir) {
    const char* env = std::getenv("TMPDIR");
    const std::string tmp = env && env[0] ? env : "/tmp";
    remove_dead_processes_folders(tmp);
    const std::string dir = tmp + "/" + kScratchPrefix + std::to_string(::getpid());
    make_empty_dir(dir);  // a dead run that had this pid may have left it
    made_scratch_dir = dir;
  }
  return *made_scratch_dir;
}

void remove_scratch_dir() {
  if (!made_scratch_dir) return;
  const char* keep = std::getenv("SAR_KEEP_TEST_FILES");
  if (keep && keep[0] == '1') {
    std::printf("test files kept in %s (SAR_KEEP_TEST_FILES=1)\n", made_scratch_dir->c_str());
    return;
  }
  std::error_code error;  // a folder left behind is no test failure; say so and go on
  std::filesystem::remove_all(*made_scratch_dir, error);
  if (error) std::printf("could not remove %s: %s\n", made_scratch_dir->c_str(), error.message().c_str());
}

const std::string kTinyRun =
    " --set data.synthetic.train_samples=8 --set data.synthetic.val_samples=4 --set data.synthetic.image_size=[64,64]"
    " --set model.backbone=resnet18 --set model.deconv_layers=1 --set model.deconv_channels=8 --set model.input=[32,32]"
    " --set train.batch_size=4 --set train.warmup_iters=0 --set eval.batch_size=4";

std::string temp_path(const std::string& name) { return scratch_dir() + "/" + name; }

std::string temp_dir(const std::string& name) {
  const std::string dir = temp_path(name);
  make_empty_dir(dir);
  return dir;
}

std::string stderr_of(const std::function<void()>& run) {
  const std::string path = temp_path("stderr.txt");
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(file >= 0);
  ::dup2(file, 2);
  ::close(file);
  auto restore = [&] {
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
  };
  try {
    run();
  } catch (...) {
    restore();
    throw;
  }
  restore();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  return text.str();
}

std::vector<PersonRecord> write_coco_dataset(const std::string& dir, size_t n) {
  SyntheticConfig sc;
  sc.image_h = sc.image_w = 64;
  const SyntheticDataset figures(sc);
  const DatasetMeta meta = figures.meta();
  std::vector<PersonRecord> people;
  nlohmann::json images = nlohmann::json::array(), annotations = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    Image image;
    PersonRecord p;
    figures.get(i, &image, &p);
    const std::string name = "img" + std::to_string(i) + ".png";
    write_png(dir + "/" + name, image);
    int labelled = 0;
    for (int k = 0; k < meta.num_keypoints(); ++k) labelled += p.keypoints[size_t(3 * k + 2)] > 0;
    images.push_back({{"id", i + 1}, {"file_name", name}, {"width", 64}, {"height", 64}});
    annotations.push_back({{"id", i + 1}, {"image_id", i + 1}, {"category_id", 1}, {"keypoints", p.keypoints},
                           {"num_keypoints", labelled}, {"bbox", p.bbox}, {"area", p.area}, {"iscrowd", 0}});
    people.push_back(p);
  }
  const nlohmann::json category = {{"id", 1}, {"name", "person"}, {"keypoints", meta.keypoint_names},
                                   {"sigmas", meta.sigmas}};
  std::ofstream(dir + "/coco.json") << nlohmann::json{{"images", images}, {"annotations", annotations},
                                                      {"categories", {category}}}.dump();
  return people;
}

std::string coco_dataset_options(const std::string& dir) {
  return " --set data.dataset=coco --set data.root=" + dir +
         " --set data.train.ann=coco.json --set data.train.images=."
         " --set data.val.ann=coco.json --set data.val.images=."
         " --set model.backbone=resnet18 --set model.deconv_layers=1 --set model.deconv_channels=8"
         " --set model.input=[32,32] --set train.batch_size=2 --set train.warmup_iters=0 --set eval.batch_size=2";
}

}  // namespace sar::test
