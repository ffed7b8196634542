// linear.h: y = x W^T + b (torch.nn.Linear): x [N, in], W [out, in], b [out] -> y [N, out].
// Parameters: weight, bias (optional). Init: PyTorch's default, U(+-1/sqrt(in)) for both.
#pragma once

#include "core/rng.h"
#include "layers/module.h"

namespace sar {

class Linear : public Layer {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen);
  Tensor forward(const Tensor& x) override;

  Tensor weight;  // [out, in]
  Tensor bias;    // [out], undefined when bias = false
};

}  // namespace sar
