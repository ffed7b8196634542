// sar_loss: shape rules and bad inputs, a hand-computed 2x2 case, the one-hot limit, float64
// gradcheck, a second reference composed of existing ops, the PyTorch fixture of the official
// implementation, extreme inputs, no valid rows, and CUDA parity.
#include <array>
#include <cmath>
#include <map>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/sar_loss.h"
#include "core/ops/shape_ops.h"
#include "core/safetensors.h"
#include "core/tape.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;

namespace {

using V = const std::vector<Tensor>&;

struct SarInputs {
  Tensor offsets;  // [N, 2J, h, w]
  Tensor logits;   // [N, J, h, w]
  Tensor target;   // [N, J, 2]
  Tensor weight;   // [N, J]
};

// Random float64 inputs of an N x J x h x w problem. Targets lie in [-0.25, 1.25], so some are
// outside the map. Each K_t - K* is between `margin` and 0.5 on each axis, on either side, so no
// offset sits on a kink of |.| and r_t spans e^-16 .. 1. Rows r = n*J + j with r % 4 == 3 are
// invisible (weight 0).
SarInputs random_inputs(int64_t N, int64_t J, int64_t h, int64_t w, uint64_t seed, double logit_range = 4.0,
                        double margin = 1e-3) {
  const int64_t NJ = N * J, G = h * w;
  std::vector<double> target = uniform({NJ, 2}, -0.25, 1.25, seed).to_vector();
  std::vector<double> e = uniform({NJ, 2, G}, margin, 0.5, seed + 1).to_vector();
  std::vector<double> side = uniform({NJ, 2, G}, -1, 1, seed + 2).to_vector();
  std::vector<double> offsets(NJ * 2 * G), weight(NJ);
  for (int64_t r = 0; r < NJ; ++r) {
    weight[r] = r % 4 == 3 ? 0.0 : 1.0;
    for (int a = 0; a < 2; ++a)
      for (int64_t t = 0; t < G; ++t) {
        const int64_t at = (r * 2 + a) * G + t;
        const double p = a == 0 ? double(t % w) / w : double(t / w) / h;  // the grid prior
        offsets[at] = p - target[2 * r + a] - (side[at] >= 0 ? e[at] : -e[at]);  // K_t - K* = +-e
      }
  }
  return {Tensor::from_vector(offsets, {N, 2 * J, h, w}, DType::F64),
          uniform({N, J, h, w}, -logit_range, logit_range, seed + 3),
          Tensor::from_vector(target, {N, J, 2}, DType::F64), Tensor::from_vector(weight, {N, J}, DType::F64)};
}

// The loss composed of existing ops, directly in probability space as the official code has
// it: an independent float64 reference for values and gradients.
Tensor composed_sar_loss(const Tensor& offsets, const Tensor& logits, const Tensor& target, const Tensor& weight,
                         double lambda = 16.0, double eps = 1e-6) {
  const int64_t N = logits.size(0), J = logits.size(1), h = logits.size(2), w = logits.size(3);
  std::vector<double> px(w), py(h), valid = weight.to_vector();
  for (int64_t k = 0; k < w; ++k) px[k] = double(k) / w;
  for (int64_t i = 0; i < h; ++i) py[i] = double(i) / h;
  double count = 0;
  for (double& v : valid) count += (v = v > 0 ? 1.0 : 0.0);
  Tensor o = reshape(offsets, {N, J, 2, h, w});
  Tensor ox = reshape(slice(o, 2, 0, 1), {N, J, h, w}), oy = reshape(slice(o, 2, 1, 2), {N, J, h, w});
  Tensor gx = reshape(slice(target, 2, 0, 1), {N, J, 1, 1}), gy = reshape(slice(target, 2, 1, 2), {N, J, 1, 1});
  Tensor dist = abs(Tensor::from_vector(px, {1, 1, 1, w}, DType::F64) - ox - gx) +
                abs(Tensor::from_vector(py, {1, 1, h, 1}, DType::F64) - oy - gy);
  Tensor r = exp(dist * -lambda);
  Tensor c = sigmoid(logits);
  Tensor wt = c / sum(sum(c, 3, true), 2, true);
  Tensor row_loss = neg(log(sum(sum(wt * r, 3), 2) + eps));  // [N, J]
  return sum(row_loss * Tensor::from_vector(valid, {N, J}, DType::F64)) / std::fmax(count, 1.0);
}

// sar_loss (or the composed reference) on copies of `in` in dtype on device, and its backward;
// returns {loss, doffsets, dlogits}. Copies, so `in` itself never collects gradients.
std::vector<Tensor> loss_and_grads(const SarInputs& in, DType dtype, Device device = Device::CPU,
                                   bool composed = false) {
  Tensor offsets = in.offsets.to(dtype).to(device).clone().set_requires_grad();
  Tensor logits = in.logits.to(dtype).to(device).clone().set_requires_grad();
  Tensor target = in.target.to(dtype).to(device), weight = in.weight.to(dtype).to(device);
  Tensor loss =
      composed ? composed_sar_loss(offsets, logits, target, weight) : sar_loss(offsets, logits, target, weight);
  backward(loss);
  return {loss, offsets.grad(), logits.grad()};
}

// {loss, doffsets, dlogits} against a reference's, each within atol + rtol * |reference|.
void check_loss_and_grads(const std::string& what, const std::vector<Tensor>& ref, const std::vector<Tensor>& ours,
                          double atol, double rtol) {
  test::check_close(what + ": loss", ref[0], ours[0], atol, rtol);
  test::check_close(what + ": doffsets", ref[1], ours[1], atol, rtol);
  test::check_close(what + ": dlogits", ref[2], ours[2], atol, rtol);
}

// The cases of tools/make_sar_fixtures.py: inputs, and PyTorch's {loss, doffsets, dlogits}.
struct FixtureCase {
  std::string name;
  SarInputs in;
  std::vector<Tensor> expected;
};

std::vector<FixtureCase> load_fixture() {
  const std::string path = "tests/data/sar/sar_loss.safetensors";
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> t;
  for (auto& [name, tensor] : load_safetensors(path, &metadata)) t[name] = tensor;
  REQUIRE_MESSAGE(metadata.size() == 5, path, ": expected the 5 cases of tools/make_sar_fixtures.py");
  std::vector<FixtureCase> cases;
  for (const auto& [name, settings] : metadata)
    cases.push_back({path + " " + name,
                     {t.at(name + ".offsets"), t.at(name + ".logits"), t.at(name + ".target"), t.at(name + ".weight")},
                     {t.at(name + ".out"), t.at(name + ".grad_offsets"), t.at(name + ".grad_logits")}});
  return cases;
}

void check_all_finite(const std::string& what, const Tensor& t) {
  std::vector<double> v = t.to_vector();
  int64_t bad = 0;
  for (double x : v) bad += std::isfinite(x) ? 0 : 1;
  CHECK_MESSAGE(bad == 0, what, ": ", bad, " of ", v.size(), " values are not finite");
}

}  // namespace

