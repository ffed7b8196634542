// linear.cpp: Linear (layers/linear.h): PyTorch's default init and y = x W^T + b.
#include "layers/linear.h"

#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "layers/init.h"

namespace sar {

Linear::Linear(int64_t in_features, int64_t out_features, bool has_bias, Generator& gen) {
  weight = Tensor::empty({out_features, in_features});
  uniform_fan_in_(weight, in_features, gen);
  register_parameter("weight", &weight);
  if (has_bias) {
    bias = Tensor::empty({out_features});
    uniform_fan_in_(bias, in_features, gen);
    register_parameter("bias", &bias);
  }
}

Tensor Linear::forward(const Tensor& x) {
  SAR_CHECK(x.ndim() == 2 && x.size(1) == weight.size(1), "Linear: input must be [N, ", weight.size(1), "], got ",
            x.shape());
  Tensor y = matmul(x, weight, false, /*trans_b=*/true);  // [N, out]
  return bias.defined() ? y + bias : y;
}

}  // namespace sar
