// conv.h: 2-D convolution and transposed convolution, NCHW, groups = 1, as in PyTorch.
//
// conv2d: x [N, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout] or undefined
//   y[n,o,oh,ow] = bias[o] + sum_{c,i,j} weight[o,c,i,j] * x[n, c, oh*s_h - p_h + i*d_h, ow*s_w - p_w + j*d_w]
//   with x = 0 outside the image (zero padding); y is [N, Cout, Ho, Wo] with
//   Ho = floor((H + 2 p_h - d_h (kH - 1) - 1) / s_h) + 1, and Wo likewise.
//
// conv_transpose2d: x [N, Cin, H, W], weight [Cin, Cout, kH, kW] (PyTorch's layout), bias
//   [Cout] or undefined. It is the adjoint of conv2d with the same weight and options: every
//   input value x[n,c,h,w] adds weight[c,o,i,j] * x[n,c,h,w] to y[n, o, h*s_h - p_h + i*d_h,
//   w*s_w - p_w + j*d_w]. y is [N, Cout, Ho, Wo] with
//   Ho = (H - 1) s_h - 2 p_h + d_h (kH - 1) + output_pad_h + 1, and Wo likewise.
//   A stride-s conv2d maps s different image sizes to the same output size (the formula
//   above floors); output_padding picks which one, adding rows/columns at the bottom/right.
//   So it must be < stride (or < dilation: PyTorch's rule, which this follows). On CUDA it
//   must be < stride: cuDNN sizes the output by conv2d's formula.
//
// Backward (one tape node per op; only the gradients of inputs that require grad are made):
//   conv2d            dx = conv_transpose2d(dy, weight)   (same options)
//                     dweight[o,c,i,j] = sum_{n,oh,ow} dy[n,o,oh,ow] * x[n, c, oh*s_h - p_h + i*d_h, ...]
//                     dbias[o] = sum_{n,oh,ow} dy[n,o,oh,ow]
//   conv_transpose2d  dx = conv2d(dy, weight)   (same stride, padding, dilation; no bias)
//                     dweight = the conv2d weight gradient with x and dy exchanged
//                     dbias[o] = sum_{n,oh,ow} dy[n,o,oh,ow]
// So both ops run on the same three kernels (forward, backward-data, backward-filter) of
// core/cpu/conv.cpp and cuda/conv.cu, with the roles of input and output swapped.
//
// Inputs: float32/float64 on CPU, float32 on CUDA (cuDNN); x, weight and bias on one
// device and dtype. Throws sar::Error naming the op and the argument, e.g.
//   conv2d: weight must be [Cout, Cin, kH, kW] with Cin = 3 (x is [2, 3, 9, 9]), got [8, 4, 3, 3]
//   conv2d: output would be empty: input 5x5, kernel 7x7 (dilation 1), padding 0
//   conv_transpose2d: output_padding must be >= 0 and smaller than stride or dilation, got
//     output_padding 2 with stride 2, dilation 1 (height)
// and for sizes < 1 (stride, dilation, any dim of x or weight) or padding < 0.
#pragma once

#include "core/tensor.h"

namespace sar {

struct Conv2dOptions {
  int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;

  Conv2dOptions() = default;
  // The same along both axes: Conv2dOptions(2, 1) is stride 2, padding 1. Or each axis its own.
  Conv2dOptions(int stride, int pad, int dilation = 1) : Conv2dOptions(stride, stride, pad, pad, dilation, dilation) {}
  Conv2dOptions(int stride_h, int stride_w, int pad_h, int pad_w, int dilation_h, int dilation_w)
      : stride_h(stride_h), stride_w(stride_w), pad_h(pad_h), pad_w(pad_w), dilation_h(dilation_h),
        dilation_w(dilation_w) {}
};

struct ConvTranspose2dOptions {
  int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, output_pad_h = 0, output_pad_w = 0, dilation_h = 1,
      dilation_w = 1;

  ConvTranspose2dOptions() = default;
  // Uniform along both axes: ConvTranspose2dOptions(2, 1) is SimpleBaseline's 4x4 deconv setting.
  ConvTranspose2dOptions(int stride, int pad, int output_pad = 0, int dilation = 1)
      : stride_h(stride), stride_w(stride), pad_h(pad), pad_w(pad), output_pad_h(output_pad),
        output_pad_w(output_pad), dilation_h(dilation), dilation_w(dilation) {}
};

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opt = {});
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dOptions& opt = {});

}  // namespace sar
