// pooling.h: max pooling and global average pooling over [N, C, H, W], PyTorch semantics.
//
//   max_pool2d       y[n, c, ho, wo] = max of x[n, c, h, w] over the window
//                      h in ho*stride - padding + [0, kernel), w likewise,
//                    with the padding counting as -inf (it never wins) and floor mode:
//                      Ho = (H + 2*padding - kernel) / stride + 1, Wo likewise.
//                    The first maximum in row-major window order wins ties, on every device;
//                    a NaN wins, as in PyTorch. The arg-max (h * W + w) is saved, and the
//                    backward sends dy to it; where windows overlap (stride < kernel) an input
//                    receives the sum over the windows it wins. (ResNet's stem: kernel 3,
//                    stride 2, padding 1.)
//   adaptive_avg_pool2d_1x1   y[n, c, 0, 0] = mean of x[n, c, :, :] -> [N, C, 1, 1];
//                    composed of reshape and mean (core/ops/reduce.h): no kernel of its own.
//
// Throws sar::Error naming the argument when x is not 4-D, kernel or stride < 1, padding < 0
// or above half the kernel (a window could hold padding only), or the kernel is larger than
// the padded input.
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding);
// Separate sizes along H and W.
Tensor max_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w, int padding_h,
                  int padding_w);

Tensor adaptive_avg_pool2d_1x1(const Tensor& x);

}  // namespace sar
