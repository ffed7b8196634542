// pooling.h: torch.nn.MaxPool2d, torch.nn.AdaptiveAvgPool2d(1) and torch.nn.ReLU as layers
// (no parameters) over core/ops/pooling.h and core/ops/elementwise.h.
#pragma once

#include "layers/module.h"

namespace sar {

class MaxPool2d : public Layer {
 public:
  MaxPool2d(int kernel, int stride, int padding) : kernel(kernel), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override;
  int kernel, stride, padding;
};

class AdaptiveAvgPool2d1x1 : public Layer {  // [N, C, H, W] -> [N, C, 1, 1]
 public:
  Tensor forward(const Tensor& x) override;
};

class ReLU : public Layer {  // out of place, so it is safe wherever the input is reused
 public:
  Tensor forward(const Tensor& x) override;
};

}  // namespace sar
