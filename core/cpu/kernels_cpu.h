// kernels_cpu.h: every CPU reference kernel, one comment header per op. Open it beside
// cuda/kernels_cuda.h: the two files list the same ops in the same order, and together
// they are the table of contents of the math.
//
// Conventions: outputs first, then saved buffers, then inputs, then sizes. Kernels
// overwrite their outputs (the tape accumulates), unless the header says otherwise.
// Templated on T = float or double; explicit instantiations at the bottom of each .cpp.
// Along-one-axis kernels view a tensor as [outer, R, inner] (Shape::outer/inner).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/philox.h"
#include "core/scalar_math.h"

namespace sar {

// Loops over fewer elements than this run on one thread: below it an OpenMP parallel
// region costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

// ---- fill, cast, copy (core/cpu/memory.cpp) ----
template <typename T> void fill_cpu(T* x, int64_t n, T value);
// Converts n elements between F32, F64 and I64 (float -> int truncates toward zero).
void cast_cpu(void* dst, DType dst_dtype, const void* src, DType src_dtype, int64_t n);
// Copies `len` rows of an axis: dst[o, dst_start + r, :] = src[o, src_start + r, :] for
// r < len, o < outer; a row is inner_bytes long. Serves concat, slice and their backwards.
void axis_copy_cpu(void* dst, int64_t dst_len, int64_t dst_start, const void* src, int64_t src_len,
                   int64_t src_start, int64_t outer, int64_t len, int64_t inner_bytes);

// ---- random numbers (core/cpu/random.cpp): element i = philox_sample(seed, offset + i) ----
template <typename T> void random_fill_cpu(T* out, int64_t n, RandomKind kind, uint64_t seed, uint64_t offset,
                                           double a, double b);

// ---- elementwise (core/cpu/elementwise.cpp) ----
// y = f(x)                             x, y: [n]
template <typename T> void unary_forward_cpu(UnaryOp op, T* y, const T* x, int64_t n, T alpha);
// dx = dy * f'(x)                      dx, dy, x, y: [n]
template <typename T> void unary_backward_cpu(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n,
                                              T alpha);
// out = a (op) b with broadcasting     out: [n] = numel of the broadcast shape
template <typename T> void binary_forward_cpu(BinaryOp op, T* out, const T* a, const T* b, const BroadcastIndex& bi,
                                              int64_t n);
// da = dout * d(op)/da, db = dout * d(op)/db, both in the broadcast (output) shape;
// either may be nullptr when not needed. The op function then sums them down to a's/b's shape.
template <typename T> void binary_backward_cpu(BinaryOp op, T* da, T* db, const T* dout, const T* a, const T* b,
                                               const BroadcastIndex& bi, int64_t n);

// ---- matmul (core/cpu/matmul.cpp, OpenBLAS) ----
// C[M,N] = alpha * op(A) @ op(B) + beta * C, row-major; op(A) is [M,K], op(B) is [K,N]
// (A stored [K,M] when trans_a, B [N,K] when trans_b). K == 0 gives C = beta * C.
template <typename T> void gemm_cpu(T* C, const T* A, const T* B, int64_t M, int64_t N, int64_t K, bool trans_a,
                                    bool trans_b, T alpha, T beta);

// ---- reductions (core/cpu/reduce.cpp), x: [outer, R, inner] -> out: [outer, inner] ----
template <typename T> void sum_axis_cpu(T* out, const T* x, int64_t outer, int64_t R, int64_t inner);
// Ties keep the lowest index, so the arg-max is deterministic.
template <typename T> void max_axis_cpu(T* out, int64_t* argmax, const T* x, int64_t outer, int64_t R,
                                        int64_t inner);
// dx[o, r, i] = scale * dout[o, i]: the backward of sum (scale 1) and mean (scale 1/R).
template <typename T> void broadcast_axis_cpu(T* dx, const T* dout, int64_t outer, int64_t R, int64_t inner,
                                              T scale);
// dx[o, argmax[o, i], i] = dout[o, i], zero elsewhere.
template <typename T> void max_axis_backward_cpu(T* dx, const T* dout, const int64_t* argmax, int64_t outer,
                                                 int64_t R, int64_t inner);

// ---- softmax and log-softmax along an axis (core/cpu/softmax.cpp), x, y: [outer, R, inner] ----
// y = exp(x - max) / sum exp(x - max), or its log when `log` is set.
template <typename T> void softmax_forward_cpu(T* y, const T* x, int64_t outer, int64_t R, int64_t inner, bool log);
// softmax:     dx = y * (dy - sum_r dy * y)
// log-softmax: dx = dy - exp(y) * sum_r dy
template <typename T> void softmax_backward_cpu(T* dx, const T* dy, const T* y, int64_t outer, int64_t R,
                                                int64_t inner, bool log);

// ---- shape ops (core/cpu/shape_ops.cpp) ----
// out[j] = in[sum_d coord_d(j) * in_strides[d]], coords of j in out_dims (ndim <= 5).
// T = float, double or int64_t.
template <typename T> void permute_cpu(T* out, const T* in, const int64_t* out_dims, const int64_t* in_strides,
                                       int ndim, int64_t n);
// out[o, r, i] = x[o, index[o, r, i], i]; x: [outer, Rx, inner], index and out: [outer, Ri, inner].
// Throws when an index is outside [0, Rx).
template <typename T> void gather_forward_cpu(T* out, const T* x, const int64_t* index, int64_t outer, int64_t Rx,
                                              int64_t Ri, int64_t inner);
// dx[o, index[o, r, i], i] += dout[o, r, i]: ACCUMULATES into dx, which the caller zeroes.
template <typename T> void gather_backward_cpu(T* dx, const T* dout, const int64_t* index, int64_t outer,
                                               int64_t Rx, int64_t Ri, int64_t inner);

}  // namespace sar
