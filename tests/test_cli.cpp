// The `sar` binary as a user runs it: output, exit codes, refusals. It is found through
// $SAR_BIN (make test sets it) or at build/sar; without it these tests fail, not pass.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/safetensors.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::CliResult;
using sar::test::run_sar;

TEST_CASE("sar cli: help and unknown commands") {
  CliResult help = run_sar("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("usage: sar <command>") != std::string::npos);
  CliResult bad = run_sar("frobnicate");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("unknown command 'frobnicate'") != std::string::npos);
}

TEST_CASE("sar cli: every verb answers --help with its usage") {
  for (const char* verb : {"info", "score", "data", "data show", "bench layers", "bench sar", "bench model", "bench data",
                           "train", "eval", "infer", "gradcheck"}) {
    const CliResult help = run_sar(std::string(verb) + " --help");
    INFO(verb, ": ", help.output);
    CHECK(help.exit_code == 0);
    CHECK(help.output.find(std::string("usage: sar ") + verb) != std::string::npos);
  }
}

TEST_CASE("sar cli: info says which device auto picks") {
  CliResult info = run_sar("info --device auto");
  CHECK(info.exit_code == 0);
  CHECK(info.output.find(cuda_device_count() > 0 ? "device: cuda (auto)" : "device: cpu (auto: ") != std::string::npos);
  CliResult bad = run_sar("info --device tpu");
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("--device: expected auto, cpu or cuda, got 'tpu'") != std::string::npos);
}

TEST_CASE("sar cli: info --weights lists a safetensors file and refuses a bad one") {
  std::string path = "/tmp/sar_cli_" + std::to_string(::getpid()) + ".safetensors";
  save_safetensors(path, {{"conv1.weight", Tensor::zeros({64, 3, 7, 7})}, {"bn1.running_mean", Tensor::zeros({64})}});
  CliResult ok = run_sar("info --weights " + path);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("conv1.weight") != std::string::npos);
  CHECK(ok.output.find("[64, 3, 7, 7]") != std::string::npos);
  CHECK(ok.output.find("2 tensors, 37888 bytes") != std::string::npos);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "garbage!garbage";
  CliResult bad = run_sar("info --weights " + path);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("sar: error: " + path + ": header length") != std::string::npos);
  std::remove(path.c_str());
}
