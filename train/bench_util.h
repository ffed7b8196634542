// bench_util.h: what the `sar bench` commands share: timing a piece of work the same way
// every time, and reading a baseline written by a tools/ script.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "core/device.h"

namespace sar {

// Median milliseconds of `reps` runs of `work` after one warm-up run (which fills the
// allocator cache and the cuDNN algorithm cache); the device is synchronized after each run.
double median_ms(const std::function<void()>& work, Device device, int reps);

// {"label": ..., "results": [{"name": ..., "ms": ...}, ...]} -> name -> ms; *label gets the label.
std::map<std::string, double> read_baseline(const std::string& path, std::string* label);

}  // namespace sar