// ---- shape rules and bad inputs ----

TEST_CASE("sar_loss: returns a 0-dim loss for every map size (float64, cpu)") {
  for (auto [N, J, h, w] : std::vector<std::array<int64_t, 4>>{{1, 1, 1, 1}, {2, 3, 3, 5}, {1, 17, 8, 6}}) {
    SarInputs in = random_inputs(N, J, h, w, 1);
    Tensor loss = sar_loss(in.offsets, in.logits, in.target, in.weight);
    CHECK(loss.shape() == Shape{});
    CHECK(loss.dtype() == DType::F64);
    CHECK(std::isfinite(loss.item()));
  }
  // Empty batches have no valid row: loss 0.
  CHECK(sar_loss(Tensor::zeros({0, 2, 3, 3}, DType::F64), Tensor::zeros({0, 1, 3, 3}, DType::F64),
                 Tensor::zeros({0, 1, 2}, DType::F64), Tensor::zeros({0, 1}, DType::F64))
            .item() == 0.0);
}

TEST_CASE("sar_loss: bad inputs are refused by name (float32, cpu)") {
  Tensor logits = Tensor::zeros({2, 17, 64, 48}), offsets = Tensor::zeros({2, 34, 64, 48});
  Tensor target = Tensor::zeros({2, 17, 2}), weight = Tensor::ones({2, 17});
  CHECK_THROWS_WITH_AS(sar_loss(Tensor::zeros({2, 17, 64, 48}), logits, target, weight),
                       doctest::Contains("sar_loss: offsets must be [N, 2J, h, w] = [2, 34, 64, 48] for logits "
                                         "[2, 17, 64, 48], got [2, 17, 64, 48]"),
                       Error);
  CHECK_THROWS_WITH_AS(sar_loss(offsets, logits, Tensor::zeros({2, 17}), weight),
                       doctest::Contains("sar_loss: target must be [N, J, 2] = [2, 17, 2] for logits [2, 17, 64, 48], "
                                         "got [2, 17]"),
                       Error);
  CHECK_THROWS_WITH_AS(sar_loss(offsets, logits, target, Tensor::ones({2, 17, 1})),
                       doctest::Contains("sar_loss: weight must be [N, J] = [2, 17] for logits [2, 17, 64, 48], got "
                                         "[2, 17, 1]"),
                       Error);
  CHECK_THROWS_WITH_AS(sar_loss(offsets, Tensor::zeros({2, 17, 3072}), target, weight),
                       doctest::Contains("sar_loss: logits must be [N, J, h, w] with h, w >= 1, got [2, 17, 3072]"),
                       Error);
  CHECK_THROWS_WITH_AS(sar_loss(Tensor::zeros({1, 2, 0, 4}), Tensor::zeros({1, 1, 0, 4}), Tensor::zeros({1, 1, 2}),
                                Tensor::ones({1, 1})),
                       doctest::Contains("sar_loss: logits must be [N, J, h, w] with h, w >= 1, got [1, 1, 0, 4]"),
                       Error);
  CHECK_THROWS_WITH_AS(sar_loss(offsets.to(DType::F64), logits, target, weight),
                       doctest::Contains("sar_loss: logits is float32 but offsets is float64"), Error);
  CHECK_THROWS_WITH_AS(sar_loss(offsets, logits, target.to(DType::I64), weight),
                       doctest::Contains("sar_loss: target must be float32 or float64, got int64"), Error);
  CHECK_THROWS_WITH_AS(sar_loss(offsets, logits, target, Tensor()),
                       doctest::Contains("sar_loss: weight is an undefined tensor"), Error);
  SarLossOptions bad_eps;
  bad_eps.eps = 0;
  CHECK_THROWS_WITH_AS(sar_loss(offsets, logits, target, weight, bad_eps),
                       doctest::Contains("sar_loss: options.eps must be > 0"), Error);
  SarLossOptions bad_lambda;
  bad_lambda.lambda = -1;
  CHECK_THROWS_WITH_AS(sar_loss(offsets, logits, target, weight, bad_lambda),
                       doctest::Contains("sar_loss: options.lambda must be >= 0, got -1"), Error);
}

