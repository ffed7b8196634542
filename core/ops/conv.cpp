// conv.cpp: the op functions of core/ops/conv.h. Both ops describe themselves as one
// ConvGeometry (core/conv_geometry.h), conv2d with x on its image side, conv_transpose2d
// with x on its grid side, and run the same kernels with the roles swapped.
#include "core/ops/conv.h"

#include <string>

#include "core/conv_geometry.h"
#include "core/cpu/kernels_cpu.h"
#include "core/flop_counter.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

namespace {

// ---- the kernels by device, in the geometry's terms; each overwrites its first argument ----

// y [N,Cy,Ho,Wo] = conv(x [N,Cx,H,W], w) + bias [Cy]
void dispatch_conv_forward(const char* op, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias,
                           const ConvGeometry& g) {
  if (x.is_cuda()) {
    SAR_ON_CUDA(op, conv2d_forward_cuda(y.data<float>(), x.data<float>(), w.data<float>(), optional_data<float>(bias),
                                        g));
    return;
  }
  dispatch_float(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    conv2d_forward_cpu<T>(y.data<T>(), x.data<T>(), w.data<T>(), optional_data<T>(bias), g);
  });
}

// dx [N,Cx,H,W] = conv^T(dy [N,Cy,Ho,Wo], w) + bias [Cx]
void dispatch_conv_backward_data(const char* op, const Tensor& dx, const Tensor& dy, const Tensor& w,
                                 const Tensor& bias, const ConvGeometry& g) {
  if (dy.is_cuda()) {
    SAR_ON_CUDA(op, conv2d_backward_data_cuda(dx.data<float>(), dy.data<float>(), w.data<float>(),
                                              optional_data<float>(bias), g));
    return;
  }
  dispatch_float(dy.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    conv2d_backward_data_cpu<T>(dx.data<T>(), dy.data<T>(), w.data<T>(), optional_data<T>(bias), g);
  });
}

// dw [Cy,Cx,kH,kW] from dy [N,Cy,Ho,Wo] and x [N,Cx,H,W]
void dispatch_conv_backward_filter(const char* op, const Tensor& dw, const Tensor& dy, const Tensor& x,
                                   const ConvGeometry& g) {
  if (dy.is_cuda()) {
    SAR_ON_CUDA(op, conv2d_backward_filter_cuda(dw.data<float>(), dy.data<float>(), x.data<float>(), g));
    return;
  }
  dispatch_float(dy.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    conv2d_backward_filter_cpu<T>(dw.data<T>(), dy.data<T>(), x.data<T>(), g);
  });
}

// dbias [C] = dy [N, C, H, W] summed over all but the channel axis
Tensor dispatch_conv_backward_bias(const char* op, const Tensor& dy) {
  const int64_t N = dy.size(0), C = dy.size(1), P = dy.size(2) * dy.size(3);
  Tensor dbias = Tensor::empty({C}, dy.dtype(), dy.device());
  if (dy.is_cuda()) {
    SAR_ON_CUDA(op, conv2d_backward_bias_cuda(dbias.data<float>(), dy.data<float>(), N, C, P));
    return dbias;
  }
  dispatch_float(dy.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    conv2d_backward_bias_cpu<T>(dbias.data<T>(), dy.data<T>(), N, C, P);
  });
  return dbias;
}

// ---- argument checks ----

// "3" when both axes agree, else "3x1": sizes in messages read like the options.
std::string hw(int64_t h, int64_t w) { return h == w ? std::to_string(h) : cat(h, "x", w); }

// x [N, Cin, H, W], weight 4-D with Cin at weight_cin_dim (laid out as `layout`), bias [Cout]
// or undefined, all float on one device; every size >= 1; stride, dilation >= 1, padding >= 0.
void check_args(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, int weight_cin_dim,
                const char* layout, const Conv2dOptions& o) {
  check_float(x, op, "x");
  check_float(weight, op, "weight");
  check_same(x, weight, op, "x", "weight");
  SAR_CHECK(x.ndim() == 4, op, ": x must be [N, Cin, H, W], got ", x.shape());
  SAR_CHECK(x.numel() > 0, op, ": x must have every size >= 1, got ", x.shape());
  const int64_t Cin = x.size(1);
  SAR_CHECK(weight.ndim() == 4 && weight.size(weight_cin_dim) == Cin && weight.numel() > 0, op, ": weight must be ",
            layout, " with Cin = ", Cin, " (x is ", x.shape(), "), got ", weight.shape());
  if (bias.defined()) {
    check_float(bias, op, "bias");
    check_same(x, bias, op, "x", "bias");
    const int64_t Cout = weight.size(1 - weight_cin_dim);
    SAR_CHECK(bias.shape() == Shape{Cout}, op, ": bias must be [Cout] = [", Cout, "], got ", bias.shape());
  }
  SAR_CHECK(o.stride_h >= 1 && o.stride_w >= 1, op, ": stride must be >= 1, got ", o.stride_h, "x", o.stride_w);
  SAR_CHECK(o.dilation_h >= 1 && o.dilation_w >= 1, op, ": dilation must be >= 1, got ", o.dilation_h, "x",
            o.dilation_w);
  SAR_CHECK(o.pad_h >= 0 && o.pad_w >= 0, op, ": padding must be >= 0, got ", o.pad_h, "x", o.pad_w);
}

