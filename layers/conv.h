// conv.h: torch.nn.Conv2d and torch.nn.ConvTranspose2d as modules over the ops of
// core/ops/conv.h.
//   Conv2d           weight [Cout, Cin, k, k], bias [Cout]: x [N, Cin, H, W] -> [N, Cout, Ho, Wo]
//   ConvTranspose2d  weight [Cin, Cout, k, k] (PyTorch's layout), bias [Cout]: upsamples by `stride`
// Init: PyTorch's default, U(+-1/sqrt(fan_in)) with fan_in = weight.numel() / weight.size(0);
// models re-initialize as their recipe says (layers/init.h).
#pragma once

#include "core/ops/conv.h"
#include "core/rng.h"
#include "layers/module.h"

namespace sar {

class Conv2d : public Layer {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, bool bias, Generator& gen,
         int dilation = 1);
  Tensor forward(const Tensor& x) override;

  Tensor weight;  // [Cout, Cin, k, k]
  Tensor bias;    // [Cout], undefined without bias
  Conv2dOptions options;
};

class ConvTranspose2d : public Layer {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, int output_padding,
                  bool bias, Generator& gen);
  Tensor forward(const Tensor& x) override;

  Tensor weight;  // [Cin, Cout, k, k]
  Tensor bias;    // [Cout], undefined without bias
  ConvTranspose2dOptions options;
};

}  // namespace sar
