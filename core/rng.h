// rng.h: random tensors from a counter-based generator (Philox-4x32-10, core/philox.h).
//
// A Generator is just (seed, offset). Drawing n numbers uses counters offset .. offset+n-1
// and then advances offset by n, so the same seed gives the same sequence of tensors on
// the CPU and on CUDA, in float32 and (on the CPU) float64. Uniform and Bernoulli draws
// are bit-identical across devices; normal draws agree to the last float ulp (libm vs CUDA).
#pragma once

#include <cstdint>

#include "core/philox.h"
#include "core/tensor.h"

namespace sar {

struct Generator {
  uint64_t seed = 0;
  uint64_t offset = 0;  // counters used so far
  explicit Generator(uint64_t seed_ = 0) : seed(seed_) {}
};

Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::F32, Device device = Device::CPU,
            double low = 0.0, double high = 1.0);                       // uniform in [low, high)
Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::F32, Device device = Device::CPU,
             double mean = 0.0, double std = 1.0);                      // normal(mean, std)
Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype = DType::F32,
                 Device device = Device::CPU);                          // 1 with probability p, else 0

// In place, for initializers: fill an existing tensor with draws of the given kind.
void random_fill_(Tensor& t, RandomKind kind, double a, double b, Generator& gen);

}  // namespace sar
