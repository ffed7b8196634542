// upsample.cpp: the op functions of core/ops/upsample.h. Both ops are linear in x, so the
// backward needs only the sizes, never x's values.
#include "core/ops/upsample.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static void check_image(const Tensor& x, const char* op) {
  check_float(x, op, "x");
  SAR_CHECK(x.ndim() == 4, op, ": x must be [N, C, H, W], got ", x.shape());
}

Tensor upsample_nearest2d(const Tensor& x, int scale) {
  check_image(x, "upsample_nearest2d");
  SAR_CHECK(scale >= 1, "upsample_nearest2d: scale must be >= 1, got ", scale);
  const Shape x_shape = x.shape();
  const int64_t NC = x_shape[0] * x_shape[1], H = x_shape[2], W = x_shape[3];
  Tensor y = Tensor::empty({x_shape[0], x_shape[1], H * scale, W * scale}, x.dtype(), x.device());
  if (x.is_cuda()) {
    SAR_ON_CUDA("upsample_nearest2d",
                upsample_nearest2d_forward_cuda(y.data<float>(), x.data<float>(), NC, H, W, scale));
  } else {
    dispatch_float(x.dtype(), "upsample_nearest2d", [&](auto zero) {
      using T = decltype(zero);
      upsample_nearest2d_forward_cpu<T>(y.data<T>(), x.data<T>(), NC, H, W, scale);
    });
  }

  tape().record("upsample_nearest2d", {x}, {y}, [x_shape, NC, H, W, scale](const TensorList& dy) -> TensorList {
    Tensor dx = Tensor::empty(x_shape, dy[0].dtype(), dy[0].device());
    if (dx.is_cuda()) {
      SAR_ON_CUDA("upsample_nearest2d backward",
                  upsample_nearest2d_backward_cuda(dx.data<float>(), dy[0].data<float>(), NC, H, W, scale));
    } else {
      dispatch_float(dx.dtype(), "upsample_nearest2d backward", [&](auto zero) {
        using T = decltype(zero);
        upsample_nearest2d_backward_cpu<T>(dx.data<T>(), dy[0].data<T>(), NC, H, W, scale);
      });
    }
    return {dx};
  });
  return y;
}

Tensor upsample_bilinear2d(const Tensor& x, int out_h, int out_w, bool align_corners) {
  check_image(x, "upsample_bilinear2d");
  SAR_CHECK(out_h >= 1 && out_w >= 1, "upsample_bilinear2d: out_h and out_w must be >= 1, got ", out_h, " and ",
            out_w);
  const Shape x_shape = x.shape();
  const int64_t NC = x_shape[0] * x_shape[1], H = x_shape[2], W = x_shape[3], Ho = out_h, Wo = out_w;
  SAR_CHECK(H >= 1 && W >= 1, "upsample_bilinear2d: x must have H, W >= 1, got ", x_shape);
  Tensor y = Tensor::empty({x_shape[0], x_shape[1], Ho, Wo}, x.dtype(), x.device());
  if (x.is_cuda()) {
    SAR_ON_CUDA("upsample_bilinear2d", upsample_bilinear2d_forward_cuda(y.data<float>(), x.data<float>(), NC, H, W,
                                                                        Ho, Wo, align_corners));
  } else {
    dispatch_float(x.dtype(), "upsample_bilinear2d", [&](auto zero) {
      using T = decltype(zero);
      upsample_bilinear2d_forward_cpu<T>(y.data<T>(), x.data<T>(), NC, H, W, Ho, Wo, align_corners);
    });
  }

  tape().record("upsample_bilinear2d", {x}, {y}, [=](const TensorList& dy) -> TensorList {
    Tensor dx = Tensor::empty(x_shape, dy[0].dtype(), dy[0].device());
    if (dx.is_cuda()) {
      SAR_ON_CUDA("upsample_bilinear2d backward", upsample_bilinear2d_backward_cuda(dx.data<float>(),
                                                                                    dy[0].data<float>(), NC, H, W,
                                                                                    Ho, Wo, align_corners));
    } else {
      dispatch_float(dx.dtype(), "upsample_bilinear2d backward", [&](auto zero) {
        using T = decltype(zero);
        upsample_bilinear2d_backward_cpu<T>(dx.data<T>(), dy[0].data<T>(), NC, H, W, Ho, Wo, align_corners);
      });
    }
    return {dx};
  });
  return y;
}

}  // namespace sar
