// gradcheck.cpp: see gradcheck.h.
#include "core/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>
#include <unordered_set>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/rng.h"
#include "core/tape.h"

namespace sar {

namespace {

// "[1, 0, 3]": the multi-index of flat element i in shape s.
std::string multi_index(int64_t i, const Shape& s) {
  std::vector<int64_t> coords(s.ndim());
  for (int d = s.ndim() - 1; d >= 0; --d) {
    coords[d] = i % s[d];
    i /= s[d];
  }
  return Shape(coords).str();
}

// Hands out the entries [0, total) of a group: all of them in order, or distinct ones at random.
class EntryDraw {
 public:
  EntryDraw(int64_t total, bool all, uint64_t seed) : total_(total), all_(all), rng_(seed) {}
  bool next(int64_t* i) {
    if (all_) {
      if (next_ == total_) return false;
      *i = next_++;
      return true;
    }
    if (int64_t(drawn_.size()) == total_) return false;
    std::uniform_int_distribution<int64_t> pick(0, total_ - 1);
    do *i = pick(rng_);
    while (!drawn_.insert(*i).second);
    return true;
  }

 private:
  int64_t total_, next_ = 0;
  bool all_;
  std::mt19937_64 rng_;
  std::unordered_set<int64_t> drawn_;
};

double loss_value(const std::function<Tensor()>& loss) {
  NoGrad no_grad;
  return loss().item();
}

// Steps tried per entry (h, h / 10, ...), and the rounding error of one evaluation of L relative
// to |L|: a few ulps of float64 (measured: 2e-9 / h on a ResNet-18 whose |L| is 8).
constexpr int kLevels = 5;
constexpr double kRoundingNoise = 1e-15;

double relative_error(double a, double b, double floor) {
  return std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), floor});
}

struct Difference {
  double h = 0, plus = 0, minus = 0;  // L(x + h), L(x - h)
  double numeric = 0;                 // (L(x + h) - L(x - h)) / 2h
  double error = 0;                   // the relative error against the analytic value
};

// Perturbs *x by +-h, evaluates the loss, and restores *x.
Difference central_difference(double* x, double h, const std::function<Tensor()>& loss) {
  const double saved = *x;
  *x = saved + h;
  const double plus = loss_value(loss);
  *x = saved - h;
  const double minus = loss_value(loss);
  *x = saved;
  return {h, plus, minus, (plus - minus) / (2 * h)};
}

// loss_scale: max(|L(x)|, 1), the size of the rounding noise in L.
GradcheckResult check_group(const GradcheckGroup& group, const std::function<Tensor()>& loss, double loss_scale,
                            const GradcheckOptions& opt, uint64_t seed) {
  GradcheckResult result;
  result.name = group.name;
  std::vector<int64_t> ends;  // entry e of the group is tensor k's entry e - ends[k-1]
  int64_t total = 0;
  for (const auto& [name, x] : group.tensors) ends.push_back(total += x.numel());

  const bool all = opt.max_elements <= 0 || opt.max_elements >= total;
  const int64_t want = all ? total : opt.max_elements;
  const int64_t max_draws = all ? total : 4 * want;  // stop redrawing where kinks are everywhere
  EntryDraw draw(total, all, seed);
  int64_t e = 0;
  for (int64_t draws = 0; result.checked < want && draws < max_draws && draw.next(&e); ++draws) {
    const size_t k = std::upper_bound(ends.begin(), ends.end(), e) - ends.begin();
    const int64_t i = e - (k ? ends[k - 1] : 0);
    const auto& [name, x] = group.tensors[k];
    const Tensor g = x.grad();
    const double a = g.defined() ? g.data<double>()[i] : 0.0;

    // A failing entry is retried with h / 10 ... h / 10^4 (see the header): it fails once two
    // steps give the same numeric value, and is skipped when even the last two differ (a kink).
    Difference d, previous;
    bool settled = false;
    for (int level = 0; level < kLevels && !settled; ++level) {
      const double h = opt.eps / std::pow(10.0, level);
      const double floor = std::max(opt.floor, kRoundingNoise * loss_scale / h / opt.rtol);
      previous = d;
      d = central_difference(x.data<double>() + i, h, loss);
      d.error = relative_error(a, d.numeric, floor);
      settled = d.error <= opt.rtol || !opt.skip_kinks ||
                (level > 0 && relative_error(d.numeric, previous.numeric, floor) <= opt.rtol);
    }
    if (!settled) {
      ++result.skipped;
      continue;
    }
    ++result.checked;
    if (result.checked == 1 || d.error > result.worst_error) {
      result.worst_error = d.error;
      std::ostringstream os;
      os << std::setprecision(10) << name << " at " << multi_index(i, x.shape()) << ": analytic " << a
         << ", numeric " << d.numeric << " (h " << d.h << ", L+ " << d.plus << ", L- " << d.minus << ")";
      result.worst = os.str();
    }
  }
  if (result.checked == 0) result.worst = "not judged: every entry drawn sat on a kink";
  result.passed = result.checked > 0 && result.worst_error <= opt.rtol;
  return result;
}

}  // namespace

std::vector<GradcheckResult> gradcheck(const std::function<Tensor()>& loss, const std::vector<GradcheckGroup>& groups,
                                       const GradcheckOptions& opt) {
  for (const GradcheckGroup& group : groups)
    for (const auto& [name, x] : group.tensors) {
      SAR_CHECK(x.requires_grad() && x.dtype() == DType::F64 && !x.is_cuda(), "gradcheck: ", group.name, " ", name,
                " must be a CPU float64 tensor that requires grad, got ", dtype_name(x.dtype()), " on ",
                x.is_cuda() ? "cuda" : "cpu", x.requires_grad() ? "" : ", not requiring grad");
      x.zero_grad();
    }

  // analytic: one backward of L (a loss that reaches no checked tensor has zero gradients)
  const Tensor at_x = loss();
  const double loss_scale = std::max(std::fabs(at_x.item()), 1.0);
  if (at_x.requires_grad()) backward(at_x);
  else tape().clear();

  std::vector<GradcheckResult> results;
  for (size_t k = 0; k < groups.size(); ++k)
    results.push_back(check_group(groups[k], loss, loss_scale, opt, opt.seed + k));
  return results;
}

std::vector<GradcheckResult> gradcheck_op(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
                                          const GradcheckOptions& opt, const std::vector<std::string>& input_names) {
  std::vector<GradcheckGroup> groups;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) continue;
    const std::string input = k < input_names.size() ? input_names[k] : "input " + std::to_string(k);
    groups.push_back({name + ": " + input + " " + inputs[k].shape().str(), {{input, inputs[k]}}});
  }
  Tensor r;  // L = sum(r * y), r drawn at the first call from the output's shape
  auto loss = [&] {
    const Tensor y = f(inputs);
    if (!r.defined()) {
      Generator gen(opt.seed);
      r = rand(y.shape(), gen, DType::F64, Device::CPU, -1.0, 1.0);
    }
    return sum(mul(y, r));
  };
  return gradcheck(loss, groups, opt);
}

namespace test {

void gradcheck(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options) {
  for (const GradcheckResult& r : gradcheck_op(name, f, inputs, options))
    SAR_CHECK(r.passed, name, ": d/d ", r.worst, ": relative error ", r.worst_error, " > ", options.rtol);
}

}  // namespace test

}  // namespace sar
