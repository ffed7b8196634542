// safetensors: round trips of every dtype, atomic writes, and every kind of bad file refused.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/safetensors.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::temp_path;

namespace {

// Writes a file from a header string and a data buffer, like a (possibly broken) writer would.
std::string write_raw(const std::string& name, const std::string& header, const std::string& data,
                      int64_t declared_len = -1) {
  std::string path = temp_path(name);
  std::ofstream out(path, std::ios::binary);
  uint64_t len = declared_len >= 0 ? uint64_t(declared_len) : header.size();
  for (int i = 0; i < 8; ++i) out.put(char((len >> (8 * i)) & 0xff));
  out << header << data;
  return path;
}

std::string error_of(const std::string& path) {
  try {
    load_safetensors(path);
  } catch (const Error& e) {
    std::remove(path.c_str());
    return e.message();
  }
  std::remove(path.c_str());
  return "(no error)";
}

}  // namespace

TEST_CASE("safetensors: round trip of F32, F64, BF16 and I64 with metadata") {
  std::string path = temp_path("roundtrip.safetensors");
  Tensor w = Tensor::from_vector({1, -2, 3.5, 4, 5, 6}, {2, 3});
  Tensor d = Tensor::from_vector({0.1, 0.2}, {2}, DType::F64);
  Tensor h = Tensor::from_vector({1.5, -8}, {1, 2}).to(DType::BF16);
  Tensor i = Tensor::from_vector({7, -1, 1e12}, {3}, DType::I64);
  Tensor s = Tensor::full({}, 42);  // 0-dim
  Tensor e = Tensor::empty({0, 4});  // no bytes
  save_safetensors(path, {{"layer1.0.conv1.weight", w}, {"d", d}, {"h", h}, {"i", i}, {"s", s}, {"e", e}},
                   {{"format", "pt"}, {"step", "12"}});
  std::map<std::string, std::string> meta;
  auto loaded = load_safetensors(path, &meta);
  REQUIRE(loaded.size() == 6);
  CHECK(meta["step"] == "12");
  std::map<std::string, Tensor> by_name(loaded.begin(), loaded.end());
  CHECK(by_name["layer1.0.conv1.weight"].shape() == Shape{2, 3});
  CHECK(by_name["layer1.0.conv1.weight"].to_vector() == w.to_vector());
  CHECK(by_name["d"].dtype() == DType::F64);
  CHECK(by_name["d"].to_vector() == d.to_vector());
  CHECK(by_name["h"].dtype() == DType::BF16);
  CHECK(by_name["h"].to_vector() == std::vector<double>{1.5, -8});
  CHECK(by_name["i"].to_vector() == std::vector<double>{7, -1, 1e12});
  CHECK(by_name["s"].item() == 42.0);
  CHECK(by_name["e"].numel() == 0);
  SafetensorsIndex index = read_safetensors_index(path);
  CHECK(index.data_start % 8 == 0);  // header padded to 8 bytes
  CHECK(index.entries.size() == 6);
  std::remove(path.c_str());
}

TEST_CASE("safetensors: a save replaces the file atomically and leaves no temporary") {
  std::string path = temp_path("atomic.safetensors");
  save_safetensors(path, {{"a", Tensor::ones({3})}});
  save_safetensors(path, {{"b", Tensor::zeros({5})}});
  auto loaded = load_safetensors(path);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].first == "b");
  CHECK(std::ifstream(path + ".tmp." + std::to_string(::getpid())).good() == false);
  CHECK_THROWS_WITH_AS(save_safetensors("/nonexistent-dir/x.safetensors", {{"a", Tensor::ones({1})}}),
                       doctest::Contains("/nonexistent-dir/x.safetensors: cannot write"), Error);
  CHECK_THROWS_WITH_AS(save_safetensors(path, {{"a", Tensor::ones({1})}, {"a", Tensor::ones({1})}}),
                       doctest::Contains("tensor name 'a' appears twice"), Error);
  std::remove(path.c_str());
}

TEST_CASE("safetensors: bad files are refused with the reason") {
  const std::string eight(8, '\0');
  const std::string ok_entry = R"("a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";
  // a file shorter than the length prefix
  {
    std::string path = temp_path("tiny");
    std::ofstream(path) << "abc";
    CHECK(error_of(path).find("truncated: 3 bytes, shorter than the 8-byte header length") != std::string::npos);
  }
  CHECK(error_of(write_raw("past", "{}", "", 1000)).find("header length 1000 runs past the end of the file") !=
        std::string::npos);
  CHECK(error_of(write_raw("json", "{not json", "")).find("header is not valid JSON") != std::string::npos);
  CHECK(error_of(write_raw("dtype", R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", "1234"))
            .find("tensor 'a': unknown or unsupported dtype \"F16\"") != std::string::npos);
  CHECK(error_of(write_raw("span", R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", eight))
            .find("shape [3] of F32 needs 12 bytes, data_offsets span 8") != std::string::npos);
  CHECK(error_of(write_raw("range", "{" + ok_entry + "}", "1234"))
            .find("data_offsets end at 8, past the data buffer of 4 bytes") != std::string::npos);
  CHECK(error_of(write_raw("overlap",
                           "{" + ok_entry + R"(, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                           eight))
            .find("overlaps the tensor before it") != std::string::npos);
  CHECK(error_of(write_raw("hole", R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", eight))
            .find("bytes 0..4 of the data buffer belong to no tensor") != std::string::npos);
  CHECK(error_of(write_raw("tail", "{" + ok_entry + "}", eight + "xx"))
            .find("the last 2 bytes of the data buffer belong to no tensor") != std::string::npos);
  CHECK(error_of(write_raw("field", R"({"a": {"dtype": "F32", "shape": [2]}})", eight))
            .find("tensor 'a': missing field \"data_offsets\"") != std::string::npos);
  CHECK(error_of(write_raw("dims", R"({"a": {"dtype": "F32", "shape": [1,1,1,1,1,2], "data_offsets": [0, 8]}})",
                           eight))
            .find("6 dims; at most 5 are supported") != std::string::npos);
  CHECK(error_of(temp_path("missing")).find("cannot open") != std::string::npos);
}