// ---- known values ----

TEST_CASE("sar_loss: a 2x2 grid matches the closed form (float64, cpu)") {
  // One keypoint, equal logits (w_t = 1/4), zero offsets: K_t = p_t = (0, 0), (0.5, 0), (0, 0.5),
  // (0.5, 0.5). Target (0.1, 0.2): |K_t - K*|_1 = 0.3, 0.6, 0.4, 0.7.
  const double d[4] = {0.3, 0.6, 0.4, 0.7}, eps = 1e-6;
  double r[4], S = 0;
  for (int t = 0; t < 4; ++t) S += (r[t] = std::exp(-16 * d[t])) / 4;
  Tensor offsets = Tensor::zeros({1, 2, 2, 2}, DType::F64).set_requires_grad();
  Tensor logits = Tensor::zeros({1, 1, 2, 2}, DType::F64).set_requires_grad();
  Tensor target = Tensor::from_vector({0.1, 0.2}, {1, 1, 2}, DType::F64), weight = Tensor::ones({1, 1}, DType::F64);
  Tensor loss = sar_loss(offsets, logits, target, weight);
  CHECK(loss.item() == doctest::Approx(-std::log(S + eps)).epsilon(1e-14));

  // dL/do_x = -beta 16 q_t sign(K_x - K*_x), dL/ds = -beta (q_t - 1/4) (1 - 1/2), q_t = r_t / (4 S).
  backward(loss);
  const double beta = S / (S + eps), sign_x[4] = {-1, 1, -1, 1}, sign_y[4] = {-1, -1, 1, 1};
  std::vector<double> doff = offsets.grad().to_vector(), ds = logits.grad().to_vector();
  for (int t = 0; t < 4; ++t) {
    CAPTURE(t);
    const double q = r[t] / (4 * S);
    CHECK(doff[t] == doctest::Approx(-beta * 16 * q * sign_x[t]).epsilon(1e-13));
    CHECK(doff[4 + t] == doctest::Approx(-beta * 16 * q * sign_y[t]).epsilon(1e-13));
    CHECK(ds[t] == doctest::Approx(-beta * (q - 0.25) * 0.5).epsilon(1e-13));
  }

  // The sign of Eq. 5 as coded: K_t = p_t - o_t. Offsets (-0.4, -0.3) at cell 0 move K_0 from
  // (0, 0) to (0.4, 0.3), 0.4 away from the target instead of 0.3.
  NoGrad no_grad;
  Tensor moved = Tensor::from_vector({-0.4, 0, 0, 0, -0.3, 0, 0, 0}, {1, 2, 2, 2}, DType::F64);
  const double S_moved = S + (std::exp(-16 * 0.4) - r[0]) / 4;
  CHECK(sar_loss(moved, logits, target, weight).item() == doctest::Approx(-std::log(S_moved + eps)).epsilon(1e-14));
}

