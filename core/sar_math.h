// sar_math.h: the per-cell math of the SAR loss (core/ops/sar_loss.h) and of the selector
// normalization (core/ops/sar_selector_norm.h), written once for both devices (SAR_HD, as in
// core/scalar_math.h). core/cpu/sar_loss.cpp, core/cpu/sar_selector_norm.cpp and their twins
// in cuda/ call these, so the two backends compute the same numbers in the same way; the
// gradient checks test the gradient terms here against central differences.
//
// Everything is in log space: log c_t = -softplus(-s_t) and log r_t = -lambda |K_t - K*|_1 are
// finite for any finite input, where c_t or r_t themselves would underflow to 0.
#pragma once

#include <cmath>

#include "core/scalar_math.h"

namespace sar {

// ---- scalar helpers ----

// log sigmoid(s) = -softplus(-s): log c_t of the selector (Eq. 9); softplus_of: core/scalar_math.h.
template <typename T>
SAR_HD T log_sigmoid(T s) {
  return -softplus_of(-s);
}

// log(e^a + e^b), with the larger term factored out so that neither exp overflows.
template <typename T>
SAR_HD T logaddexp(T a, T b) {
  using std::exp; using std::log1p;
  const T hi = a > b ? a : b, lo = a > b ? b : a;
  return hi + log1p(exp(lo - hi));
}

// log sum_t e^{v_t} in one pass over v ("online" log-sum-exp): max is the largest v seen and
// sum = sum_t e^{v_t - max}, rescaled whenever the max grows. One pass means the inputs of a
// row are read once; the CUDA kernels keep one per thread and combine them with a block max
// and a block sum of sum * e^{max - block max}.
template <typename T>
struct LogSumExp {
  T max = -T(INFINITY);
  T sum = T(0);

