// philox.h: the Philox-4x32-10 counter-based generator (Salmon et al., SC'11), shared by the
// CPU and CUDA random kernels so both produce the same numbers for the same (seed, offset).
//
// Element i of a draw with generator state (seed, offset) uses counter = offset + i and
// key = seed: no state is carried from element to element, so every thread of a kernel
// computes its own element independently, in any order, on any device.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/scalar_math.h"

namespace sar {

enum class RandomKind { Uniform, Normal, Bernoulli };

struct Philox4 {
  uint32_t v[4];
};

SAR_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t product = uint64_t(a) * uint64_t(b);
  *hi = uint32_t(product >> 32);
  return uint32_t(product);
}

SAR_HD Philox4 philox4x32_10(uint64_t counter, uint64_t seed) {
  const uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;   // round multipliers
  const uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule increments
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo32(kMul0, c0, &hi0);
    uint32_t lo1 = mulhilo32(kMul1, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with the dtype's full mantissa: 24 bits for float, 53 for double.
template <typename T>
SAR_HD T philox_uniform(const Philox4& r);

template <>
SAR_HD float philox_uniform<float>(const Philox4& r) {
  return float(r.v[0] >> 8) * (1.0f / 16777216.0f);
}

template <>
SAR_HD double philox_uniform<double>(const Philox4& r) {
  uint64_t bits = (uint64_t(r.v[0]) << 21) ^ uint64_t(r.v[1] >> 11);
  return double(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// Standard normal by Box-Muller on words 2 and 3, computed in double on both devices so
// the float results agree (the last ulp of log/cos may still differ between libm and CUDA).
SAR_HD double philox_normal(const Philox4& r) {
  using std::cos; using std::log; using std::sqrt;
  double u1 = (double(r.v[2]) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]: log(u1) is finite
  double u2 = double(r.v[3]) * (1.0 / 4294967296.0);          // [0, 1)
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

// x * y + z with the product rounded before the sum, on both devices: nvcc would contract the
// plain expression into one fused multiply-add (one rounding), which g++ does not do here (no
// FMA in the x86-64 baseline it targets), and the results could then differ in the last bit.
SAR_HD double mul_then_add(double x, double y, double z) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(__dmul_rn(x, y), z);
#else
  return x * y + z;
#endif
}

// The value of element `index` of a draw: uniform in [a, b), normal(mean a, std b),
// or bernoulli(p = a) as 0/1.
template <typename T>
SAR_HD T philox_sample(RandomKind kind, uint64_t seed, uint64_t counter, double a, double b) {
  Philox4 r = philox4x32_10(counter, seed);
  switch (kind) {
    case RandomKind::Uniform: return T(mul_then_add(b - a, double(philox_uniform<T>(r)), a));
    case RandomKind::Normal: return T(mul_then_add(b, philox_normal(r), a));
    case RandomKind::Bernoulli: return philox_uniform<float>(r) < float(a) ? T(1) : T(0);
  }
  return T(0);
}

}  // namespace sar
