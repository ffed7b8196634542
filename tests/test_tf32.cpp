// The TF32 switch (core/device.h, sar train|bench --tf32): on CUDA, convolutions and matmuls
// stay within TF32's rounding of the float64 CPU answer, and switching it off brings float32
// parity back (cuDNN's choices are cached per setting); the CPU ignores it; a bench baseline
// that multiplied in the other math is refused.
#include <cmath>
#include <fstream>
#include <string>

#include "core/ops/conv.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "train/bench_util.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::ScopedTf32;
using sar::test::uniform;
using V = const std::vector<Tensor>&;

namespace {

// Checks |gpu - exact| <= bound elementwise, where bound = u * sum_k |a_k| |b_k| is the error of
// a sum of products whose factors were each rounded to TF32 (relative error 2^-11 each, so
// 2^-10 a product) and then summed in float32 (~K * 2^-24 for K terms; K <= 600 here, < 2^-14).
// `exact` and `magnitude` are float64 CPU results of the same op on x and on |x|.
void check_within_tf32(const std::string& what, const Tensor& gpu, const Tensor& exact, const Tensor& magnitude) {
  const double u = std::ldexp(1.0, -10) + std::ldexp(1.0, -14);
  const std::vector<double> g = gpu.to_vector(), e = exact.to_vector(), m = magnitude.to_vector();
  REQUIRE(g.size() == e.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < g.size(); ++i)
    if (std::fabs(g[i] - e[i]) > u * m[i] && bad++ == 0) first = i;
  INFO(what, ": ", bad, " of ", g.size(), " values outside TF32's error bound; the first, #", first, ": ",
       g[first], " against ", e[first], " (bound ", u * m[first], ")");
  CHECK(bad == 0);
}

}  // namespace

CUDA_TEST_CASE("tf32: conv2d stays within TF32 rounding of the exact answer, and float32 parity returns when off (float32, cuda)") {
  // 64 channels x 3x3: 576 products per output, values up to ~30
  Tensor x = uniform({4, 64, 17, 13}, -1, 1, 61), w = uniform({32, 64, 3, 3}, -1, 1, 62);
  const Conv2dOptions opt(1, 1);
  const Tensor exact = conv2d(x, w, Tensor(), opt), magnitude = conv2d(abs(x), abs(w), Tensor(), opt);
  const Tensor xg = x.to(DType::F32).to(Device::CUDA), wg = w.to(DType::F32).to(Device::CUDA);
  const Tensor fp32 = conv2d(xg, wg, Tensor(), opt);
  {
    ScopedTf32 tf32;
    const Tensor y = conv2d(xg, wg, Tensor(), opt);
    check_within_tf32("conv2d forward", y, exact, magnitude);
    MESSAGE("conv2d: TF32 moved the float32 result by up to ", test::max_abs_diff(y, fp32),
            " (0 would mean cuDNN chose no tensor-core algorithm)");
    // the backward: a wrong index or a lost tap is off by O(1); TF32 by ~1e-3 of the scale
    test::ParityOptions loose;
    loose.atol = 0.1;
    loose.rtol = 1e-2;
    test::parity("conv2d under TF32", [opt](V in) { return conv2d(in[0], in[1], in[2], opt); },
                 {x.set_requires_grad(), w.set_requires_grad(), uniform({32}, -1, 1, 63).set_requires_grad()},
                 loose);
  }
  // off again: the float32 plan, not the cached TF32 one (TF32 would be ~1e-2 away)
  CHECK(test::max_abs_diff(conv2d(xg, wg, Tensor(), opt), fp32) < 1e-6);
  test::check_close("conv2d in float32", exact, fp32, 1e-3, 1e-3);  // as test_conv.cpp's parity
}

CUDA_TEST_CASE("tf32: matmul stays within TF32 rounding of the exact answer, and float32 returns when off (float32, cuda)") {
  Tensor a = uniform({37, 300}, -1, 1, 64), b = uniform({300, 129}, -1, 1, 65);
  const Tensor exact = matmul(a, b), magnitude = matmul(abs(a), abs(b));
  const Tensor ag = a.to(DType::F32).to(Device::CUDA), bg = b.to(DType::F32).to(Device::CUDA);
  const Tensor fp32 = matmul(ag, bg);
  {
    ScopedTf32 tf32;
    const Tensor y = matmul(ag, bg);
    check_within_tf32("matmul", y, exact, magnitude);
    MESSAGE("matmul: TF32 moved the float32 result by up to ", test::max_abs_diff(y, fp32));
  }
  CHECK(test::max_abs_diff(matmul(ag, bg), fp32) < 1e-6);
  test::check_close("matmul in float32", exact, fp32, 1e-4, 1e-4);
}

TEST_CASE("tf32: the switch leaves CPU convolutions and matmuls bit for bit as they were (float32, cpu)") {
  Tensor x = uniform({2, 8, 9, 7}, -1, 1, 66, DType::F32), w = uniform({4, 8, 3, 3}, -1, 1, 67, DType::F32);
  Tensor a = uniform({9, 20}, -1, 1, 68, DType::F32), b = uniform({20, 5}, -1, 1, 69, DType::F32);
  const Tensor conv_before = conv2d(x, w, Tensor(), Conv2dOptions(1, 1)), matmul_before = matmul(a, b);
  ScopedTf32 tf32;
  CHECK(test::max_abs_diff(conv2d(x, w, Tensor(), Conv2dOptions(1, 1)), conv_before) == 0.0);
  CHECK(test::max_abs_diff(matmul(a, b), matmul_before) == 0.0);
}

TEST_CASE("tf32: sar bench names the math, and refuses a baseline measured in the other one (cpu)") {
  CHECK(std::string(bench_math(true, Device::CUDA)) == "tf32");
  CHECK(std::string(bench_math(false, Device::CUDA)) == "float32");
  CHECK(std::string(bench_math(true, Device::CPU)) == "float32");  // no TF32 on the CPU

  const std::string tf32_file = test::temp_path("baseline_tf32.json"), plain_file = test::temp_path("baseline.json");
  std::ofstream(tf32_file) << R"({"label": "torch2.11.0", "math": "tf32", "results": [{"name": "x", "ms": 2}]})";
  std::ofstream(plain_file) << R"({"label": "torch1.13.1", "results": [{"name": "x", "ms": 3}]})";
  std::string label;
  CHECK(read_baseline(tf32_file, &label, "tf32").at("x") == 2);
  CHECK(read_baseline(plain_file, &label, "float32").at("x") == 3);  // no "math": float32, as before --tf32 existed
  CHECK(test::error_of([&] { read_baseline(tf32_file, &label, "float32"); }) ==
        tf32_file + ": the baseline multiplied in tf32, this run in float32; rerun its tools/ script without --tf32");
  CHECK(test::error_of([&] { read_baseline(plain_file, &label, "tf32"); }) ==
        plain_file + ": the baseline multiplied in float32, this run in tf32; rerun its tools/ script with --tf32");
}