  SAR_HD void add(T v) {
    using std::exp;
    if (v > max) {
      sum = sum * exp(max - v) + T(1);  // exp(-inf) = 0 on the first value
      max = v;
    } else if (v != -T(INFINITY)) {  // e^-inf adds 0, where exp(v - max) would be exp(NaN) while max = -inf
      sum += exp(v - max);           // (a NaN v goes in: it propagates)
    }
  }
  SAR_HD T value() const {  // -inf when every v is -inf (log 0)
    using std::log;
    return max + log(sum);
  }
  // sum rescaled to another max m >= max: the share of this part in a combined sum (0 for a
  // part that saw only -inf, even where m is -inf too).
  SAR_HD T sum_at(T m) const {
    using std::exp;
    return sum == T(0) ? T(0) : sum * exp(max - m);
  }
};

// ---- the SAR loss of one (image, keypoint) row, cell t = row * w + col of an h x w map ----

// Row r = n * J + j of the inputs, seen flat: offsets [N*J, 2, G] (channel 2j is x, 2j+1 is y),
// logits [N*J, G], target [N*J, 2].
template <typename T>
struct SarRow {
  const T* ox;  // [G] the x offsets o_t,x
  const T* oy;  // [G] the y offsets o_t,y
  const T* s;   // [G] the logits s_t
  T gx, gy;     // the target K*
};

template <typename T>
SAR_HD SarRow<T> sar_row(const T* offsets, const T* logits, const T* target, int64_t row, int64_t G) {
  return {offsets + 2 * row * G, offsets + (2 * row + 1) * G, logits + row * G, target[2 * row], target[2 * row + 1]};
}

// What cell t contributes: log c_t, log r_t and the residual e = K_t - K* (Eq. 5, 8, 9) with
// the grid prior p_t = (col / w, row / h) and K_t = p_t - o_t, as the official code has it.
template <typename T>
struct SarCellTerms {
  T s;       // the logit s_t
  T log_c;   // log sigmoid(s_t)
  T log_r;   // -lambda (|e_x| + |e_y|)
  T ex, ey;  // K_t - K*, whose signs the offset gradient needs
};

template <typename T>
SAR_HD SarCellTerms<T> sar_cell_terms(const SarRow<T>& inputs, int t, int h, int w, T lambda) {
  using std::fabs;
  const int row = t / w, col = t % w;
  SarCellTerms<T> c;
  c.s = inputs.s[t];
  c.ex = T(col) / T(w) - inputs.ox[t] - inputs.gx;
  c.ey = T(row) / T(h) - inputs.oy[t] - inputs.gy;
  c.log_c = log_sigmoid(c.s);
  c.log_r = -lambda * (fabs(c.ex) + fabs(c.ey));
  return c;
}

// Rows with weight <= 0 (invisible keypoints) are dropped from the mean, not weighted.
template <typename T>
SAR_HD bool sar_row_valid(T weight) {
  return weight > T(0);
}

// L_nj = -log(sum_t w_t r_t + eps) = -logaddexp(A, log eps) with A = log sum c r - log sum c
// (Eq. 7), from the row's two log-sum-exps lse_c = log sum_t c_t and lse_cr = log sum_t c_t r_t.
template <typename T>
SAR_HD T sar_row_loss(T lse_c, T lse_cr, T log_eps) {
  return -logaddexp(lse_cr - lse_c, log_eps);
}

// The backward in a form that is finite for any input. With S = sum_t w_t r_t (<= 1), the
// header's beta q_t = w_t r_t / (S + eps) and beta w_t = w_t S / (S + eps), so
//   dL/do_t,x = -lambda w_t r_t sign(e_x) / (S + eps)   (K_t = p_t - o_t: dK/do = -1), alike for y
//   dL/ds_t   = -w_t (r_t - S) (1 - c_t) / (S + eps)
// where 1 / (S + eps) <= 1 / eps, and w_t, r_t underflow only where their terms are negligible.
// 1 - c_t is computed as sigmoid(-s_t), which stays right where c_t rounds to 1 (the identity
// 1 - c_t = exp(log c_t - s_t) would give exp(-inf + inf) = NaN at s_t = -inf).

// What a row contributes: w_t = exp(log c_t - lse_c), S = exp(lse_cr - lse_c), and the row's
// factor = scale / (S + eps), scale being the upstream gradient / number of valid rows.
template <typename T>
struct SarRowGrad {
  T lse_c, S, factor;
};

template <typename T>
SAR_HD SarRowGrad<T> sar_row_grad(T lse_c, T lse_cr, T eps, T scale) {
  using std::exp;
  const T S = exp(lse_cr - lse_c);
  return {lse_c, S, scale / (S + eps)};
}

// The gradients of scale * L_nj with respect to cell t's offsets and logit.
template <typename T>
struct SarCellGrad {
  T dox, doy, ds;
};

template <typename T>
SAR_HD SarCellGrad<T> sar_cell_grad(const SarCellTerms<T>& c, const SarRowGrad<T>& row, T lambda) {
  using std::exp;
  const T w = exp(c.log_c - row.lse_c);
  const T r = exp(c.log_r);
  const T one_minus_c = sigmoid_of(-c.s);  // 1 for s = -inf (exp(log c - s) would be exp(-inf + inf))
  const T offset_grad = -lambda * row.factor * w * r;  // times sign(e)
  SarCellGrad<T> g;
  g.dox = c.ex > T(0) ? offset_grad : (c.ex < T(0) ? -offset_grad : T(0));
  g.doy = c.ey > T(0) ? offset_grad : (c.ey < T(0) ? -offset_grad : T(0));
  g.ds = -row.factor * w * (r - row.S) * one_minus_c;
  return g;
}

// ---- the selector normalization of one row (Eq. 9) ----

// w_t = c_t / sum c = exp(log c_t - lse_c): never 0 / 0, even where every c_t underflows.
template <typename T>
SAR_HD T selector_weight(T s, T lse_c) {
  using std::exp;
  return exp(log_sigmoid(s) - lse_c);
}

// dL/ds_t = c_t (1 - c_t) / sum c * (g_t - sum_u g_u w_u) = w_t (1 - c_t) (g_t - dot).
template <typename T>
SAR_HD T selector_norm_grad(T s, T w, T g, T dot) {
  return w * sigmoid_of(-s) * (g - dot);
}

}  // namespace sar
