// upsample.h: spatial upsampling of [N, C, H, W], PyTorch semantics (nn.Upsample,
// F.interpolate). HRNet's fusion uses nearest x2/x4/x8; heads may use bilinear.
//
//   upsample_nearest2d(x, s)     y[n, c, i, j] = x[n, c, i / s, j / s]  -> [N, C, H*s, W*s]
//                                backward: dx[n, c, h, w] = sum of dy over the s x s block
//                                that copied x[n, c, h, w]
//   upsample_bilinear2d(x, Ho, Wo, align_corners)                        -> [N, C, Ho, Wo]
//                                each output row i reads source row src(i), columns likewise:
//                                  align_corners:  src = i * (H - 1) / (Ho - 1)   (0 when Ho = 1)
//                                  otherwise:      src = max((i + 0.5) * H / Ho - 0.5, 0)
//                                h0 = floor(src), h1 = min(h0 + 1, H - 1), lambda = src - h0;
//                                y mixes the 4 neighbours with weights (1-lh)(1-lw), (1-lh)lw,
//                                lh(1-lw), lh lw. It is linear in x; the backward sends dy
//                                back to the 4 neighbours with the same weights.
//
// Throws sar::Error naming the argument when x is not 4-D, scale < 1, or Ho, Wo < 1.
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor upsample_nearest2d(const Tensor& x, int scale);
Tensor upsample_bilinear2d(const Tensor& x, int out_h, int out_w, bool align_corners = false);

}  // namespace sar
