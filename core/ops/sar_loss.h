// sar_loss.h: the SAR loss (paper Eq. 7-9, as the official implementation computes it).
//
// Symbols (paper -> variables), per image n, keypoint j, grid cell t = (row, col) of an h x w map:
//   p_t   = (col / w, row / h)              grid prior: the integer cell index, normalized by the map size
//   o_t   = offsets[n, 2j (x) / 2j+1 (y), row, col]   regressor output R(f_t) (interleaved per keypoint)
//   K_t   = p_t - o_t                       Eq. 5 as coded officially (the paper writes R(f_t) + p_t;
//                                           the sign only matters for loading released weights)
//   s_t   = logits[n, j, row, col]          selector output (Eq. 6)
//   c_t   = sigmoid(s_t), w_t = c_t / sum_t c_t                               (Eq. 9)
//   r_t   = exp(-lambda * (|K_t,x - K*_x| + |K_t,y - K*_y|)), lambda = 16   (Eq. 8; x by w, y by h)
//   L_nj  = -log(sum_t w_t r_t + eps), eps = 1e-6                           (Eq. 7)
//   loss  = mean of L_nj over the rows with weight[n, j] > 0 (other rows are dropped, not weighted)
// K* = target[n, j] in map-normalized units (x / w, y / h); it may lie outside [0, 1].
//
// Computed in log space, so it never overflows: log c_t = -softplus(-s_t), log w_t = log c_t -
// logsumexp(log c), then A = logsumexp_t(log w_t + log r_t) and L = -logaddexp(A, log eps).
// Where the direct form is representable the two agree; logits of +-80 or offsets of 1e3 give a
// finite loss and finite gradients.
//
// Backward (fused, one pass): with q_t = w_t r_t / sum_u w_u r_u and beta = sum w r / (sum w r + eps),
//   dL/do_t,x = -beta * lambda * q_t * sign(K_t,x - K*_x)   (and y alike; sign(0) = 0)
//   dL/ds_t   = -beta * (q_t - w_t) * (1 - c_t)
// (computed as beta q_t = w_t r_t / (sum w r + eps) and beta w_t = w_t sum w r / (sum w r + eps),
// which stay finite where sum w r underflows; core/sar_math.h)
// scaled by the upstream gradient / number of valid rows; dropped rows get zero gradients. No
// valid row at all gives loss 0 and zero gradients. target and weight are data: no gradient
// flows to them.
//
// Inputs: offsets [N, 2J, h, w], logits [N, J, h, w], target [N, J, 2], weight [N, J], all one
// float dtype and device (CPU: float32/float64; CUDA: float32), h, w >= 1. Output: a 0-dim loss,
// on the inputs' device (the mean over valid rows is taken there: no copy to the host).
// Throws sar::Error naming the argument, e.g. "sar_loss: offsets must be [N, 2J, h, w] =
// [2, 34, 64, 48] for logits [2, 17, 64, 48], got [...]"; options need eps > 0, lambda >= 0.
// CPU: core/cpu/sar_loss.cpp; CUDA: cuda/sar_loss.cu; tests: tests/test_sar_loss.cpp.
#pragma once

#include "core/tensor.h"

namespace sar {

struct SarLossOptions {
  double lambda = 16.0;  // Eq. 8
  double eps = 1e-6;     // inside the log of Eq. 7, as the official recipe
};

Tensor sar_loss(const Tensor& offsets, const Tensor& logits, const Tensor& target, const Tensor& weight,
                const SarLossOptions& options = {});

}  // namespace sar
