// sar_decode.cpp: CPU twin of cuda/sar_decode.cu (paper Eq. 11). Each of the N*J keypoint
// maps is one row of G = h*w cells. The ranking, the gamma test and the cell -> pixel math are
// core/sar_decode_math.h, shared with the kernel. For m > 1 this twin states the rule directly
// (sort the cells that pass gamma by rank, keep the first m), while the kernel reaches the same
// list by m rounds of block arg-max: the parity test compares two algorithms, not one twice.
#include <algorithm>
#include <vector>

#include "core/cpu/kernels_cpu.h"
#include "core/sar_decode_math.h"

namespace sar {

template <typename T>
void sar_decode_cpu(T* coords, T* scores, int64_t* count, const T* offsets, const T* logits, int64_t rows,
                    int64_t h, int64_t w, int m, T gamma, T stride) {
  const int64_t G = h * w;
#pragma omp parallel for if (rows * G >= kParallelMin)
  for (int64_t row = 0; row < rows; ++row) {
    const T* s = logits + row * G;           // [G]
    const T* o = offsets + row * 2 * G;      // [2, G]
    T* xy = coords + row * m * 2;            // [m, 2]
    T* score = scores + row * m;             // [m]
    if (m == 1) {
      // Top-down: the best cell, then its score max_t w_t = 1 / sum_t (c_t / c_best).
      int64_t best = 0;
      for (int64_t t = 1; t < G; ++t)
        if (sar_decode_ranks_before(s[t], t, s[best], best)) best = t;
      const SarDecodeWeightRatio<T> ratio(s[best]);
      T ratio_sum = T(0);
      for (int64_t t = 0; t < G; ++t) ratio_sum += ratio(s[t]);
      sar_decode_position(xy, o, best, h, w, stride);
      score[0] = T(1) / ratio_sum;
      count[row] = 1;
      continue;
    }
    // Bottom-up: the cells with c_t >= gamma, best first; only the first m need to be in order.
    std::vector<int64_t> cells;
    for (int64_t t = 0; t < G; ++t)
      if (sar_decode_passes_gamma(s[t], gamma)) cells.push_back(t);
    const int64_t found = std::min<int64_t>(m, int64_t(cells.size()));
    std::partial_sort(cells.begin(), cells.begin() + found, cells.end(),
                      [s](int64_t a, int64_t b) { return sar_decode_ranks_before(s[a], a, s[b], b); });
    for (int64_t r = 0; r < m; ++r) {
      if (r < found) {
        sar_decode_position(xy + 2 * r, o, cells[r], h, w, stride);
        score[r] = sigmoid_of(s[cells[r]]);
      } else {  // an unused slot
        xy[2 * r] = xy[2 * r + 1] = score[r] = T(0);
      }
    }
    count[row] = found;
  }
}

template void sar_decode_cpu<float>(float*, float*, int64_t*, const float*, const float*, int64_t, int64_t, int64_t,
                                    int, float, float);
template void sar_decode_cpu<double>(double*, double*, int64_t*, const double*, const double*, int64_t, int64_t,
                                     int64_t, int, double, double);

}  // namespace sar
