// elementwise.cpp: CPU twins of cuda/elementwise.cu. The math of each element is in
// core/scalar_math.h; these loops only walk the elements (OpenMP over the cores).
#include "core/cpu/kernels_cpu.h"

namespace sar {

template <typename T>
void unary_forward_cpu(UnaryOp op, T* y, const T* x, int64_t n, T alpha) {
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = unary_value(op, x[i], alpha);
}

template <typename T>
void unary_backward_cpu(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n, T alpha) {
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * unary_derivative(op, x[i], y[i], alpha);
}

template <typename T>
void binary_forward_cpu(BinaryOp op, T* out, const T* a, const T* b, const BroadcastIndex& bi, int64_t n) {
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia, ib;
    bi.offsets(i, &ia, &ib);
    out[i] = binary_value(op, a[ia], b[ib]);
  }
}

template <typename T>
void binary_backward_cpu(BinaryOp op, T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastIndex& bi,
                         int64_t n) {
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia, ib;
    bi.offsets(i, &ia, &ib);
    if (da) da[i] = dout[i] * binary_derivative_a(op, a[ia], b[ib]);
    if (db) db[i] = dout[i] * binary_derivative_b(op, a[ia], b[ib]);
  }
}

#define SAR_INSTANTIATE(T)                                                                                 \
  template void unary_forward_cpu<T>(UnaryOp, T*, const T*, int64_t, T);                                   \
  template void unary_backward_cpu<T>(UnaryOp, T*, const T*, const T*, const T*, int64_t, T);              \
  template void binary_forward_cpu<T>(BinaryOp, T*, const T*, const T*, const BroadcastIndex&, int64_t);   \
  template void binary_backward_cpu<T>(BinaryOp, T*, T*, const T*, const T*, const T*, const BroadcastIndex&, \
                                       int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
