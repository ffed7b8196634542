#include "tests/weight_formula.h"

#include <cmath>
#include <cstdint>

namespace sar::test {

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

double formula_uniform(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return double(z >> 11) * 0x1.0p-53;
}

}  // namespace

void fill_formula(const std::string& name, Tensor& t) {
  SAR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, "fill_formula: ", name,
            " must be a float32 or float64 tensor, got ", dtype_name(t.dtype()));
  const std::string leaf = name.substr(name.rfind('.') + 1);
  const uint64_t seed = fnv1a(name);
  std::vector<double> values(size_t(t.numel()));
  for (size_t i = 0; i < values.size(); ++i) {
    const double u = formula_uniform(seed, uint64_t(i));
    double v = 2 * u - 1;
    if (leaf == "weight" && t.ndim() == 4) v = (2 * u - 1) / std::sqrt(double(t.numel() / t.size(0)));
    else if (leaf == "weight") v = 0.8 + 0.4 * u;
    else if (leaf == "bias" || leaf == "running_mean") v = 0.2 * (u - 0.5);
    else if (leaf == "running_var") v = 0.5 + u;
    values[i] = double(float(v));
  }
  t.copy_(Tensor::from_vector(values, t.shape(), DType::F64));
}

void fill_formula(const Module& module) {
  for (auto& [name, t] : module.state())
    if (t.dtype() == DType::F32 || t.dtype() == DType::F64) fill_formula(name, t);
}

}  // namespace sar::test
