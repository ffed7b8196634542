// gradcheck.h: checks the tape's gradients against float64 central differences.
//
// The objective is L = sum(r * f(inputs)) with r fixed random in [-1, 1] (never a plain
// sum or mean, which would hide transposed or permuted gradients). For every input that
// requires grad and every element (or a sample of them), the analytic dL/dx from
// backward() must match (L(x + eps) - L(x - eps)) / (2 eps) within
//     |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|, 1).
// Each input is one doctest CHECK; a failure names the op, the input, the worst element's
// multi-index, both values and both objectives.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace sar::test {

using OpFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-7;
  double rtol = 1e-6;
  int64_t max_elements = 0;  // > 0: check this many evenly spread elements per input, not all
  uint64_t seed = 7;         // of r
};

// inputs: CPU float64 tensors; those with requires_grad() are checked.
void gradcheck(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options = {});

}  // namespace sar::test
