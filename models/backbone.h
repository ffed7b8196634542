// backbone.h: what a pose model needs of a backbone: images in, one feature map out.
#pragma once

#include "layers/module.h"

namespace sar {

class Backbone : public Layer {
 public:
  // x [N, 3, H, W] -> features [N, out_channels(), H / stride(), W / stride()]
  virtual int64_t out_channels() const = 0;
  virtual int stride() const = 0;
};

}  // namespace sar