TEST_CASE("sar_loss: a -inf logit is a cell of weight 0, wherever it stands (float64 and float32, cpu)") {
  // The 2x2 grid above with c_0 = 0: w = (0, 1/3, 1/3, 1/3), S = (r_1 + r_2 + r_3) / 3. The
  // one-pass log-sum-exp starts at the -inf (exp(-inf - -inf) would make it NaN), and cell 0's
  // gradients are 0 (1 - c_0 = 1, not exp(log c_0 - s_0)). A target far beyond float32's exp
  // (every r_t = 0) gives -log(eps), not NaN.
  const double d[4] = {0.3, 0.6, 0.4, 0.7}, eps = 1e-6;
  double S = 0;
  for (int t = 1; t < 4; ++t) S += std::exp(-16 * d[t]) / 3;
  for (DType dtype : {DType::F64, DType::F32}) {
    CAPTURE(dtype_name(dtype));
    Tensor offsets = Tensor::zeros({1, 2, 2, 2}, dtype).set_requires_grad();
    Tensor logits = Tensor::from_vector({-INFINITY, 0, 0, 0}, {1, 1, 2, 2}, dtype).set_requires_grad();
    Tensor target = Tensor::from_vector({0.1, 0.2}, {1, 1, 2}, dtype), weight = Tensor::ones({1, 1}, dtype);
    Tensor loss = sar_loss(offsets, logits, target, weight);
    CHECK(loss.item() == doctest::Approx(-std::log(S + eps)).epsilon(1e-6));
    backward(loss);
    const std::vector<double> doff = offsets.grad().to_vector(), ds = logits.grad().to_vector();
    CHECK(doff[0] == 0);
    CHECK(doff[4] == 0);
    CHECK(ds[0] == 0);
    for (double g : ds) CHECK(std::isfinite(g));
    NoGrad no_grad;
    Tensor far = Tensor::from_vector({1e38, 1e38}, {1, 1, 2}, dtype);
    CHECK(sar_loss(offsets, logits, far, weight).item() == doctest::Approx(-std::log(eps)).epsilon(1e-6));
  }
}

