// upsample.h: torch.nn.Upsample as a layer over core/ops/upsample.h.
//   Upsample::nearest(scale)                      HRNet's fusion: x2, x4, x8
//   Upsample::bilinear(out_h, out_w, align_corners)
#pragma once

#include "layers/module.h"

namespace sar {

class Upsample : public Layer {
 public:
  static std::unique_ptr<Upsample> nearest(int scale);
  static std::unique_ptr<Upsample> bilinear(int out_h, int out_w, bool align_corners = false);
  Tensor forward(const Tensor& x) override;

 private:
  enum class Mode { Nearest, Bilinear };
  Upsample(Mode mode, int scale, int out_h, int out_w, bool align_corners)
      : mode_(mode), scale_(scale), out_h_(out_h), out_w_(out_w), align_corners_(align_corners) {}
  Mode mode_;
  int scale_, out_h_, out_w_;
  bool align_corners_;
};

}  // namespace sar
