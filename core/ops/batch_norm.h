// batch_norm.h: batch normalization over the channels of an [N, C, H, W] tensor, with
// PyTorch's semantics (torch.nn.functional.batch_norm). M = N*H*W values per channel.
//
//   training:  mean_c = (1/M) sum x[:, c],  var_c = (1/M) sum (x[:, c] - mean_c)^2   (biased)
//   eval:      mean_c = running_mean[c],     var_c = running_var[c]
//   both:      invstd_c = 1 / sqrt(var_c + eps),  xhat = (x - mean_c) * invstd_c,
//              y = weight[c] * xhat + bias[c]
//
// Running statistics (training only), updated in place and never recorded on the tape:
//   running_mean = (1 - momentum) * running_mean + momentum * mean_c
//   running_var  = (1 - momentum) * running_var  + momentum * var_c * M / (M - 1)   (unbiased)
//
// Backward, with sums over the M values of channel c:
//   dbias_c = sum dy,  dweight_c = sum dy * xhat
//   training: dx = weight[c] * invstd_c * (dy - mean dy - xhat * mean(dy * xhat))
//             (the batch mean and variance depend on every x: the second and third terms)
//   eval:     dx = weight[c] * invstd_c * dy  (a per-channel affine map)
// The forward saves mean_c and invstd_c ([C]) for the backward, which also reads x.
//
// Shapes: x, y [N, C, H, W]; weight, bias, running_mean, running_var [C]. weight and bias
// may each be undefined (no affine: weight 1, bias 0). In training the running statistics
// may both be undefined (no tracking, like track_running_stats=False); eval needs them.
// Throws sar::Error naming the argument on a wrong shape, dtype or device, and in training
// when a channel has fewer than two values (M < 2): its unbiased variance is undefined.
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace sar
