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
// With `math` ("float32" or "tf32", see bench_math), the baseline's "math" (float32 where
// absent) must be the same: a TF32 baseline against float32 convolutions would flatter it.
std::map<std::string, double> read_baseline(const std::string& path, std::string* label,
                                            const char* math = nullptr);

// What the convolutions and matmuls of a bench run multiply in: "tf32" when --tf32 was given
// and the run is on CUDA (set_tf32_math), else "float32". The tools/ scripts name it the same.
const char* bench_math(bool tf32, Device device);

}  // namespace sar
