// test_util.h: what every test file shares: doctest, the CUDA skip rule, small helpers.
//
// A test that needs a GPU is declared with CUDA_TEST_CASE. Without a device it is marked
// skipped (doctest counts it in its summary, and the listener in tests/main.cpp prints its
// name), never passed. Under SAR_REQUIRE_CUDA=1 (make gpu-check) a missing device is an error.
// A test that reads the real data sets of ../shared/data is declared with SHARED_DATA_TEST_CASE
// and is skipped the same way where that folder is absent.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "datasets/sample.h"

namespace sar {
class KeypointHead;
struct KeypointTargets;
}  // namespace sar

namespace sar::test {

bool cuda_ready();  // a CUDA device answers (exits the program under SAR_REQUIRE_CUDA=1 when none does)

// The real-data folder: $SAR_DATA when set, else ../shared/data (tests run from the repository
// root). Empty when it is not a folder; the first call then prints one line saying so.
const std::optional<std::string>& shared_data_dir();

// Random values in [lo, hi) from a fixed seed, as a tensor: the inputs of most tests.
Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype = DType::F64);

// Gradcheck of head.loss on features [2, 3, 5, 4] w.r.t. the features and every parameter, in
// float64, with the parameters redrawn in [-0.5, 0.5]: at a head's initial weights (N(0, 0.001)
// convs, the selector's bias -4.6) some gradients are so small that a dropped one would pass.
void gradcheck_head(const std::string& name, KeypointHead& head, const KeypointTargets& targets);

// Max |a - b| over all elements (shapes must match).
double max_abs_diff(const Tensor& a, const Tensor& b);

// TF32 math on (core/device.h) for one scope, off again however the scope ends, so that a failed
// check cannot leave it on for the tests after.
struct ScopedTf32 {
  ScopedTf32() { set_tf32_math(true); }
  ~ScopedTf32() { set_tf32_math(false); }
};

// The `sar` binary run as a user runs it: found through $SAR_BIN (make test sets it) or at
// build/sar; stdout and stderr together, and the exit code. A missing binary fails the test.
struct CliResult {
  int exit_code;
  std::string output;
};
CliResult run_sar(const std::string& args);
std::string sar_binary();                               // $SAR_BIN or build/sar

// --set options that make `sar train --config configs/synthetic_demo.json` a run of seconds:
// 8 training figures of 64x64, 4 to validate, ResNet-18 with one deconv at 32x32, batch 4.
extern const std::string kTinyRun;
CliResult run_command(const std::string& shell_command);  // any command, the same way

// The message of the sar::Error that `run` throws (without its file:line), or "(no error)".
std::string error_of(const std::function<void()>& run);

// What `run` prints on stderr (sent to a temporary file meanwhile; restored on exceptions).
std::string stderr_of(const std::function<void()>& run);

// Files that tests write go in one folder of the test process, $TMPDIR/sar_test_<pid> (TMPDIR
// defaults to /tmp), made on first use. tests/main.cpp removes it when the run ends, so a run
// leaves nothing behind; set SAR_KEEP_TEST_FILES=1 to keep it and look at what the tests wrote.
// The folders of test processes that died (a crash, a kill) go when the next run makes its own.
const std::string& scratch_dir();
void remove_scratch_dir();  // what main does at the end; never makes the folder

// A path in that folder for one test's file, named `name` (not created).
std::string temp_path(const std::string& name);

// A fresh, empty folder in that folder for one test, named `name`.
std::string temp_dir(const std::string& name);

// A COCO-format data set on disk, as a user brings one: the first n synthetic figures (64x64)
// as dir/img<i>.png and dir/coco.json (image ids and annotation ids 1..n). Returns the people
// (boxes and keypoints) for tests that build detector boxes from them.
std::vector<PersonRecord> write_coco_dataset(const std::string& dir, size_t n);

// The `sar train` options that point a config at that data set (train and val both), with a
// ResNet-18 small enough for a test at 32x32, batch 2.
std::string coco_dataset_options(const std::string& dir);

}  // namespace sar::test

#define CUDA_TEST_CASE(name) TEST_CASE(name * doctest::test_suite("cuda") * doctest::skip(!::sar::test::cuda_ready()))
#define SHARED_DATA_TEST_CASE(name) \
  TEST_CASE(name * doctest::test_suite("shared-data") * doctest::skip(!::sar::test::shared_data_dir()))
