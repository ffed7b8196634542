// rng.cpp: random tensors of core/rng.h (uniform, normal, Bernoulli), filled by the device's
// Philox kernel.
#include "core/rng.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "cuda/kernels_cuda.h"

namespace sar {

void random_fill_(Tensor& t, RandomKind kind, double a, double b, Generator& gen) {
  check_float(t, "random", "tensor");
  if (t.is_cuda()) {
    SAR_ON_CUDA("random", random_fill_cuda(t.data<float>(), t.numel(), kind, gen.seed, gen.offset, a, b));
  } else {
    dispatch_float(t.dtype(), "random", [&](auto zero) {
      using T = decltype(zero);
      random_fill_cpu<T>(t.data<T>(), t.numel(), kind, gen.seed, gen.offset, a, b);
    });
  }
  gen.offset += uint64_t(t.numel());
}

Tensor rand(const Shape& shape, Generator& gen, DType dtype, Device device, double low, double high) {
  Tensor t = Tensor::empty(shape, dtype, device);
  random_fill_(t, RandomKind::Uniform, low, high, gen);
  return t;
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype, Device device, double mean, double std) {
  Tensor t = Tensor::empty(shape, dtype, device);
  random_fill_(t, RandomKind::Normal, mean, std, gen);
  return t;
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype, Device device) {
  SAR_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: p must be in [0, 1], got ", p);
  Tensor t = Tensor::empty(shape, dtype, device);
  random_fill_(t, RandomKind::Bernoulli, p, 0.0, gen);
  return t;
}

}  // namespace sar
