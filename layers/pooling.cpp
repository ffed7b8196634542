// pooling.cpp: the forward of the parameterless layers of layers/pooling.h.
#include "layers/pooling.h"

#include "core/ops/elementwise.h"
#include "core/ops/pooling.h"

namespace sar {

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel, stride, padding); }
Tensor AdaptiveAvgPool2d1x1::forward(const Tensor& x) { return adaptive_avg_pool2d_1x1(x); }
Tensor ReLU::forward(const Tensor& x) { return relu(x); }

}  // namespace sar
