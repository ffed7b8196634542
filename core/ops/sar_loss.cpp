// sar_loss.cpp: the op function of core/ops/sar_loss.h. The forward saves, per row, the two
// log-sum-exps and (on the device) 1 / the number of valid rows; the backward reads only
// those and the inputs, so no value ever travels to the host.
#include "core/ops/sar_loss.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

static void check_args(const Tensor& offsets, const Tensor& logits, const Tensor& target, const Tensor& weight,
                       const SarLossOptions& options) {
  check_float(logits, "sar_loss", "logits");
  check_float(offsets, "sar_loss", "offsets");
  check_float(target, "sar_loss", "target");
  check_float(weight, "sar_loss", "weight");
  check_same(logits, offsets, "sar_loss", "logits", "offsets");
  check_same(logits, target, "sar_loss", "logits", "target");
  check_same(logits, weight, "sar_loss", "logits", "weight");
  const Shape& s = logits.shape();
  SAR_CHECK(s.ndim() == 4 && s[2] >= 1 && s[3] >= 1, "sar_loss: logits must be [N, J, h, w] with h, w >= 1, got ", s);
  const int64_t N = s[0], J = s[1];
  SAR_CHECK(offsets.shape() == Shape({N, 2 * J, s[2], s[3]}), "sar_loss: offsets must be [N, 2J, h, w] = ",
            Shape({N, 2 * J, s[2], s[3]}), " for logits ", s, ", got ", offsets.shape());
  SAR_CHECK(target.shape() == Shape({N, J, 2}), "sar_loss: target must be [N, J, 2] = ", Shape({N, J, 2}),
            " for logits ", s, ", got ", target.shape());
  SAR_CHECK(weight.shape() == Shape({N, J}), "sar_loss: weight must be [N, J] = ", Shape({N, J}), " for logits ", s,
            ", got ", weight.shape());
  SAR_CHECK(options.lambda >= 0, "sar_loss: options.lambda must be >= 0, got ", options.lambda);
  SAR_CHECK(options.eps > 0, "sar_loss: options.eps must be > 0 (the loss takes its log), got ", options.eps);
}

// The tape node's backward: dL/doffsets and dL/dlogits, each only when it is wanted.
static TensorList sar_loss_backward(const Tensor& dloss, const Tensor& inv_valid, const Tensor& lse,
                                    const Tensor& offsets, const Tensor& logits, const Tensor& target,
                                    const Tensor& weight, double lambda, double eps) {
  const int64_t NJ = logits.shape()[0] * logits.shape()[1], h = logits.shape()[2], w = logits.shape()[3];
  Tensor doffsets = offsets.requires_grad() ? Tensor::empty_like(offsets) : Tensor();
  Tensor dlogits = logits.requires_grad() ? Tensor::empty_like(logits) : Tensor();
  if (logits.is_cuda()) {
    SAR_ON_CUDA("sar_loss backward",
                sar_loss_backward_cuda(optional_data<float>(doffsets), optional_data<float>(dlogits),
                                       dloss.data<float>(), inv_valid.data<float>(), lse.data<float>(),
                                       offsets.data<float>(), logits.data<float>(), target.data<float>(),
                                       weight.data<float>(), NJ, h, w, float(lambda), float(eps)));
  } else {
    dispatch_float(logits.dtype(), "sar_loss backward", [&](auto zero) {
      using T = decltype(zero);
      sar_loss_backward_cpu<T>(optional_data<T>(doffsets), optional_data<T>(dlogits), dloss.data<T>(),
                               inv_valid.data<T>(), lse.data<T>(), offsets.data<T>(), logits.data<T>(),
                               target.data<T>(), weight.data<T>(), NJ, h, w, T(lambda), T(eps));
    });
  }
  return {doffsets, dlogits};
}

Tensor sar_loss(const Tensor& offsets, const Tensor& logits, const Tensor& target, const Tensor& weight,
                const SarLossOptions& options) {
  check_args(offsets, logits, target, weight, options);
  const int64_t NJ = logits.shape()[0] * logits.shape()[1], h = logits.shape()[2], w = logits.shape()[3];
  const double lambda = options.lambda, eps = options.eps;
  Tensor loss = Tensor::empty({}, logits.dtype(), logits.device());
  Tensor inv_valid = Tensor::empty({1}, logits.dtype(), logits.device());  // 1 / valid rows, 0 if none
  Tensor lse = Tensor::empty({NJ, 2}, logits.dtype(), logits.device());    // log sum c, log sum c r
  if (logits.is_cuda()) {
    SAR_ON_CUDA("sar_loss", sar_loss_forward_cuda(loss.data<float>(), inv_valid.data<float>(), lse.data<float>(),
                                                  offsets.data<float>(), logits.data<float>(), target.data<float>(),
                                                  weight.data<float>(), NJ, h, w, float(lambda), float(eps)));
  } else {
    dispatch_float(logits.dtype(), "sar_loss", [&](auto zero) {
      using T = decltype(zero);
      sar_loss_forward_cpu<T>(loss.data<T>(), inv_valid.data<T>(), lse.data<T>(), offsets.data<T>(), logits.data<T>(),
                              target.data<T>(), weight.data<T>(), NJ, h, w, T(lambda), T(eps));
    });
  }

  // target and weight are data: the node differentiates offsets and logits only.
  tape().record("sar_loss", {offsets, logits}, {loss},
                [offsets, logits, target, weight, inv_valid, lse, lambda, eps](const TensorList& dloss) -> TensorList {
                  return sar_loss_backward(dloss[0], inv_valid, lse, offsets, logits, target, weight, lambda, eps);
                });
  return loss;
}

}  // namespace sar
