#include "tests/gradcheck.h"

#include <cmath>
#include <sstream>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/rng.h"
#include "core/tape.h"
#include "tests/test_util.h"

namespace sar::test {

// "[1, 0, 3]": the multi-index of flat element i in shape s.
static std::string multi_index(int64_t i, const Shape& s) {
  std::vector<int64_t> coords(s.ndim());
  for (int d = s.ndim() - 1; d >= 0; --d) {
    coords[d] = i % s[d];
    i /= s[d];
  }
  return Shape(coords).str();
}

static double objective(const OpFn& f, const std::vector<Tensor>& inputs, const std::vector<double>& r) {
  NoGrad no_grad;
  std::vector<double> y = f(inputs).to_vector();
  double total = 0;
  for (size_t i = 0; i < y.size(); ++i) total += r[i] * y[i];
  return total;
}

void gradcheck(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
               const GradcheckOptions& opt) {
  for (const Tensor& x : inputs)
    REQUIRE_MESSAGE((!x.requires_grad() || (x.dtype() == DType::F64 && !x.is_cuda())), name,
                    ": gradcheck inputs must be CPU float64");
  for (const Tensor& x : inputs)
    if (x.requires_grad()) x.zero_grad();

  // analytic: one backward of L = sum(r * y)
  Tensor y = f(inputs);
  Generator gen(opt.seed);
  Tensor r = rand(y.shape(), gen, DType::F64, Device::CPU, -1.0, 1.0);
  backward(sum(mul(y, r)));
  std::vector<double> rv = r.to_vector();

  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    Tensor g = x.grad();
    std::vector<double> analytic = g.defined() ? g.to_vector() : std::vector<double>(x.numel(), 0.0);
    double* xs = x.data<double>();
    int64_t n = x.numel();
    int64_t step = opt.max_elements > 0 && n > opt.max_elements ? n / opt.max_elements : 1;

    double worst_excess = -1;
    std::ostringstream worst;
    for (int64_t i = 0; i < n; i += step) {
      double saved = xs[i];
      xs[i] = saved + opt.eps;
      double plus = objective(f, inputs, rv);
      xs[i] = saved - opt.eps;
      double minus = objective(f, inputs, rv);
      xs[i] = saved;
      double numeric = (plus - minus) / (2 * opt.eps);
      double a = analytic[i];
      double scale = std::fmax(std::fmax(std::fabs(a), std::fabs(numeric)), 1.0);
      double excess = std::fabs(a - numeric) - (opt.atol + opt.rtol * scale);
      if (excess > worst_excess) {
        worst_excess = excess;
        worst.str("");
        worst << name << ": d/d input " << k << " " << x.shape() << " at " << multi_index(i, x.shape())
              << ": analytic " << a << ", numeric " << numeric << " (L+ " << plus << ", L- " << minus << ")";
      }
    }
    CHECK_MESSAGE(worst_excess <= 0, worst.str());
  }
}

}  // namespace sar::test
