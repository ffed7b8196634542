// batch_norm.cpp: CPU twins of cuda/batch_norm.cu. x is [N, C, HW]: channel c owns the N
// rows x[n, c, :], M = N*HW values in all. Channels are independent, so OpenMP splits them.
// Sums accumulate in double, so the float reference is as exact as its inputs allow.
#include <cmath>

#include "core/cpu/kernels_cpu.h"

namespace sar {
namespace {

// Sum of term(j) over one channel's values j = (n*C + c)*HW + s, in kLanes partial sums (lane k
// takes every kLanes-th value of a row) added at the end. One running sum would make every
// addition wait for the previous one, and the compiler may not reorder FP additions itself;
// independent lanes fill the SIMD registers and pipelines, and their fixed order keeps the
// result deterministic.
constexpr int kLanes = 8;

template <typename Term>
double channel_sum(int64_t N, int64_t C, int64_t HW, int64_t c, Term term) {
  double lane[kLanes] = {}, rest = 0;  // rest: the values past a row's last full group of lanes
  for (int64_t n = 0; n < N; ++n) {
    const int64_t row = (n * C + c) * HW;
    int64_t s = 0;
    for (; s + kLanes <= HW; s += kLanes)
#pragma GCC unroll kLanes  // unrolled, the lanes stay in registers (a loop over k would keep them in memory)
      for (int k = 0; k < kLanes; ++k) lane[k] += term(row + s + k);
    for (; s < HW; ++s) rest += term(row + s);
  }
  for (double v : lane) rest += v;
  return rest;
}

}  // namespace

template <typename T>
void batch_norm_stats_cpu(T* mean, T* invstd, T* running_mean, T* running_var, const T* x, int64_t N, int64_t C,
                          int64_t HW, T momentum, T eps) {
  const int64_t M = N * HW;
#pragma omp parallel for if (N * C * HW >= kParallelMin)
  for (int64_t c = 0; c < C; ++c) {
    // pass 1: the mean
    const double mu = channel_sum(N, C, HW, c, [&](int64_t j) { return double(x[j]); }) / double(M);
    // pass 2: the biased variance, from deviations (no cancellation, unlike E[x^2] - mu^2)
    const double var = channel_sum(N, C, HW, c, [&](int64_t j) {
                         const double d = x[j] - mu;
                         return d * d;
                       }) /
                       double(M);
    mean[c] = T(mu);
    invstd[c] = T(1.0 / std::sqrt(var + double(eps)));
    // running statistics: the unbiased variance, as PyTorch keeps it
    if (running_mean) running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * T(mu);
    if (running_var) running_var[c] = (T(1) - momentum) * running_var[c] + momentum * T(var * M / double(M - 1));
  }
}

template <typename T>
void batch_norm_forward_cpu(T* y, const T* mean, const T* invstd, const T* x, const T* weight, const T* bias,
                            int64_t N, int64_t C, int64_t HW) {
#pragma omp parallel for if (N * C * HW >= kParallelMin)
  for (int64_t row = 0; row < N * C; ++row) {
    const int64_t c = row % C;
    const T scale = invstd[c] * (weight ? weight[c] : T(1)), shift = bias ? bias[c] : T(0);
    for (int64_t s = 0; s < HW; ++s) y[row * HW + s] = (x[row * HW + s] - mean[c]) * scale + shift;
  }
}

template <typename T>
void batch_norm_backward_cpu(T* dx, T* dweight, T* dbias, const T* dy, const T* mean, const T* invstd, const T* x,
                             const T* weight, int64_t N, int64_t C, int64_t HW, bool training) {
  const int64_t M = N * HW;
#pragma omp parallel for if (N * C * HW >= kParallelMin)
  for (int64_t c = 0; c < C; ++c) {
    const T mu = mean[c], is = invstd[c];
    // pass 1: sum dy and sum dy * xhat, for dbias, dweight and the training dx
    double sum_dy = 0, sum_dy_xhat = 0;
    if (training || dweight || dbias) {
      sum_dy = channel_sum(N, C, HW, c, [&](int64_t j) { return double(dy[j]); });
      sum_dy_xhat = channel_sum(N, C, HW, c, [&](int64_t j) { return double(dy[j]) * double((x[j] - mu) * is); });
    }
    if (dbias) dbias[c] = T(sum_dy);
    if (dweight) dweight[c] = T(sum_dy_xhat);
    if (!dx) continue;
    // pass 2: dx. Training: the direct term dy, minus the paths through the mean (mean dy)
    // and through the variance (xhat * mean(dy * xhat)); eval: the direct term only.
    const T scale = (weight ? weight[c] : T(1)) * is;
    const T mean_dy = T(sum_dy / double(M)), mean_dy_xhat = T(sum_dy_xhat / double(M));
    // (two loops rather than a select per element: the compiler vectorizes only branch-free ones)
    for (int64_t n = 0; n < N; ++n) {
      const int64_t row = (n * C + c) * HW;
      if (training)
        for (int64_t j = row; j < row + HW; ++j) dx[j] = scale * (dy[j] - mean_dy - (x[j] - mu) * is * mean_dy_xhat);
      else
        for (int64_t j = row; j < row + HW; ++j) dx[j] = scale * dy[j];
    }
  }
}

#define SAR_INSTANTIATE(T)                                                                                       \
  template void batch_norm_stats_cpu<T>(T*, T*, T*, T*, const T*, int64_t, int64_t, int64_t, T, T);              \
  template void batch_norm_forward_cpu<T>(T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, \
                                          int64_t);                                                              \
  template void batch_norm_backward_cpu<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t, \
                                           int64_t, int64_t, bool);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
