// sar_decode.cpp: the op function of core/ops/sar_decode.h: check, allocate, dispatch by device.
// Inference only, so no tape node: the outputs never require grad.
#include "core/ops/sar_decode.h"

#include <cmath>

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "cuda/kernels_cuda.h"

namespace sar {

SarDecoded sar_decode_topm(const Tensor& offsets, const Tensor& logits, const SarDecodeOptions& options) {
  const char* op = "sar_decode_topm";
  check_float(offsets, op, "offsets");
  check_float(logits, op, "logits");
  check_same(offsets, logits, op, "offsets", "logits");
  SAR_CHECK(logits.ndim() == 4, op, ": logits must be [N, J, h, w], got ", logits.shape());
  const int64_t N = logits.size(0), J = logits.size(1), h = logits.size(2), w = logits.size(3);
  SAR_CHECK(h > 0 && w > 0, op, ": logits must have a map of at least 1x1 cells, got ", logits.shape());
  const Shape offsets_shape{N, 2 * J, h, w};
  SAR_CHECK(offsets.shape() == offsets_shape, op, ": offsets must be [N, 2J, h, w] = ", offsets_shape, " to match logits ",
            logits.shape(), ", got ", offsets.shape());
  const int m = options.m;
  SAR_CHECK(m >= 1 && m <= kSarDecodeMaxM, op, ": m must be in [1, ", kSarDecodeMaxM, "], got ", m);
  SAR_CHECK(m <= h * w, op, ": m must be at most the ", h * w, " cells of the ", h, "x", w, " map, got ", m);
  SAR_CHECK(options.gamma >= 0.0 && options.gamma <= 1.0, op, ": gamma must be in [0, 1], got ", options.gamma);
  SAR_CHECK(options.stride > 0.0 && std::isfinite(options.stride), op, ": stride must be positive and finite, got ",
            options.stride);

  // Each of the N*J keypoint maps is one row: logits [rows, G], offsets [rows, 2, G].
  const int64_t rows = N * J;
  SarDecoded out;
  out.coords = Tensor::empty({N, J, m, 2}, logits.dtype(), logits.device());
  out.scores = Tensor::empty({N, J, m}, logits.dtype(), logits.device());
  out.count = Tensor::empty({N, J}, DType::I64, logits.device());
  if (logits.is_cuda()) {
    SAR_ON_CUDA(op, sar_decode_cuda(out.coords.data<float>(), out.scores.data<float>(), out.count.data<int64_t>(),
                                    offsets.data<float>(), logits.data<float>(), rows, h, w, m, float(options.gamma),
                                    float(options.stride)));
  } else {
    dispatch_float(logits.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      sar_decode_cpu<T>(out.coords.data<T>(), out.scores.data<T>(), out.count.data<int64_t>(), offsets.data<T>(),
                        logits.data<T>(), rows, h, w, m, T(options.gamma), T(options.stride));
    });
  }
  return out;
}

}  // namespace sar