TEST_CASE("sar_loss: a one-hot selector gives -log(r_t + eps) (float64, cpu)") {
  SarInputs in = random_inputs(1, 1, 4, 5, 2);
  const int hot = 13;  // cell (2, 3)
  std::vector<double> logits(20, -40.0);
  logits[hot] = 40.0;  // w_hot = 1 - O(20 e^-40)
  Tensor loss = sar_loss(in.offsets, Tensor::from_vector(logits, {1, 1, 4, 5}, DType::F64), in.target, in.weight);
  std::vector<double> o = in.offsets.to_vector(), g = in.target.to_vector();
  const double dist = std::fabs(3.0 / 5 - o[hot] - g[0]) + std::fabs(2.0 / 4 - o[20 + hot] - g[1]);
  CHECK(loss.item() == doctest::Approx(-std::log(std::exp(-16 * dist) + 1e-6)).epsilon(1e-12));
}

TEST_CASE("sar_loss: invisible rows are dropped and visible ones count once, whatever their weight (float64, cpu)") {
  SarInputs in = random_inputs(1, 3, 3, 4, 3);
  auto row = [&](const Tensor& t, int j) { return slice(t, 1, j, j + 1); };
  auto row_loss = [&](int j) {
    return sar_loss(slice(in.offsets, 1, 2 * j, 2 * j + 2), row(in.logits, j), row(in.target, j),
                    Tensor::ones({1, 1}, DType::F64))
        .item();
  };
  Tensor weight = Tensor::from_vector({2.0, 0.0, 1.0}, {1, 3}, DType::F64);  // COCO's v = 2, 0, 1
  CHECK(sar_loss(in.offsets, in.logits, in.target, weight).item() ==
        doctest::Approx((row_loss(0) + row_loss(2)) / 2).epsilon(1e-14));
}

// ---- gradients ----

TEST_CASE("sar_loss: gradcheck w.r.t. offsets and logits (float64, cpu)") {
  struct Case {
    int64_t N, J, h, w;
  };
  uint64_t seed = 10;
  for (const Case& c : {Case{1, 1, 1, 1}, Case{2, 2, 3, 5}, Case{2, 3, 4, 4}, Case{1, 4, 2, 7}, Case{3, 2, 5, 3}}) {
    SarInputs in = random_inputs(c.N, c.J, c.h, c.w, seed += 10);
    in.offsets.set_requires_grad();
    in.logits.set_requires_grad();
    const std::string name = "sar_loss " + in.logits.shape().str();
    test::gradcheck(name, [&](V x) { return sar_loss(x[0], x[1], x[2], x[3]); },
                    {in.offsets, in.logits, in.target, in.weight});
  }
}

TEST_CASE("sar_loss: gradcheck with other lambda and eps, and a peaky selector (float64, cpu)") {
  SarInputs in = random_inputs(2, 2, 3, 4, 60, 12.0);
  in.offsets.set_requires_grad();
  in.logits.set_requires_grad();
  SarLossOptions options;
  options.lambda = 4.0;
  options.eps = 1e-2;
  test::gradcheck("sar_loss lambda 4, eps 1e-2", [&](V x) { return sar_loss(x[0], x[1], x[2], x[3], options); },
                  {in.offsets, in.logits, in.target, in.weight});
}

