// fuzz regressions: every fuzz target (tests/fuzz_targets.h) over its seed corpus and over the
// crash inputs `make fuzz` once found (tests/data/fuzz/<target>/), so a fixed parser stays fixed
// in the ordinary `make test`, without clang or libFuzzer.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz_targets.h"
#include "tests/test_util.h"

using namespace sar::fuzz;

namespace {

// The files of `folder`, in name order; none when it does not exist.
std::vector<std::filesystem::path> files_in(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(folder)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> bytes_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read ", file.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("fuzz regressions: every target returns or throws sar::Error on its seeds and past crash inputs") {
  REQUIRE(fuzz_targets().size() == 8);
  size_t crashes = 0;
  for (const FuzzTarget& target : fuzz_targets()) {
    std::vector<std::filesystem::path> inputs = files_in(std::string("tests/fuzz/corpus/") + target.name);
    const size_t seeds = inputs.size();
    for (const auto& crash : files_in(std::string("tests/data/fuzz/") + target.name)) inputs.push_back(crash);
    crashes += inputs.size() - seeds;
    INFO("target ", target.name);
    CHECK_MESSAGE(seeds > 0, "no seed corpus in tests/fuzz/corpus/", target.name);
    for (const auto& file : inputs) {
      const std::vector<uint8_t> bytes = bytes_of(file);
      CHECK_NOTHROW_MESSAGE(target.run(bytes.data(), bytes.size()), file.string());
    }
  }
  // A missing tests/data/fuzz would otherwise replay no crash input without a word.
  CHECK_MESSAGE(crashes >= 16, "only ", crashes, " crash inputs under tests/data/fuzz/, where 16 were committed");
}
