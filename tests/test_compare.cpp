// `sar compare`: run folders as `sar train` leaves them (config.json, eval_log.csv, report.md when
// finished), written here by hand so the numbers are known.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "datasets/image_io.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::CliResult;
using sar::test::run_sar;

namespace {

// A run folder with the demo's config (its head changed, 4 epochs) and the given eval_log.csv text.
std::string write_run(const std::string& root, const std::string& name, const std::string& head,
                      const std::string& eval_log, bool finished) {
  const std::string dir = root + "/" + name;
  std::filesystem::create_directories(dir);
  std::ifstream demo("configs/synthetic_demo.json");
  std::string config((std::istreambuf_iterator<char>(demo)), std::istreambuf_iterator<char>());
  const size_t at = config.find("\"head\": \"sar\"");
  REQUIRE(at != std::string::npos);
  config.replace(at, 13, "\"head\": \"" + head + "\"");
  const size_t epochs = config.find("\"epochs\": ");
  REQUIRE(epochs != std::string::npos);
  config.replace(epochs, config.find(',', epochs) - epochs, "\"epochs\": 4");
  std::ofstream(dir + "/config.json") << config;
  if (!eval_log.empty()) std::ofstream(dir + "/eval_log.csv") << eval_log;
  if (finished) std::ofstream(dir + "/report.md") << "# done\n";
  return dir;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("sar compare: a markdown row per run with its best and last evaluation, and the curves") {
  const std::string root = test::temp_dir("compare");
  const std::string a = write_run(root, "run_a", "sar",
                                  "step,epoch,PCK,mean_px_error\n100,1,0.2,30\n200,2,0.5,20\n300,3,0.4,22\n", true);
  const std::string b = write_run(root, "run_b", "heatmap", "step,epoch,PCK,mean_px_error\n100,1,0.25,28\n", false);
  const std::string c = write_run(root, "run_c", "regression", "", false);
  const std::string png = root + "/curves.png";
  const CliResult r = run_sar("compare " + a + " " + b + " " + c + "/ --out " + png);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.output, "| run | backbone | head | input | epochs | best PCK | at epoch | mean_px_error at best | last PCK |\n"
                      "|---|---|---|---|---|---:|---:|---:|---:|\n"));
  // The demo config: resnet18 at 64x64, here for 4 epochs. run_a's best is at epoch 2, its last 0.4.
  CHECK(has(r.output, "| run_a | resnet18 | sar | 64x64 | 3 of 4 | 0.5 | 2 | 20 | 0.4 |\n"));
  CHECK(has(r.output, "| run_b | resnet18 | heatmap | 64x64 | 1 of 4 (unfinished) | 0.25 | 1 | 28 | 0.25 |\n"));
  CHECK(has(r.output, "| run_c | resnet18 | regression | 64x64 | 0 of 4 (unfinished) | no evaluation yet ||||\n"));  // given as run_c/
  const Image curves = decode_image(png);
  CHECK(curves.width == 720);
  CHECK(curves.height == 440);
  CHECK(!has(r.output, "note: the runs were not evaluated on the same people"));  // one val set
}

TEST_CASE("sar compare: runs evaluated on different people get a note") {
  const std::string root = test::temp_dir("compare_val_sets");
  const std::string whole = write_run(root, "whole", "sar", "step,epoch,PCK,mean_px_error\n100,1,0.2,30\n", true);
  const std::string quick = write_run(root, "quick", "sar", "step,epoch,PCK,mean_px_error\n100,1,0.3,25\n", true);
  nlohmann::json config = nlohmann::json::parse(std::ifstream(quick + "/config.json"));
  config["eval"]["max_images"] = 32;
  std::ofstream(quick + "/config.json") << config.dump(2);
  const CliResult r = run_sar("compare " + whole + " " + quick);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.output, "note: the runs were not evaluated on the same people (val ann, dets, eval.max_images):\n"
                      "  whole: synthetic, eval.max_images=0\n  quick: synthetic, eval.max_images=32\n"));
}

TEST_CASE("sar compare: refusals name the folder or file") {
  const std::string root = test::temp_dir("compare_refusals");
  const std::string pck = write_run(root, "pck", "sar", "step,epoch,PCK,mean_px_error\n100,2,0.2,30\n", true);
  const std::string ap = write_run(root, "ap", "sar", "step,epoch,AP,AP50\n100,2,0.3,0.7\n", true);
  const std::string none = write_run(root, "none", "sar", "", false);
  const std::string bad = write_run(root, "bad", "sar", "step,PCK\n1,0.5\n", true);

  const CliResult nothing = run_sar("compare");
  CHECK(nothing.exit_code == 1);
  CHECK(has(nothing.output, "sar compare: no run folders given; see sar compare --help"));
  const CliResult missing = run_sar("compare " + root + "/nowhere");
  CHECK(missing.exit_code == 1);
  CHECK(has(missing.output, "sar compare " + root + "/nowhere: does not exist"));
  std::filesystem::create_directories(root + "/empty");
  const CliResult no_config = run_sar("compare " + root + "/empty");
  CHECK(no_config.exit_code == 1);
  CHECK(has(no_config.output, "sar compare " + root + "/empty: not a run folder (it has no config.json"));
  const CliResult mixed = run_sar("compare " + pck + " " + ap);
  CHECK(mixed.exit_code == 1);
  CHECK(has(mixed.output, ap + "/eval_log.csv: its numbers (AP, ...) are not those of pck (PCK, ...)"));
  const CliResult unevaluated = run_sar("compare " + none);
  CHECK(unevaluated.exit_code == 1);
  CHECK(has(unevaluated.output, "none of the runs has been evaluated yet"));
  const CliResult malformed = run_sar("compare " + bad);
  CHECK(malformed.exit_code == 1);
  CHECK(has(malformed.output, bad + "/eval_log.csv: expected the columns step, epoch, then the metric's numbers"));
  const CliResult option = run_sar("compare " + pck + " --outt x.png");
  CHECK(option.exit_code == 1);
  CHECK(has(option.output, "sar compare: unknown option '--outt'"));
}
