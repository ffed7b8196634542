// gradcheck.h: checks the tape's gradients against float64 central differences.
//
// For a scalar loss L of some CPU float64 tensors, each checked entry x_i compares the analytic
// a_i = dL/dx_i of one backward() with the numeric central difference
//     n_i = (L(x_i + h) - L(x_i - h)) / (2 h)
// by the relative error
//     e_i = |a_i - n_i| / max(|a_i|, |n_i|, floor)        and passes when e_i <= rtol.
// The floor keeps gradients near zero from dividing by ~0: below it, errors count absolutely
// (|a - n| <= rtol * floor), which is also where the rounding noise of n lives.
//
// Kinks: relu, abs, max and max-pool are not differentiable where two values tie. A perturbation
// that crosses such a point mixes two slopes into n, and a correct a then fails; in a deep net a
// stem weight moves hundreds of thousands of units, so at h = 1e-6 this is common. With
// skip_kinks, a failing entry is retried with h / 10, h / 100, h / 10^3 and h / 10^4, where
// fewer kinks lie within reach. It passes as soon as one step passes. It fails as soon as two
// steps in a row give the same n (relative error <= rtol): L is smooth there, so n is right and
// a is wrong; a wrong backward cannot hide. When even the last two steps disagree, L is not
// smooth within reach of x: the entry is skipped, counted, and another one drawn (at most 4 per
// entry wanted). A group whose every drawn entry was skipped is not judged (judged() is false).
// The floor also covers the rounding noise of n, about 1e-15 |L| / h, which grows as h shrinks:
// below max(floor, 1e-15 |L| / (h rtol)) errors count absolutely.
//
// Two forms:
//   gradcheck(loss, groups, options)         any scalar loss (a whole model's); one result per
//                                            group of tensors (e.g. the parameters of backbone.layer1)
//   gradcheck_op(name, f, inputs, options)   an op or layer: L = sum(r * f(inputs)) with r fixed
//                                            random in [-1, 1] (never a plain sum or mean, which would
//                                            hide transposed or permuted gradients); one result per
//                                            input that requires grad
// and test::gradcheck, the form the unit tests call, which throws on a failure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace sar {

struct GradcheckOptions {
  double eps = 1e-6;          // h of the central difference
  double rtol = 1e-6;         // the largest relative error that passes
  double floor = 1.0;         // the smallest denominator of the relative error
  int64_t max_elements = 0;   // > 0: this many entries per group, drawn at random; else every entry
  bool skip_kinks = false;    // retry failing entries with smaller h; skip (and redraw) those at a kink
  uint64_t seed = 7;          // of r (gradcheck_op) and of the drawn entries
};

// Tensors checked together: max_elements entries are drawn over all of their values.
struct GradcheckGroup {
  std::string name;
  std::vector<std::pair<std::string, Tensor>> tensors;  // (name, CPU float64 tensor requiring grad)
};

struct GradcheckResult {
  std::string name;         // the group's
  int64_t checked = 0;      // entries compared
  int64_t skipped = 0;      // entries skipped at a kink
  double worst_error = 0;   // the largest e_i
  std::string worst;        // that entry: "conv1.weight at [0, 1, 2, 0]: analytic ..., numeric ...
                            // (h ..., L+ ..., L- ...)"
  bool passed = false;      // checked > 0 and worst_error <= rtol
  bool judged() const { return checked > 0; }  // false: every entry drawn sat on a kink
};

// loss(): evaluates the scalar loss of the groups' current values, recording on the tape (it is
// called once with the tape on, for the analytic gradients, then under NoGrad for each difference).
std::vector<GradcheckResult> gradcheck(const std::function<Tensor()>& loss, const std::vector<GradcheckGroup>& groups,
                                       const GradcheckOptions& options = {});

using OpFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// inputs: the op's arguments; those with requires_grad() (CPU float64) are checked, each as the
// group "<name>: <input name> <shape>", the input name being input_names[k] or "input <k>".
std::vector<GradcheckResult> gradcheck_op(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
                                          const GradcheckOptions& options = {},
                                          const std::vector<std::string>& input_names = {});

namespace test {

using sar::GradcheckOptions;

// gradcheck_op for the unit tests (tests/test_*.cpp): throws sar::Error when an input fails,
// naming the op, the input, the worst entry's multi-index, both values and both objectives.
void gradcheck(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options = {});

}  // namespace test

}  // namespace sar
