// weight_formula.h: model weights and inputs that PyTorch scripts reproduce exactly, so a
// fixture needs no stored weights (a float64 HRNet-W32 would be 228 MB).
//
// Element i of the tensor named `name` draws u in [0, 1) from the top 53 bits of
// splitmix64(fnv1a(name) + (i + 1) * golden ratio); by the name's last part:
//   4-d "weight" (convs)            (2u - 1) / sqrt(fan_in), fan_in = numel / size(0)
//   other "weight" (BN)             0.8 + 0.4u
//   "bias", "running_mean"          0.2 (u - 0.5)
//   "running_var"                   0.5 + u
//   anything else (inputs)          2u - 1
// Each value is rounded to float32, so float32 and float64 models hold the same numbers.
// The Python twin: formula_tensor in tools/make_model_fixtures.py.
#pragma once

#include <string>

#include "core/tensor.h"
#include "layers/module.h"

namespace sar::test {

// t: a float32 or float64 tensor on any device, overwritten.
void fill_formula(const std::string& name, Tensor& t);

// Every floating-point parameter and buffer of `module`, each by its state name
// (num_batches_tracked, int64, is left alone).
void fill_formula(const Module& module);

}  // namespace sar::test
