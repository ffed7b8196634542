// batch_norm2d.h: torch.nn.BatchNorm2d over core/ops/batch_norm.h.
// Parameters weight (1) and bias (0), [C]; buffers running_mean (0), running_var (1), [C], and
// num_batches_tracked (int64 scalar, counted in training as PyTorch does, so torchvision
// checkpoints load by name). Training normalizes with batch statistics and updates the
// running ones (momentum 0.1, unbiased variance); eval uses the running statistics.
#pragma once

#include "layers/module.h"

namespace sar {

class BatchNorm2d : public Layer {
 public:
  explicit BatchNorm2d(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;                  // [C]
  Tensor running_mean, running_var;     // [C]
  Tensor num_batches_tracked;           // [] int64
  double momentum, eps;
};

}  // namespace sar
