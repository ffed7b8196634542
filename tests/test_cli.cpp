// The `sar` binary as a user runs it: output, exit codes, refusals. It is found through
// $SAR_BIN (make test sets it) or at build/sar; without it these tests fail, not pass.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/safetensors.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Result run_sar(const std::string& args) {
  const char* bin = std::getenv("SAR_BIN");
  std::string cmd = std::string(bin ? bin : "build/sar") + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE_MESSAGE(pipe, "cannot run ", cmd);
  Result r{0, ""};
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_CASE("sar cli: help and unknown commands") {
  Result help = run_sar("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("usage: sar <command>") != std::string::npos);
  Result bad = run_sar("frobnicate");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("unknown command 'frobnicate'") != std::string::npos);
}

TEST_CASE("sar cli: info says which device auto picks") {
  Result info = run_sar("info --device auto");
  CHECK(info.exit_code == 0);
  CHECK(info.output.find(cuda_device_count() > 0 ? "device: cuda (auto)" : "device: cpu (auto: ") != std::string::npos);
  Result bad = run_sar("info --device tpu");
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("--device: expected auto, cpu or cuda, got 'tpu'") != std::string::npos);
}

TEST_CASE("sar cli: info --weights lists a safetensors file and refuses a bad one") {
  std::string path = "/tmp/sar_cli_" + std::to_string(::getpid()) + ".safetensors";
  save_safetensors(path, {{"conv1.weight", Tensor::zeros({64, 3, 7, 7})}, {"bn1.running_mean", Tensor::zeros({64})}});
  Result ok = run_sar("info --weights " + path);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("conv1.weight") != std::string::npos);
  CHECK(ok.output.find("[64, 3, 7, 7]") != std::string::npos);
  CHECK(ok.output.find("2 tensors, 37888 bytes") != std::string::npos);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "garbage!garbage";
  Result bad = run_sar("info --weights " + path);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("sar: error: " + path + ": header length") != std::string::npos);
  std::remove(path.c_str());
}