// The geometry of a conv from an image [N, Cx, H, W] to a grid [N, Cy, Ho, Wo], with the
// filter window of weight [., ., kH, kW] and the stride, padding and dilation of o.
ConvGeometry conv_geometry(int64_t N, int64_t Cx, int64_t H, int64_t W, int64_t Cy, int64_t Ho, int64_t Wo,
                           const Tensor& weight, const Conv2dOptions& o) {
  // in the order of ConvGeometry's fields
  return {N, Cx, H, W, Cy, Ho, Wo, weight.size(2), weight.size(3),
          o.stride_h, o.stride_w, o.pad_h, o.pad_w, o.dilation_h, o.dilation_w};
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opt) {
  const char* op = "conv2d";
  check_args(op, x, weight, bias, 1, "[Cout, Cin, kH, kW]", opt);
  const int64_t H = x.size(2), W = x.size(3), kH = weight.size(2), kW = weight.size(3);
  // the span of the dilated window must fit in the padded image
  const int64_t room_h = H + 2 * opt.pad_h - opt.dilation_h * (kH - 1) - 1;
  const int64_t room_w = W + 2 * opt.pad_w - opt.dilation_w * (kW - 1) - 1;
  SAR_CHECK(room_h >= 0 && room_w >= 0, op, ": output would be empty: input ", H, "x", W, ", kernel ", kH, "x", kW,
            " (dilation ", hw(opt.dilation_h, opt.dilation_w), "), padding ", hw(opt.pad_h, opt.pad_w));
  // x is the image side of the geometry, y its grid side
  const ConvGeometry g = conv_geometry(x.size(0), x.size(1), H, W, weight.size(0), room_h / opt.stride_h + 1,
                                       room_w / opt.stride_w + 1, weight, opt);

  Tensor y = Tensor::empty({g.N, g.Cy, g.Ho, g.Wo}, x.dtype(), x.device());
  dispatch_conv_forward(op, y, x, weight, bias, g);
  count_macs(op, double(g.N) * g.grid_numel() * g.window());

  tape().record(op, {x, weight, bias}, {y}, [op, x, weight, bias, g](const TensorList& dys) -> TensorList {
    const Tensor& dy = dys[0];  // [N, Cout, Ho, Wo]
    Tensor dx, dweight, dbias;
    if (x.requires_grad()) {
      dx = Tensor::empty_like(x);
      dispatch_conv_backward_data(op, dx, dy, weight, Tensor(), g);
    }
    if (weight.requires_grad()) {
      dweight = Tensor::empty_like(weight);
      dispatch_conv_backward_filter(op, dweight, dy, x, g);
    }
    if (bias.defined() && bias.requires_grad()) dbias = dispatch_conv_backward_bias(op, dy);
    return {dx, dweight, dbias};
  });
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose2dOptions& opt) {
  const char* op = "conv_transpose2d";
  // the options of the conv2d this op is the adjoint of
  const Conv2dOptions conv(opt.stride_h, opt.stride_w, opt.pad_h, opt.pad_w, opt.dilation_h, opt.dilation_w);
  check_args(op, x, weight, bias, 0, "[Cin, Cout, kH, kW]", conv);
  auto check_output_pad = [op](const char* axis, int out_pad, int stride, int dilation) {
    SAR_CHECK(out_pad >= 0 && (out_pad < stride || out_pad < dilation), op,
              ": output_padding must be >= 0 and smaller than stride or dilation, got output_padding ", out_pad,
              " with stride ", stride, ", dilation ", dilation, " (", axis, ")");
  };
  check_output_pad("height", opt.output_pad_h, opt.stride_h, opt.dilation_h);
  check_output_pad("width", opt.output_pad_w, opt.stride_w, opt.dilation_w);
  const int64_t H = x.size(2), W = x.size(3), kH = weight.size(2), kW = weight.size(3);
  const int64_t Ho = (H - 1) * opt.stride_h - 2 * opt.pad_h + opt.dilation_h * (kH - 1) + opt.output_pad_h + 1;
  const int64_t Wo = (W - 1) * opt.stride_w - 2 * opt.pad_w + opt.dilation_w * (kW - 1) + opt.output_pad_w + 1;
  SAR_CHECK(Ho >= 1 && Wo >= 1, op, ": output would be empty: input ", H, "x", W, ", kernel ", kH, "x", kW,
            " (dilation ", hw(opt.dilation_h, opt.dilation_w), "), stride ", hw(opt.stride_h, opt.stride_w),
            ", padding ", hw(opt.pad_h, opt.pad_w), ", output_padding ", hw(opt.output_pad_h, opt.output_pad_w),
            " give ", Ho, "x", Wo);
  // x is the grid side of the geometry, y its image side
  const ConvGeometry g = conv_geometry(x.size(0), weight.size(1), Ho, Wo, x.size(1), H, W, weight, conv);

  Tensor y = Tensor::empty({g.N, g.Cx, g.H, g.W}, x.dtype(), x.device());
  dispatch_conv_backward_data(op, y, x, weight, bias, g);
  // each input pixel meets the whole kernel
  count_macs(kConvTransposeLabel, double(g.N) * g.grid_numel() * g.window());
  count_macs(kDeconvFullKernelLabel, double(g.N) * g.image_numel() * g.Cy * g.kH * g.kW);

  tape().record(op, {x, weight, bias}, {y}, [op, x, weight, bias, g](const TensorList& dys) -> TensorList {
    const Tensor& dy = dys[0];  // [N, Cout, H, W]: the image side
    Tensor dx, dweight, dbias;
    if (x.requires_grad()) {
      dx = Tensor::empty_like(x);
      dispatch_conv_forward(op, dx, dy, weight, Tensor(), g);
    }
    if (weight.requires_grad()) {
      dweight = Tensor::empty_like(weight);
      dispatch_conv_backward_filter(op, dweight, x, dy, g);  // x plays the conv's dy, dy the conv's x
    }
    if (bias.defined() && bias.requires_grad()) dbias = dispatch_conv_backward_bias(op, dy);
    return {dx, dweight, dbias};
  });
  return y;
}

}  // namespace sar
