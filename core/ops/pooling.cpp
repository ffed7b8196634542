// pooling.cpp: the op functions of core/ops/pooling.h.
#include "core/ops/pooling.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

// The output size along one axis of x; suffix "_h" or "_w" completes the argument's name.
static int64_t pooled_size(const Tensor& x, int axis, int kernel, int stride, int padding, const char* suffix) {
  SAR_CHECK(kernel >= 1, "max_pool2d: kernel", suffix, " must be >= 1, got ", kernel);
  SAR_CHECK(stride >= 1, "max_pool2d: stride", suffix, " must be >= 1, got ", stride);
  // At most half the kernel, so that every window holds an element of x (padding never wins).
  SAR_CHECK(padding >= 0 && padding <= kernel / 2, "max_pool2d: padding", suffix, " must be in [0, kernel/2] = [0, ",
            kernel / 2, "], got ", padding);
  const int64_t in = x.shape()[axis];
  SAR_CHECK(in >= 1 && in + 2 * padding >= kernel, "max_pool2d: kernel", suffix, " ", kernel,
            " does not fit the padded input ", in, " + 2*", padding, " of x ", x.shape());
  return (in + 2 * padding - kernel) / stride + 1;
}

Tensor max_pool2d(const Tensor& x, int kH, int kW, int sH, int sW, int pH, int pW) {
  check_float(x, "max_pool2d", "x");
  SAR_CHECK(x.ndim() == 4, "max_pool2d: x must be [N, C, H, W], got ", x.shape());
  const int64_t NC = x.shape()[0] * x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const int64_t Ho = pooled_size(x, 2, kH, sH, pH, "_h"), Wo = pooled_size(x, 3, kW, sW, pW, "_w");
  Tensor y = Tensor::empty({x.shape()[0], x.shape()[1], Ho, Wo}, x.dtype(), x.device());
  Tensor argmax = Tensor::empty(y.shape(), DType::I64, x.device());
  if (x.is_cuda()) {
    SAR_ON_CUDA("max_pool2d", max_pool2d_forward_cuda(y.data<float>(), argmax.data<int64_t>(), x.data<float>(), NC,
                                                      H, W, Ho, Wo, kH, kW, sH, sW, pH, pW));
  } else {
    dispatch_float(x.dtype(), "max_pool2d", [&](auto zero) {
      using T = decltype(zero);
      max_pool2d_forward_cpu<T>(y.data<T>(), argmax.data<int64_t>(), x.data<T>(), NC, H, W, Ho, Wo, kH, kW, sH, sW,
                                pH, pW);
    });
  }

  // The backward needs only the arg-max and the geometry, not x's values.
  const Shape x_shape = x.shape();
  tape().record("max_pool2d", {x}, {y}, [=](const TensorList& dy) -> TensorList {
    Tensor dx = Tensor::empty(x_shape, dy[0].dtype(), dy[0].device());
    if (dx.is_cuda()) {
      SAR_ON_CUDA("max_pool2d backward", max_pool2d_backward_cuda(dx.data<float>(), dy[0].data<float>(),
                                                                  argmax.data<int64_t>(), NC, H, W, Ho, Wo, kH, kW,
                                                                  sH, sW, pH, pW));
    } else {
      dispatch_float(dx.dtype(), "max_pool2d backward", [&](auto zero) {
        using T = decltype(zero);
        max_pool2d_backward_cpu<T>(dx.data<T>(), dy[0].data<T>(), argmax.data<int64_t>(), NC, H, W, Ho, Wo, kH, kW,
                                   sH, sW, pH, pW);
      });
    }
    return {dx};
  });
  return y;
}

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return max_pool2d(x, kernel, kernel, stride, stride, padding, padding);
}

Tensor adaptive_avg_pool2d_1x1(const Tensor& x) {
  check_float(x, "adaptive_avg_pool2d_1x1", "x");
  SAR_CHECK(x.ndim() == 4, "adaptive_avg_pool2d_1x1: x must be [N, C, H, W], got ", x.shape());
  const int64_t N = x.shape()[0], C = x.shape()[1], HW = x.shape()[2] * x.shape()[3];
  SAR_CHECK(HW > 0, "adaptive_avg_pool2d_1x1: x must have H, W >= 1, got ", x.shape());
  return reshape(mean(reshape(x, {N, C, HW}), 2), {N, C, 1, 1});
}

}  // namespace sar
