// elementwise.cu: y = f(x) and out = a (op) b with broadcasting, and their gradients.
//   The math per element is core/scalar_math.h (unary_value/unary_derivative,
//   binary_value/binary_derivative_a/_b), shared with the CPU twin.
// Shapes: x, y, dx, dy: [n]; a, b broadcast to out: [n] by BroadcastIndex. Kernels overwrite.
// CPU twins: unary_forward_cpu ... binary_backward_cpu (core/cpu/elementwise.cpp).
// Tests: tests/test_elementwise.cpp. Parallelism: one thread per element, grid-stride loop.
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

__global__ void unary_forward_kernel(UnaryOp op, float* y, const float* x, int64_t n, float alpha) {
  GRID_STRIDE_LOOP(i, n) y[i] = unary_value(op, x[i], alpha);
}

__global__ void unary_backward_kernel(UnaryOp op, float* dx, const float* dy, const float* saved, int64_t n,
                                      float alpha) {
  GRID_STRIDE_LOOP(i, n) dx[i] = dy[i] * unary_derivative(op, saved[i], alpha);
}

// flat: bi.flat(), decided once on the host (the same for every thread, so no divergence).
__global__ void binary_forward_kernel(BinaryOp op, float* out, const float* a, const float* b, BroadcastIndex bi,
                                      bool flat, int64_t n) {
  GRID_STRIDE_LOOP(i, n) {
    int64_t ia = i, ib = i;
    if (!flat) bi.offsets(i, &ia, &ib);
    out[i] = binary_value(op, a[ia], b[ib]);
  }
}

__global__ void binary_backward_kernel(BinaryOp op, float* da, float* db, const float* dout, const float* a,
                                       const float* b, BroadcastIndex bi, bool flat, int64_t n) {
  GRID_STRIDE_LOOP(i, n) {
    int64_t ia = i, ib = i;
    if (!flat) bi.offsets(i, &ia, &ib);
    if (da) da[i] = dout[i] * binary_derivative_a(op, a[ia], b[ib]);
    if (db) db[i] = dout[i] * binary_derivative_b(op, a[ia], b[ib]);
  }
}

static cudaStream_t stream() { return static_cast<cudaStream_t>(cuda::stream()); }

void unary_forward_cuda(UnaryOp op, float* y, const float* x, int64_t n, float alpha) {
  if (n == 0) return;
  unary_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(op, y, x, n, alpha);
  CUDA_CHECK_LAUNCH(unary_forward_kernel);
}

void unary_backward_cuda(UnaryOp op, float* dx, const float* dy, const float* saved, int64_t n, float alpha) {
  if (n == 0) return;
  unary_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(op, dx, dy, saved, n, alpha);
  CUDA_CHECK_LAUNCH(unary_backward_kernel);
}

void binary_forward_cuda(BinaryOp op, float* out, const float* a, const float* b, const BroadcastIndex& bi,
                         int64_t n) {
  if (n == 0) return;
  binary_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(op, out, a, b, bi, bi.flat(), n);
  CUDA_CHECK_LAUNCH(binary_forward_kernel);
}

void binary_backward_cuda(BinaryOp op, float* da, float* db, const float* dout, const float* a, const float* b,
                          const BroadcastIndex& bi, int64_t n) {
  if (n == 0) return;
  binary_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads, 0, stream()>>>(op, da, db, dout, a, b, bi,
                                                                             bi.flat(), n);
  CUDA_CHECK_LAUNCH(binary_backward_kernel);
}

}  // namespace sar
