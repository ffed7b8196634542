// sar_selector_norm.h: the selector's normalized weights (paper Eq. 9).
//   c_t = sigmoid(s_t),  w_t = c_t / sum_t c_t   over the h*w cells of each (image, keypoint)
// logits [N, J, h, w] -> w [N, J, h, w], summing to 1 over each [h, w] plane.
// Backward: dL/ds_u = c_u (1 - c_u) / sum_t c_t * (g_u - sum_t g_t w_t) = w_u (1 - c_u) (g_u - sum_t g_t w_t),
// with g = dL/dw.
// Computed in log space, w_t = exp(log c_t - logsumexp_t log c_t) with log c_t = -softplus(-s_t)
// (core/sar_math.h), so any finite logits give weights summing to 1: the direct c / sum c would
// be 0 / 0 where every c_t underflows (all s_t < -104 in float32).
// Throws sar::Error naming the argument: "sar_selector_norm: logits must be [N, J, h, w] ...".
// CPU: core/cpu/sar_selector_norm.cpp; CUDA: cuda/sar_selector_norm.cu (one block per row,
// block reduction by warp shuffles, cuda/block_reduce.cuh); tests: tests/test_sar_selector_norm.cpp.
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor sar_selector_norm(const Tensor& logits);

}  // namespace sar
