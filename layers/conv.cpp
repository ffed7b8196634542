// conv.cpp: Conv2d and ConvTranspose2d (layers/conv.h): PyTorch's default init and one op call.
#include "layers/conv.h"

#include "layers/init.h"

namespace sar {

// PyTorch's default for a conv: weight and bias both U(+-1/sqrt(fan_in of the weight)).
static void init_default(Tensor& weight, Tensor& bias, const Shape& weight_shape, int64_t out_channels, bool has_bias,
                         Generator& gen) {
  weight = Tensor::empty(weight_shape);
  uniform_fan_in_(weight, fan_in(weight), gen);
  if (has_bias) {
    bias = Tensor::empty({out_channels});
    uniform_fan_in_(bias, fan_in(weight), gen);
  }
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, bool has_bias,
               Generator& gen, int dilation)
    : options(stride, padding, dilation) {
  init_default(weight, bias, {out_channels, in_channels, kernel, kernel}, out_channels, has_bias, gen);
  register_parameter("weight", &weight);
  if (has_bias) register_parameter("bias", &bias);
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, options); }

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding,
                                 int output_padding, bool has_bias, Generator& gen)
    : options(stride, padding, output_padding) {
  init_default(weight, bias, {in_channels, out_channels, kernel, kernel}, out_channels, has_bias, gen);
  register_parameter("weight", &weight);
  if (has_bias) register_parameter("bias", &bias);
}

Tensor ConvTranspose2d::forward(const Tensor& x) { return conv_transpose2d(x, weight, bias, options); }

}  // namespace sar
