// sar_decode.h: SAR inference, the top-m grid cells per keypoint (paper Eq. 11).
//
// For each (image n, keypoint j), with c_t = sigmoid(s_t), w_t = c_t / sum_t c_t and
// K_t = p_t - o_t (see core/ops/sar_loss.h), returns the keypoint candidates in input-crop
// pixels: x = stride * w * K_t,x = stride * (col - w * o_t,x), y = stride * (row - h * o_t,y).
//   m == 1 (top-down, the official decode): the arg-max cell of c_t (the same cell as the
//          arg-max of w_t); score = max_t w_t, the normalized weight; gamma is not applied,
//          so count is 1.
//   m > 1  (bottom-up): the m cells with the largest c_t among those with c_t >= gamma, best
//          first; score = c_t. Fewer than m qualify: the rest of the slots get score 0 and
//          coordinates 0, and count[n, j] says how many are real.
// Cells are ranked by the logit s_t, which orders them as c_t and w_t do, but without the ties
// that float sigmoid saturation creates (s = 20 and s = 25 both give c = 1.0f).
// Ties of s_t: the lower cell index wins, on every device, so the output is deterministic.
//
// Inputs: offsets [N, 2J, h, w], logits [N, J, h, w] (float32 on CUDA; float32/float64 on CPU).
// Outputs (no gradient): coords [N, J, m, 2], scores [N, J, m] (input dtype), count [N, J] int64,
// on the inputs' device. The per-cell rules (order, threshold, position) are core/sar_decode_math.h.
// Throws sar::Error (naming the argument) for other shapes or dtypes, m outside [1, min(h*w, 64)],
// gamma outside [0, 1], or a stride that is not positive and finite.
// CPU: core/cpu/sar_decode.cpp (a partial sort); CUDA: cuda/sar_decode.cu (one block per
// keypoint map; m == 1: a block arg-max and sum; m > 1: m rounds of block arg-max);
// tests: tests/test_sar_decode.cpp.
#pragma once

#include "core/tensor.h"

namespace sar {

// The most candidates per keypoint: bottom-up asks for 30, and the CUDA kernel spends one
// block-wide arg-max per candidate, so a much larger m is a mistake rather than a use.
constexpr int kSarDecodeMaxM = 64;

struct SarDecodeOptions {
  int m = 1;            // candidates per keypoint (1 top-down, up to 30 bottom-up; at most kSarDecodeMaxM)
  double gamma = 0.0;   // confidence threshold on c_t, used when m > 1
  double stride = 4.0;  // input pixels per map cell (256x192 input, 64x48 map: 4)
};

struct SarDecoded {
  Tensor coords;  // [N, J, m, 2] (x, y) in input-crop pixels
  Tensor scores;  // [N, J, m]
  Tensor count;   // [N, J] int64: real candidates among the m
};

SarDecoded sar_decode_topm(const Tensor& offsets, const Tensor& logits, const SarDecodeOptions& options = {});

}  // namespace sar
