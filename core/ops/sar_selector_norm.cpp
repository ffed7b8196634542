// sar_selector_norm.cpp: the op function of core/ops/sar_selector_norm.h. The backward reads
// the output w and the logits (for 1 - c_t = sigmoid(-s_t)).
#include "core/ops/sar_selector_norm.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

Tensor sar_selector_norm(const Tensor& logits) {
  check_float(logits, "sar_selector_norm", "logits");
  const Shape& s = logits.shape();
  SAR_CHECK(s.ndim() == 4 && s[2] >= 1 && s[3] >= 1,
            "sar_selector_norm: logits must be [N, J, h, w] with h, w >= 1, got ", s);
  const int64_t rows = s[0] * s[1], G = s[2] * s[3];
  Tensor w = Tensor::empty_like(logits);
  if (logits.is_cuda()) {
    SAR_ON_CUDA("sar_selector_norm", sar_selector_norm_forward_cuda(w.data<float>(), logits.data<float>(), rows, G));
  } else {
    dispatch_float(logits.dtype(), "sar_selector_norm", [&](auto zero) {
      using T = decltype(zero);
      sar_selector_norm_forward_cpu<T>(w.data<T>(), logits.data<T>(), rows, G);
    });
  }

  tape().record("sar_selector_norm", {logits}, {w}, [logits, w, rows, G](const TensorList& dw) -> TensorList {
    Tensor dlogits = Tensor::empty_like(logits);
    if (logits.is_cuda()) {
      SAR_ON_CUDA("sar_selector_norm backward",
                  sar_selector_norm_backward_cuda(dlogits.data<float>(), dw[0].data<float>(), w.data<float>(),
                                                  logits.data<float>(), rows, G));
    } else {
      dispatch_float(logits.dtype(), "sar_selector_norm backward", [&](auto zero) {
        using T = decltype(zero);
        sar_selector_norm_backward_cpu<T>(dlogits.data<T>(), dw[0].data<T>(), w.data<T>(), logits.data<T>(), rows, G);
      });
    }
    return {dlogits};
  });
  return w;
}

}  // namespace sar
