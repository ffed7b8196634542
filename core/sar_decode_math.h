// sar_decode_math.h: the per-cell rules of sar_decode_topm (core/ops/sar_decode.h), written
// once for core/cpu/sar_decode.cpp and cuda/sar_decode.cu (SAR_HD, as in core/scalar_math.h):
// which of two candidate cells ranks first, which cells pass Eq. 11's threshold, and where a
// cell puts its keypoint in input-crop pixels. Parity tests catch a twin that strays from them.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/sar_math.h"
#include "core/scalar_math.h"

namespace sar {

// Candidate order: the higher logit s first; equal logits, the lower cell index t first.
// A NaN logit ranks as -inf, so this is a strict total order over the cells of a map: every
// device, reduction tree and sort then picks the same cells in the same order.
template <typename T>
SAR_HD bool sar_decode_ranks_before(T s_a, int64_t t_a, T s_b, int64_t t_b) {
  using std::isnan;
  const T a = isnan(s_a) ? T(-INFINITY) : s_a;
  const T b = isnan(s_b) ? T(-INFINITY) : s_b;
  return a > b || (a == b && t_a < t_b);
}

// Eq. 11's threshold, used when m > 1: cell t is a candidate when c_t = sigmoid(s_t) >= gamma.
template <typename T>
SAR_HD bool sar_decode_passes_gamma(T s, T gamma) {
  return sigmoid_of(s) >= gamma;
}

// c_t / c_best, the term of cell t in max_t w_t = c_best / sum_t c_t = 1 / sum_t (c_t / c_best):
// at most 1, and finite where every c_t underflows (all logits below about -104 in float32), where
// sigmoid(s_best) / sum_t sigmoid(s_t) would be 0 / 0. With c = 1 / (1 + e^-s),
//   c_t / c_best = (1 + e^-s_best) / (1 + e^-s_t)                  when s_best >= 0,
//                = (1 + e^s_best) / (e^s_best + e^(s_best - s_t))   when s_best < 0
// (multiplied through by e^s_best): the only exp of a positive number is the per-cell one, whose
// overflow to inf gives the true 0. One exp per cell, where log space (log-sigmoids) takes three.
// Made once per map from its best logit: ratio(s_t).
template <typename T>
struct SarDecodeWeightRatio {
  T numerator, base, shift;  // c_t / c_best = numerator / (base + e^(shift - s_t))
  SAR_HD explicit SarDecodeWeightRatio(T s_best) {
    using std::exp;
    const bool positive = s_best >= T(0);
    base = positive ? T(1) : exp(s_best);
    numerator = T(1) + (positive ? exp(-s_best) : base);
    shift = positive ? T(0) : s_best;
  }
  SAR_HD T operator()(T s) const {
    using std::exp;
    return numerator / (base + exp(shift - s));
  }
};

// Where cell t = (row, col) = (t / w, t % w) of an h x w map puts its keypoint, in input-crop
// pixels: stride * (w, h) * K_t with K_t = p_t - o_t and p_t = (col / w, row / h), i.e.
//   xy[0] = stride * (col - w * o_x),   xy[1] = stride * (row - h * o_y).
// offsets_row: this keypoint's [2, G] offsets (the x plane, then the y plane; G = h * w).
template <typename T>
SAR_HD void sar_decode_position(T* xy, const T* offsets_row, int64_t t, int64_t h, int64_t w, T stride) {
  const int64_t row = t / w, col = t % w;
  xy[0] = stride * (T(col) - T(w) * offsets_row[t]);
  xy[1] = stride * (T(row) - T(h) * offsets_row[h * w + t]);
}

}  // namespace sar