TEST_CASE("sar_loss: matches the loss composed of existing ops, values and gradients (float64, cpu)") {
  uint64_t seed = 100;
  for (auto [N, J, h, w] : std::vector<std::array<int64_t, 4>>{{1, 1, 1, 1}, {2, 3, 3, 5}, {3, 5, 8, 6}}) {
    SarInputs in = random_inputs(N, J, h, w, seed += 10);
    check_loss_and_grads("composed " + in.logits.shape().str(), loss_and_grads(in, DType::F64, Device::CPU, true),
                         loss_and_grads(in, DType::F64), 1e-13, 1e-10);
  }
}

// ---- the official implementation ----

TEST_CASE("sar_loss: matches the PyTorch fixture of the official code to 1e-10 (float64, cpu)") {
  for (const FixtureCase& c : load_fixture())
    check_loss_and_grads(c.name, c.expected, loss_and_grads(c.in, DType::F64), 1e-10, 1e-10);
}

// ---- extreme inputs ----

namespace {

// 3 rows of a 3x4 map: logits of +-80 alternating; offsets of 1e3 at half the cells (their
// r_t underflows); a target 60 maps away (every r_t underflows: L = -log(eps)). And a fourth
// row of logits -90 everywhere, where float32 c_t would be denormal.
SarInputs extreme_inputs() {
  SarInputs in = random_inputs(1, 4, 3, 4, 7);
  std::vector<double> o = in.offsets.to_vector(), s = in.logits.to_vector(), g = in.target.to_vector();
  for (int t = 0; t < 12; ++t) {
    s[t] = t % 2 ? 80.0 : -80.0;
    if (t % 2 == 0) o[2 * 12 + t] = o[3 * 12 + t] = 1e3;  // row 1, x and y
    s[36 + t] = -90.0;
  }
  g[4] = 60.0;
  g[5] = -45.0;
  std::vector<double> weight = {1, 1, 1, 1};
  return {Tensor::from_vector(o, {1, 8, 3, 4}, DType::F64), Tensor::from_vector(s, {1, 4, 3, 4}, DType::F64),
          Tensor::from_vector(g, {1, 4, 2}, DType::F64), Tensor::from_vector(weight, {1, 4}, DType::F64)};
}

}  // namespace

TEST_CASE("sar_loss: logits of +-80, offsets of 1e3 and a far target give finite values (float64 and float32, cpu)") {
  SarInputs in = extreme_inputs();
  // float64: the direct formula (composed ops) is representable here, and agrees.
  std::vector<Tensor> ours = loss_and_grads(in, DType::F64);
  check_loss_and_grads("composed", loss_and_grads(in, DType::F64, Device::CPU, true), ours, 1e-13, 1e-10);
  // The row whose target is far away adds exactly -log(eps) / 4.
  Tensor far = sar_loss(slice(in.offsets, 1, 4, 6), slice(in.logits, 1, 2, 3), slice(in.target, 1, 2, 3),
                        Tensor::ones({1, 1}, DType::F64));
  CHECK(far.item() == doctest::Approx(-std::log(1e-6)).epsilon(1e-14));
  // float32: finite, and the same numbers to float precision.
  std::vector<Tensor> f32 = loss_and_grads(in, DType::F32);
  check_all_finite("float32 loss", f32[0]);
  check_all_finite("float32 doffsets", f32[1]);
  check_all_finite("float32 dlogits", f32[2]);
  check_loss_and_grads("float32", ours, f32, 1e-6, 1e-4);
}

TEST_CASE("sar_loss: gradcheck at extreme inputs (float64, cpu)") {
  SarInputs in = extreme_inputs();
  in.offsets.set_requires_grad();
  in.logits.set_requires_grad();
  test::gradcheck("sar_loss extreme", [&](V x) { return sar_loss(x[0], x[1], x[2], x[3]); },
                  {in.offsets, in.logits, in.target, in.weight});
}

