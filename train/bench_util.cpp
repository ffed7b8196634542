// bench_util.cpp: median timing of a piece of work on a device, and reading a tools/ baseline file.
#include "train/bench_util.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"

namespace sar {

double median_ms(const std::function<void()>& work, Device device, int reps) {
  work();
  device_synchronize(device);
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    work();
    device_synchronize(device);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::map<std::string, double> read_baseline(const std::string& path, std::string* label, const char* math) {
  std::ifstream in(path);
  SAR_CHECK(in, path, ": cannot open the baseline; run the tools/ script first (make bench does)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    SAR_THROW(path, ": not valid JSON: ", e.what());
  }
  SAR_CHECK(j.contains("results") && j["results"].is_array(), path, ": missing the \"results\" array");
  *label = j.value("label", std::string("baseline"));
  if (math) {
    const std::string baseline_math = j.value("math", std::string("float32"));
    SAR_CHECK(baseline_math == math, path, ": the baseline multiplied in ", baseline_math, ", this run in ", math,
              "; rerun its tools/ script", std::string(math) == "tf32" ? " with --tf32" : " without --tf32");
  }
  std::map<std::string, double> ms;
  for (const auto& r : j["results"]) ms[r.at("name").get<std::string>()] = r.at("ms").get<double>();
  return ms;
}

const char* bench_math(bool tf32, Device device) { return tf32 && device == Device::CUDA ? "tf32" : "float32"; }

}  // namespace sar
