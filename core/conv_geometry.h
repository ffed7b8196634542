// conv_geometry.h: the sizes of one 2-D convolution, in one plain struct that the op
// functions (core/ops/conv.cpp), the CPU kernels (core/cpu/conv.cpp) and the cuDNN glue
// (cuda/conv.cu) all take, so g++ and nvcc both include it.
//
// The geometry is always that of a convolution from an "image" x to a "grid" y, with Cx
// channels on x's side and Cy on y's:
//   x: [N, Cx, H, W]   w: [Cy, Cx, kH, kW]   y: [N, Cy, Ho, Wo]
//   y[n,o,oh,ow] = sum_{c,i,j} w[o,c,i,j] * x[n, c, oh*stride_h - pad_h + i*dilation_h,
//                                                  ow*stride_w - pad_w + j*dilation_w]
// (x is zero outside [0,H) x [0,W)). conv_transpose2d reads the same geometry backwards:
// its input is the grid side (Cy = its Cin), its output the image side (Cx = its Cout), and
// its weight [Cin, Cout, kH, kW] is w as laid out here. Naming the channels by side, not as
// input and output, keeps both ops' readings right.
#pragma once

#include <cstdint>

namespace sar {

struct ConvGeometry {
  int64_t N = 0;                   // images in the batch
  int64_t Cx = 0, H = 0, W = 0;    // image side x: channels, height, width
  int64_t Cy = 0, Ho = 0, Wo = 0;  // grid side y: channels (one per filter), height, width
  int64_t kH = 0, kW = 0;          // filter window
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;

  int64_t image_numel() const { return Cx * H * W; }  // elements of one image of x
  int64_t grid_numel() const { return Cy * Ho * Wo; }  // elements of one image of y
  int64_t window() const { return Cx * kH * kW; }      // inputs of one output value: the GEMM's inner size

  // A 1x1 filter at stride 1 without padding reads x as it is: no column matrix needed.
  bool pointwise() const {
    return kH == 1 && kW == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
};

}  // namespace sar
