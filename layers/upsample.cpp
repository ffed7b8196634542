// upsample.cpp: Upsample's nearest and bilinear constructors and forward (layers/upsample.h).
#include "layers/upsample.h"

#include "core/ops/upsample.h"

namespace sar {

std::unique_ptr<Upsample> Upsample::nearest(int scale) {
  return std::unique_ptr<Upsample>(new Upsample(Mode::Nearest, scale, 0, 0, false));
}

std::unique_ptr<Upsample> Upsample::bilinear(int out_h, int out_w, bool align_corners) {
  return std::unique_ptr<Upsample>(new Upsample(Mode::Bilinear, 0, out_h, out_w, align_corners));
}

Tensor Upsample::forward(const Tensor& x) {
  return mode_ == Mode::Nearest ? upsample_nearest2d(x, scale_) : upsample_bilinear2d(x, out_h_, out_w_, align_corners_);
}

}  // namespace sar
