// Random numbers: reproducible, sensible statistics, identical on CPU and CUDA.
#include <cmath>

#include "core/rng.h"
#include "tests/test_util.h"

using namespace sar;

static double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

static double var_of(const std::vector<double>& v) {
  double m = mean_of(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / double(v.size());
}

TEST_CASE("rng: same seed, same numbers; the offset advances (float32, cpu)") {
  Generator g1(42), g2(42);
  Tensor a = rand({100}, g1), b = rand({100}, g2);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(g1.offset == 100);
  Tensor c = rand({100}, g1);  // next draw differs
  CHECK(c.to_vector() != a.to_vector());
  // Drawing 60 then 40 equals drawing 100 at once: element i uses counter offset + i.
  Generator g3(42);
  std::vector<double> first = rand({60}, g3).to_vector(), second = rand({40}, g3).to_vector();
  first.insert(first.end(), second.begin(), second.end());
  CHECK(first == a.to_vector());
  Generator other(43);
  CHECK(rand({100}, other).to_vector() != a.to_vector());
}

TEST_CASE("rng: uniform, normal and bernoulli statistics (float64, cpu)") {
  Generator gen(1);
  std::vector<double> u = rand({100000}, gen, DType::F64, Device::CPU, -2.0, 3.0).to_vector();
  for (double x : u) REQUIRE((x >= -2.0 && x < 3.0));
  CHECK(mean_of(u) == doctest::Approx(0.5).epsilon(0.01));
  CHECK(var_of(u) == doctest::Approx(25.0 / 12.0).epsilon(0.02));
  std::vector<double> n = randn({100000}, gen, DType::F64, Device::CPU, 1.0, 2.0).to_vector();
  CHECK(mean_of(n) == doctest::Approx(1.0).epsilon(0.02));
  CHECK(var_of(n) == doctest::Approx(4.0).epsilon(0.02));
  std::vector<double> b = bernoulli({100000}, 0.3, gen).to_vector();
  for (double x : b) REQUIRE((x == 0.0 || x == 1.0));
  CHECK(mean_of(b) == doctest::Approx(0.3).epsilon(0.02));
  CHECK_THROWS_WITH_AS(bernoulli({2}, 1.5, gen), doctest::Contains("bernoulli: p must be in [0, 1], got 1.5"), Error);
}

TEST_CASE("rng: float32 uniform never reaches the upper bound (float32, cpu)") {
  Generator gen(5);
  for (double x : rand({200000}, gen).to_vector()) REQUIRE(x < 1.0);
}

CUDA_TEST_CASE("rng: CUDA draws equal CPU draws for the same seed and offset (float32, cuda)") {
  Generator cpu_gen(2024), cuda_gen(2024);
  const Shape shape{1001};  // not a multiple of the block size
  CHECK(rand(shape, cpu_gen).to_vector() == rand(shape, cuda_gen, DType::F32, Device::CUDA).to_vector());
  CHECK(bernoulli(shape, 0.4, cpu_gen).to_vector() ==
        bernoulli(shape, 0.4, cuda_gen, DType::F32, Device::CUDA).to_vector());
  std::vector<double> n_cpu = randn(shape, cpu_gen).to_vector();
  std::vector<double> n_cuda = randn(shape, cuda_gen, DType::F32, Device::CUDA).to_vector();
  double worst = 0;
  for (size_t i = 0; i < n_cpu.size(); ++i) worst = std::fmax(worst, std::fabs(n_cpu[i] - n_cuda[i]));
  CHECK(worst <= 1e-6);  // log/cos may differ in the last ulp between libm and CUDA
  CHECK(cpu_gen.offset == cuda_gen.offset);
  // A range that does not start at 0: low + (high - low) u is rounded twice on both devices
  // (philox.h's mul_then_add), so float64 draws agree to the bit too.
  CHECK(rand(shape, cpu_gen, DType::F64, Device::CPU, -0.3, 0.7).to_vector() ==
        rand(shape, cuda_gen, DType::F64, Device::CUDA, -0.3, 0.7).to_vector());
}
