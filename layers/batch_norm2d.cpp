// batch_norm2d.cpp: BatchNorm2d's parameters, buffers and forward over core/ops/batch_norm.h.
#include "layers/batch_norm2d.h"

#include "core/ops/batch_norm.h"

namespace sar {

BatchNorm2d::BatchNorm2d(int64_t channels, double momentum_, double eps_) : momentum(momentum_), eps(eps_) {
  weight = Tensor::ones({channels});
  bias = Tensor::zeros({channels});
  running_mean = Tensor::zeros({channels});
  running_var = Tensor::ones({channels});
  num_batches_tracked = Tensor::zeros({}, DType::I64);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
  register_buffer("num_batches_tracked", &num_batches_tracked, /*host=*/true);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (training()) num_batches_tracked.fill_(num_batches_tracked.item() + 1);
  return batch_norm2d(x, weight, bias, running_mean, running_var, training(), momentum, eps);
}

}  // namespace sar
