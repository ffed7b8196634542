// batch_norm.cpp: the op function of core/ops/batch_norm.h. The forward computes the
// per-channel mean and inverse std (batch statistics in training, running ones in eval),
// then applies them; the backward reads x and those two [C] tensors.
#include "core/ops/batch_norm.h"

#include <cmath>

#include "core/cpu/kernels_cpu.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

// t is a float [C] tensor on x's device, with x's dtype.
static void check_per_channel(const Tensor& t, const Tensor& x, const char* arg) {
  check_float(t, "batch_norm2d", arg);
  check_same(x, t, "batch_norm2d", "x", arg);
  SAR_CHECK(t.shape() == Shape{x.shape()[1]}, "batch_norm2d: ", arg, " must be [C] = [", x.shape()[1], "], got ",
            t.shape());
}

// The tape node's backward: only the gradients someone needs (a frozen affine gets none).
static TensorList batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                      const Tensor& mean, const Tensor& invstd, bool training) {
  const int64_t N = x.shape()[0], C = x.shape()[1], HW = x.shape()[2] * x.shape()[3];
  auto wanted = [](const Tensor& t) { return t.defined() && t.requires_grad(); };
  Tensor dx = wanted(x) ? Tensor::empty_like(x) : Tensor();
  Tensor dweight = wanted(weight) ? Tensor::empty_like(weight) : Tensor();
  Tensor dbias = wanted(bias) ? Tensor::empty_like(bias) : Tensor();
  if (x.is_cuda()) {
    SAR_ON_CUDA("batch_norm2d backward",
                batch_norm_backward_cuda(optional_data<float>(dx), optional_data<float>(dweight),
                                         optional_data<float>(dbias), dy.data<float>(), mean.data<float>(),
                                         invstd.data<float>(), x.data<float>(), optional_data<float>(weight), N, C,
                                         HW, training));
  } else {
    dispatch_float(x.dtype(), "batch_norm2d backward", [&](auto zero) {
      using T = decltype(zero);
      batch_norm_backward_cpu<T>(optional_data<T>(dx), optional_data<T>(dweight), optional_data<T>(dbias),
                                 dy.data<T>(), mean.data<T>(), invstd.data<T>(), x.data<T>(),
                                 optional_data<T>(weight), N, C, HW, training);
    });
  }
  return {dx, dweight, dbias};
}

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps) {
  check_float(x, "batch_norm2d", "x");
  // eps keeps 1 / sqrt(var + eps) finite on a constant channel (var = 0)
  SAR_CHECK(eps > 0 && std::isfinite(eps), "batch_norm2d: eps must be > 0 and finite, got ", eps);
  SAR_CHECK(x.ndim() == 4, "batch_norm2d: x must be [N, C, H, W], got ", x.shape());
  const int64_t N = x.shape()[0], C = x.shape()[1], HW = x.shape()[2] * x.shape()[3];
  if (weight.defined()) check_per_channel(weight, x, "weight");
  if (bias.defined()) check_per_channel(bias, x, "bias");
  const bool tracked = running_mean.defined() || running_var.defined();
  SAR_CHECK(tracked || training, "batch_norm2d: eval mode normalizes with running_mean and running_var, got ",
            "undefined tensors");
  if (tracked) {
    check_per_channel(running_mean, x, "running_mean");
    check_per_channel(running_var, x, "running_var");
  }
  SAR_CHECK(!training || N * HW > 1, "batch_norm2d: training needs more than one value per channel (N*H*W > 1), ",
            "got x ", x.shape());

  // mean and invstd [C]: what the forward applies and the backward reads.
  Tensor mean = Tensor::empty({C}, x.dtype(), x.device()), invstd = Tensor::empty_like(mean);
  if (training) {
    if (x.is_cuda()) {
      SAR_ON_CUDA("batch_norm2d", batch_norm_stats_cuda(mean.data<float>(), invstd.data<float>(),
                                                        optional_data<float>(running_mean),
                                                        optional_data<float>(running_var), x.data<float>(), N, C,
                                                        HW, float(momentum), float(eps)));
    } else {
      dispatch_float(x.dtype(), "batch_norm2d", [&](auto zero) {
        using T = decltype(zero);
        batch_norm_stats_cpu<T>(mean.data<T>(), invstd.data<T>(), optional_data<T>(running_mean),
                                optional_data<T>(running_var), x.data<T>(), N, C, HW, T(momentum), T(eps));
      });
    }
  } else {
    // Copies, so that a later update of the running statistics cannot change this step's backward.
    NoGrad no_grad;
    mean = running_mean.clone();
    invstd = pow(add(running_var, eps), -0.5);
  }

  Tensor y = Tensor::empty_like(x);
  if (x.is_cuda()) {
    SAR_ON_CUDA("batch_norm2d", batch_norm_forward_cuda(y.data<float>(), mean.data<float>(), invstd.data<float>(),
                                                        x.data<float>(), optional_data<float>(weight),
                                                        optional_data<float>(bias), N, C, HW));
  } else {
    dispatch_float(x.dtype(), "batch_norm2d", [&](auto zero) {
      using T = decltype(zero);
      batch_norm_forward_cpu<T>(y.data<T>(), mean.data<T>(), invstd.data<T>(), x.data<T>(), optional_data<T>(weight),
                                optional_data<T>(bias), N, C, HW);
    });
  }

  tape().record("batch_norm2d", {x, weight, bias}, {y},
                [x, weight, bias, mean, invstd, training](const TensorList& dy) -> TensorList {
                  return batch_norm_backward(dy[0], x, weight, bias, mean, invstd, training);
                });
  return y;
}

}  // namespace sar
