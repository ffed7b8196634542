// sar_loss.cpp: CPU twins of cuda/sar_loss.cu, the SAR loss (paper Eq. 7-9) in log space.
// Rows r = n * J + j; offsets [NJ, 2, G], logits [NJ, G], target [NJ, 2], weight [NJ], G = h * w.
// The math of a cell is core/sar_math.h; these loops only walk the rows (OpenMP over them).
#include <cmath>

#include "core/cpu/kernels_cpu.h"
#include "core/sar_math.h"

namespace sar {

template <typename T>
void sar_loss_forward_cpu(T* loss, T* inv_valid, T* lse, const T* offsets, const T* logits, const T* target,
                          const T* weight, int64_t NJ, int64_t h, int64_t w, T lambda, T eps) {
  const int64_t G = h * w;
  // pass 1, per valid row: lse[r] = (log sum_t c_t, log sum_t c_t r_t), in one sweep of the cells
#pragma omp parallel for if (NJ * G >= kParallelMin)
  for (int64_t r = 0; r < NJ; ++r) {
    T* lse_r = lse + 2 * r;
    if (!sar_row_valid(weight[r])) {
      lse_r[0] = lse_r[1] = T(0);
      continue;
    }
    const SarRow<T> row = sar_row(offsets, logits, target, r, G);
    LogSumExp<T> sum_c, sum_cr;
    for (int t = 0; t < int(G); ++t) {
      const SarCellTerms<T> c = sar_cell_terms(row, t, int(h), int(w), lambda);
      sum_c.add(c.log_c);
      sum_cr.add(c.log_c + c.log_r);
    }
    lse_r[0] = sum_c.value();
    lse_r[1] = sum_cr.value();
  }
  // pass 2: the mean of L_nj over the valid rows, summed in row order
  const T log_eps = std::log(eps);
  T total = T(0);
  int64_t count = 0;
  for (int64_t r = 0; r < NJ; ++r) {
    if (!sar_row_valid(weight[r])) continue;
    total += sar_row_loss(lse[2 * r], lse[2 * r + 1], log_eps);
    ++count;
  }
  *loss = count > 0 ? total / T(count) : T(0);
  *inv_valid = count > 0 ? T(1) / T(count) : T(0);
}

template <typename T>
void sar_loss_backward_cpu(T* doffsets, T* dlogits, const T* dloss, const T* inv_valid, const T* lse,
                           const T* offsets, const T* logits, const T* target, const T* weight, int64_t NJ, int64_t h,
                           int64_t w, T lambda, T eps) {
  const int64_t G = h * w;
  const T scale = *dloss * *inv_valid;  // d(mean)/d(L_nj) = 1 / valid rows
#pragma omp parallel for if (NJ * G >= kParallelMin)
  for (int64_t r = 0; r < NJ; ++r) {
    T* dox = doffsets ? doffsets + 2 * r * G : nullptr;
    T* doy = doffsets ? dox + G : nullptr;
    T* ds = dlogits ? dlogits + r * G : nullptr;
    const bool valid = sar_row_valid(weight[r]);
    const SarRow<T> row = sar_row(offsets, logits, target, r, G);
    const SarRowGrad<T> row_grad = sar_row_grad(lse[2 * r], lse[2 * r + 1], eps, scale);
    for (int t = 0; t < int(G); ++t) {
      // dropped rows get zeros: they are not in the mean
      SarCellGrad<T> g{T(0), T(0), T(0)};
      if (valid) g = sar_cell_grad(sar_cell_terms(row, t, int(h), int(w), lambda), row_grad, lambda);
      if (dox) {
        dox[t] = g.dox;
        doy[t] = g.doy;
      }
      if (ds) ds[t] = g.ds;
    }
  }
}

#define SAR_INSTANTIATE(T)                                                                                          \
  template void sar_loss_forward_cpu<T>(T*, T*, T*, const T*, const T*, const T*, const T*, int64_t, int64_t,       \
                                        int64_t, T, T);                                                             \
  template void sar_loss_backward_cpu<T>(T*, T*, const T*, const T*, const T*, const T*, const T*, const T*,        \
                                         const T*, int64_t, int64_t, int64_t, T, T);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
