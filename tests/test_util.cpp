#include "tests/test_util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/device.h"
#include "core/rng.h"

namespace sar::test {

bool cuda_ready() {
  bool ready = cuda_device_count() > 0;
  const char* require = std::getenv("SAR_REQUIRE_CUDA");
  if (!ready && require && require[0] == '1') {
    std::fprintf(stderr, "SAR_REQUIRE_CUDA=1 but no CUDA device answered: %s\n", cuda_unavailable_reason().c_str());
    std::exit(1);
  }
  return ready;
}

Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype) {
  Generator gen(seed);
  return rand(shape, gen, dtype, Device::CPU, lo, hi);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE_MESSAGE(a.shape() == b.shape(), "max_abs_diff: shapes ", a.shape(), " vs ", b.shape());
  std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double worst = 0;
  for (size_t i = 0; i < va.size(); ++i) worst = std::fmax(worst, std::fabs(va[i] - vb[i]));
  return worst;
}

}  // namespace sar::test
