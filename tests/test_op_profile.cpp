// The op profile (core/op_profile.h): rows by op and input shapes, forward and backward times
// where the work is, nodes recorded before it began left out, the tables, and
// `sar bench model --profile`.
#include <string>

#include "core/op_profile.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/reduce.h"
#include "core/rng.h"
#include "core/tape.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::CliResult;
using sar::test::run_sar;

namespace {

const OpTimes* find_row(const OpProfile& profile, const std::string& op, const std::string& shapes) {
  for (const OpTimes& t : profile.rows())
    if (t.op == op && t.shapes == shapes) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("op profile: rows by op and shapes, times where the work is, passes add up (float64, cpu)") {
  Generator gen(3);
  Tensor a = randn({256, 256}, gen, DType::F64).set_requires_grad();
  Tensor b = randn({256, 256}, gen, DType::F64);
  Tensor c = randn({2}, gen, DType::F64).set_requires_grad();
  CHECK(active_op_profile() == nullptr);
  {
    OpProfile profile;
    CHECK(active_op_profile() == &profile);
    for (int pass = 0; pass < 2; ++pass) {
      profile.start_pass(Device::CPU);
      // a 256^3 product and an add of two numbers: the product's row must carry the time
      backward(sum(matmul(a, b)) + sum(c + c));
    }
    profile.add("adam step", 1.5);
    const OpTimes* product = find_row(profile, "matmul", "[256, 256] [256, 256]");
    const OpTimes* tiny_add = find_row(profile, "add", "[2] [2]");
    const OpTimes* update = find_row(profile, "adam step", "");
    REQUIRE(product != nullptr);
    REQUIRE(tiny_add != nullptr);
    REQUIRE(update != nullptr);
    CHECK(product->calls == 2);
    CHECK(tiny_add->calls == 2);
    CHECK(product->forward_ms > tiny_add->forward_ms);
    CHECK(product->backward_ms > tiny_add->backward_ms);  // two 256^3 products against an add
    CHECK(update->forward_ms == 1.5);
    CHECK(update->backward_ms == 0);
    // sum appears with two shapes (a whole-tensor sum flattens first): two rows
    CHECK(find_row(profile, "sum", "[65536]") != nullptr);
    CHECK(find_row(profile, "sum", "[2]") != nullptr);

    const std::string tables = profile.tables(2, 2);
    CHECK(tables.find("time per step by op (2 profiled steps") != std::string::npos);
    CHECK(tables.find("the 2 costliest by op and input shapes, per step:") != std::string::npos);
    CHECK(tables.find("[256, 256] [256, 256]") != std::string::npos);  // the product is among the top 2
    CHECK(tables.find("adam step") != std::string::npos);
    CHECK_THROWS_WITH_AS(OpProfile(), doctest::Contains("another profile is already active"), Error);
  }
  CHECK(active_op_profile() == nullptr);
}

TEST_CASE("op profile: nodes recorded before it began are not counted (float64, cpu)") {
  Tensor x = Tensor::from_vector({1.0, 2.0}, {2}, DType::F64).set_requires_grad();
  Tensor y = exp(x);  // recorded with no profile active
  OpProfile profile;
  profile.start_pass(Device::CPU);
  backward(sum(y));
  CHECK(find_row(profile, "exp", "[2]") == nullptr);
  REQUIRE(find_row(profile, "sum", "[2]") != nullptr);
  CHECK(find_row(profile, "sum", "[2]")->calls == 1);
  CHECK(x.grad().to_vector() == exp(x).to_vector());  // backward itself is unchanged
}

TEST_CASE("op profile: nodes left by a finished profile are not booked to the next one (float64, cpu)") {
  Generator gen(4);
  Tensor x = randn({1 << 20}, gen, DType::F64).set_requires_grad();
  Tensor y;
  double exp_ms = 0;
  {
    OpProfile first;  // records exp (its row 0), then ends before any backward
    first.start_pass(Device::CPU);
    y = exp(x);
    exp_ms = first.rows().at(0).forward_ms;
  }
  OpProfile second;  // may well live where `first` did; its row 0 is sum's reshape
  second.start_pass(Device::CPU);
  backward(sum(y));
  CHECK(find_row(second, "exp", "[1048576]") == nullptr);
  const OpTimes* reshape = find_row(second, "reshape", "[1048576]");
  REQUIRE(reshape != nullptr);
  // exp's backward (a product over 2^20 values) booked to the reshape would show; a reshape's
  // backward is a view
  CHECK(reshape->backward_ms < exp_ms / 10);
}

TEST_CASE("sar bench model --profile prints the step's time by op and its costliest ops") {
  const CliResult r = run_sar("bench model --model resnet18 --input 32x32 --batch 2 --keypoints 3 --reps 1 "
                              "--device cpu --profile --top 3");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("time per step by op (1 profiled steps") != std::string::npos);
  CHECK(r.output.find("conv2d") != std::string::npos);
  CHECK(r.output.find("adam step") != std::string::npos);
  CHECK(r.output.find("the 3 costliest by op and input shapes, per step:") != std::string::npos);
  const CliResult lone_top = run_sar("bench model --top 3");
  CHECK(lone_top.exit_code == 1);
  CHECK(lone_top.output.find("--top takes a positive count and goes with --profile") != std::string::npos);
}