TEST_CASE("sar_loss: no valid row gives loss 0 and zero gradients (float64 and float32, cpu)") {
  for (DType dtype : {DType::F64, DType::F32}) {
    SarInputs in = random_inputs(2, 3, 3, 4, 8);
    in.weight = Tensor::zeros({2, 3}, DType::F64);
    std::vector<Tensor> out = loss_and_grads(in, dtype);
    CHECK(out[0].item() == 0.0);
    CHECK(test::max_abs_diff(out[1], Tensor::zeros_like(out[1])) == 0.0);
    CHECK(test::max_abs_diff(out[2], Tensor::zeros_like(out[2])) == 0.0);
  }
}

TEST_CASE("sar_loss: only the gradients asked for are computed (float64, cpu)") {
  SarInputs in = random_inputs(1, 2, 3, 3, 9);
  std::vector<Tensor> both = loss_and_grads(in, DType::F64);
  Tensor logits = in.logits.clone().set_requires_grad();
  backward(sar_loss(in.offsets, logits, in.target, in.weight));
  CHECK(!in.offsets.grad().defined());
  CHECK(test::max_abs_diff(logits.grad(), both[2]) == 0.0);
}

// ---- CUDA ----

CUDA_TEST_CASE("sar_loss: CUDA matches CPU (float32, cuda)") {
  struct Case {
    int64_t N, J, h, w;
  };
  const Case cases[] = {
      {2, 17, 64, 48},  // G = 3072 > 256: each thread walks 12 cells; 12 cell chunks per row backward
      {1, 5, 17, 19},   // G = 323, not a multiple of 256
      {4, 2, 16, 16},   // G = 256 exactly
      {2, 3, 3, 5},     // G = 15 < 32: only part of warp 0 holds cells
      {3, 2, 1, 1},     // G = 1
      {20, 17, 8, 6},   // 340 rows > 256: the mean kernel's threads take several rows each
  };
  // Most gradients are below 1e-5 at G = 3072 (rms 1e-5, max 3e-4), so the default atol would
  // pass a wrong chunk; the devices differ by ~1e-9 there (log-sum-exp summed in another order)
  // and by ~1e-8 at G = 1 (r - S cancels).
  test::ParityOptions tol;
  tol.atol = 1e-7;
  uint64_t seed = 200;
  for (const Case& c : cases) {
    SarInputs in = random_inputs(c.N, c.J, c.h, c.w, seed += 10);
    in.offsets.set_requires_grad();
    in.logits.set_requires_grad();
    test::parity("sar_loss " + in.logits.shape().str(), [](V x) { return sar_loss(x[0], x[1], x[2], x[3]); },
                 {in.offsets, in.logits, in.target, in.weight}, tol);
  }
}

CUDA_TEST_CASE("sar_loss: CUDA matches CPU at extreme inputs and without valid rows (float32, cuda)") {
  SarInputs in = extreme_inputs();
  in.offsets.set_requires_grad();
  in.logits.set_requires_grad();
  test::parity("sar_loss extreme", [](V x) { return sar_loss(x[0], x[1], x[2], x[3]); },
               {in.offsets, in.logits, in.target, in.weight});
  SarInputs none = random_inputs(2, 3, 5, 7, 300);
  none.weight = Tensor::zeros({2, 3}, DType::F64);
  std::vector<Tensor> out = loss_and_grads(none, DType::F32, Device::CUDA);
  CHECK(out[0].is_cuda());  // the loss never went through the host
  CHECK(out[0].item() == 0.0);
  CHECK(test::max_abs_diff(out[1], Tensor::zeros({2, 6, 5, 7})) == 0.0);
  CHECK(test::max_abs_diff(out[2], Tensor::zeros({2, 3, 5, 7})) == 0.0);
}

CUDA_TEST_CASE("sar_loss: matches the PyTorch fixture of the official code to 1e-4 (float32, cuda)") {
  for (const FixtureCase& c : load_fixture())
    check_loss_and_grads(c.name, c.expected, loss_and_grads(c.in, DType::F32, Device::CUDA), 1e-4, 1e-4);
}
