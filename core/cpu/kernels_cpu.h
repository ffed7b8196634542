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

#include "core/conv_geometry.h"
#include "core/dtype.h"
#include "core/optim_math.h"
#include "core/philox.h"
#include "core/scalar_math.h"

namespace sar {

// Loops over fewer elements than this run on one thread: below it an OpenMP parallel
// region costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

// ---- fill, cast, copy (core/cpu/memory.cpp) ----
template <typename T> void fill_cpu(T* x, int64_t n, T value);
// Converts n elements between F32, F64, I64 and BF16 (float -> int truncates toward zero; to
// BF16 rounds to nearest even).
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
// dx = dy * f'(x), f' from saved: x or y as unary_saves(op) says     dx, dy, saved: [n]
template <typename T> void unary_backward_cpu(UnaryOp op, T* dx, const T* dy, const T* saved, int64_t n, T alpha);
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
// Elements ranked by max_ranks_before (core/scalar_math.h): the first NaN, else the largest,
// ties to the lowest index, so the arg-max is deterministic.
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

// ---- batch normalization (core/cpu/batch_norm.cpp), x: [N, C, HW]; per-channel arrays: [C] ----
// mean and invstd = 1 / sqrt(var + eps) of each channel's N*HW values (biased var). Unless
// nullptr, running_mean and running_var are blended IN PLACE: r = (1 - momentum) * r +
// momentum * statistic, with the unbiased variance (var * M / (M - 1)) for running_var.
template <typename T> void batch_norm_stats_cpu(T* mean, T* invstd, T* running_mean, T* running_var, const T* x,
                                                int64_t N, int64_t C, int64_t HW, T momentum, T eps);
// y = (x - mean[c]) * invstd[c] * weight[c] + bias[c]; weight, bias may be nullptr (1, 0).
template <typename T> void batch_norm_forward_cpu(T* y, const T* mean, const T* invstd, const T* x, const T* weight,
                                                  const T* bias, int64_t N, int64_t C, int64_t HW);
// dbias = sum dy, dweight = sum dy * xhat (sums over channel c); dx = weight * invstd *
// (dy - mean dy - xhat * mean(dy * xhat)) in training, weight * invstd * dy in eval.
// dx, dweight, dbias may each be nullptr (not wanted); weight may be nullptr (1).
template <typename T> void batch_norm_backward_cpu(T* dx, T* dweight, T* dbias, const T* dy, const T* mean,
                                                   const T* invstd, const T* x, const T* weight, int64_t N,
                                                   int64_t C, int64_t HW, bool training);

// ---- pooling (core/cpu/pooling.cpp), x: [NC, H, W] -> y: [NC, Ho, Wo] ----
// y = max over the window of (ho, wo): rows ho*sH - pH + [0, kH), cols wo*sW - pW + [0, kW),
// padding outside x never wins; argmax = h * W + w of the first maximum (row-major scan; a
// NaN wins, as in PyTorch). Every window must hold an element of x (pH <= kH/2, pW <= kW/2).
template <typename T> void max_pool2d_forward_cpu(T* y, int64_t* argmax, const T* x, int64_t NC, int64_t H,
                                                  int64_t W, int64_t Ho, int64_t Wo, int kH, int kW, int sH,
                                                  int sW, int pH, int pW);
// dx[p, h, w] = sum of dy[p, ho, wo] over the windows covering (h, w) whose argmax it is, in
// (ho, wo) order (a scatter within each plane; the CUDA twin gathers in the same order).
template <typename T> void max_pool2d_backward_cpu(T* dx, const T* dy, const int64_t* argmax, int64_t NC, int64_t H,
                                                   int64_t W, int64_t Ho, int64_t Wo, int kH, int kW, int sH,
                                                   int sW, int pH, int pW);

// ---- upsampling (core/cpu/upsample.cpp), x: [NC, H, W] -> y: [NC, Ho, Wo] ----
// Nearest, Ho = H * scale, Wo = W * scale: y[p, i, j] = x[p, i / scale, j / scale].
template <typename T> void upsample_nearest2d_forward_cpu(T* y, const T* x, int64_t NC, int64_t H, int64_t W,
                                                          int scale);
// dx[p, h, w] = sum of dy over the scale x scale block that copied x[p, h, w].
template <typename T> void upsample_nearest2d_backward_cpu(T* dx, const T* dy, int64_t NC, int64_t H, int64_t W,
                                                           int scale);
// Bilinear with PyTorch's source coordinates: src = dst * (in - 1) / (out - 1) when
// align_corners, else max((dst + 0.5) * in / out - 0.5, 0); the upper neighbour clamps to the edge.
template <typename T> void upsample_bilinear2d_forward_cpu(T* y, const T* x, int64_t NC, int64_t H, int64_t W,
                                                           int64_t Ho, int64_t Wo, bool align_corners);
// dx[p, h, w] = sum of dy times the weight x[p, h, w] had in each output.
template <typename T> void upsample_bilinear2d_backward_cpu(T* dx, const T* dy, int64_t NC, int64_t H, int64_t W,
                                                            int64_t Ho, int64_t Wo, bool align_corners);

// ---- convolution (core/cpu/conv.cpp, im2col + OpenBLAS; 3x3 stride 1 and 4x4 stride 2 by Winograd) ----
// Geometry g (core/conv_geometry.h): x [N, Cx, H, W], w [Cy, Cx, kH, kW], y [N, Cy, Ho, Wo], every
// size >= 1 (the op functions check).
// conv2d runs them as forward / backward_data / backward_filter; conv_transpose2d runs its
// forward on backward_data, its backward-data on forward, and its weight gradient on
// backward_filter with its input as dy and its output gradient as x.
// y = conv(x, w) + bias[o]             bias: [Cy] or nullptr
template <typename T> void conv2d_forward_cpu(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g);
// dx = conv^T(dy, w) + bias[c]         dy: [N, Cy, Ho, Wo] -> dx: [N, Cx, H, W]; bias: [Cx] or nullptr
template <typename T> void conv2d_backward_data_cpu(T* dx, const T* dy, const T* w, const T* bias,
                                                    const ConvGeometry& g);
// dw[o,c,i,j] = sum_{n,oh,ow} dy[n,o,oh,ow] * x[n, c, oh*s_h - p_h + i*d_h, ow*s_w - p_w + j*d_w]
template <typename T> void conv2d_backward_filter_cpu(T* dw, const T* dy, const T* x, const ConvGeometry& g);
// dbias[c] = sum_{n,p} dy[n,c,p]       dy: [N, C, P] (P = pixels of one channel)
template <typename T> void conv2d_backward_bias_cpu(T* dbias, const T* dy, int64_t N, int64_t C, int64_t P);

// 3x3 stride-1 convolutions by Winograd's F(2x2, 3x3) (core/cpu/conv_winograd.cpp): the three
// functions above dispatch to these when winograd_fits(g) (3x3, stride 1, no dilation, padding
// 0-2 on each axis, and enough 2x2 output tiles in the batch for its GEMMs to pay); same
// arguments and results, 16/36 of the multiplications.
bool winograd_fits(const ConvGeometry& g);
template <typename T> void conv2d_forward_winograd_cpu(T* y, const T* x, const T* w, const T* bias,
                                                       const ConvGeometry& g);
template <typename T> void conv2d_backward_data_winograd_cpu(T* dx, const T* dy, const T* w, const T* bias,
                                                             const ConvGeometry& g);
template <typename T> void conv2d_backward_filter_winograd_cpu(T* dw, const T* dy, const T* x,
                                                               const ConvGeometry& g);
// 4x4 stride-2 convolutions with padding 1 and H = 2 Ho, W = 2 Wo (the deconvs' shape) by phases
// and Winograd's F(2x2, 2x2) (core/cpu/conv_winograd_s2.cpp), when winograd_s2_fits(g); same
// arguments and results, 9/16 of the multiplications.
bool winograd_s2_fits(const ConvGeometry& g);
template <typename T> void conv2d_forward_winograd_s2_cpu(T* y, const T* x, const T* w, const T* bias,
                                                          const ConvGeometry& g);
template <typename T> void conv2d_backward_data_winograd_s2_cpu(T* dx, const T* dy, const T* w, const T* bias,
                                                                const ConvGeometry& g);
template <typename T> void conv2d_backward_filter_winograd_s2_cpu(T* dw, const T* dy, const T* x,
                                                                  const ConvGeometry& g);

// ---- SAR loss (core/cpu/sar_loss.cpp), paper Eq. 7-9 in log space (core/sar_math.h) ----
// Rows r = n * J + j, NJ = N * J, G = h * w cells: offsets [NJ, 2, G] (x then y per row, as
// [N, 2J, h, w] interleaves them), logits [NJ, G], target [NJ, 2], weight [NJ].
// lse [NJ, 2] = (log sum_t c_t, log sum_t c_t r_t) of each valid row (0, 0 for a dropped row);
// loss [1] = mean over the valid rows (weight > 0) of L = -logaddexp(lse1 - lse0, log eps), 0 if
// none; inv_valid [1] = 1 / the number of valid rows, 0 if none: the backward's scale.
template <typename T> void sar_loss_forward_cpu(T* loss, T* inv_valid, T* lse, const T* offsets, const T* logits,
                                                const T* target, const T* weight, int64_t NJ, int64_t h, int64_t w,
                                                T lambda, T eps);
// doffsets [NJ, 2, G], dlogits [NJ, G] (either may be nullptr): dloss[0] * inv_valid[0] times
// dL_r/do and dL_r/ds of core/ops/sar_loss.h, from the saved lse; zero on dropped rows.
template <typename T> void sar_loss_backward_cpu(T* doffsets, T* dlogits, const T* dloss, const T* inv_valid,
                                                 const T* lse, const T* offsets, const T* logits, const T* target,
                                                 const T* weight, int64_t NJ, int64_t h, int64_t w, T lambda, T eps);

// ---- SAR selector normalization (core/cpu/sar_selector_norm.cpp), logits, w: [rows, G] ----
// w_t = c_t / sum_t c_t = exp(log c_t - log sum_t c_t), c_t = sigmoid(s_t) (Eq. 9).
template <typename T> void sar_selector_norm_forward_cpu(T* w, const T* logits, int64_t rows, int64_t G);
// ds_t = w_t (1 - c_t) (dw_t - sum_u dw_u w_u)
template <typename T> void sar_selector_norm_backward_cpu(T* dlogits, const T* dw, const T* w, const T* logits,
                                                          int64_t rows, int64_t G);

// ---- SAR decode (core/cpu/sar_decode.cpp), paper Eq. 11; rules in core/sar_decode_math.h ----
// Rows r = n * J + j of G = h * w cells: logits [rows, G], offsets [rows, 2, G] (x then y);
// coords [rows, m, 2] in input-crop pixels, scores [rows, m], count [rows].
// m == 1: the best cell by logit (ties: the lower index), score c_best / sum_t c_t, count 1.
// m > 1: the cells with sigmoid(s_t) >= gamma, best first, at most m, score c_t; count = how
// many; unused slots get coords and score 0.
template <typename T> void sar_decode_cpu(T* coords, T* scores, int64_t* count, const T* offsets, const T* logits,
                                          int64_t rows, int64_t h, int64_t w, int m, T gamma, T stride);

// ---- optimizer updates (core/cpu/optim.cpp), the math of core/optim_math.h ----
// p, m, v, g: [n]. One fused pass: reads p, g, m, v and updates p, m, v IN PLACE (Adam).
template <typename T> void adam_update_cpu(T* p, T* m, T* v, const T* g, int64_t n, const AdamCoefficients<T>& c);
// p, buf, g: [n]. Updates p and the momentum buffer buf IN PLACE (SGD with momentum).
template <typename T> void sgd_update_cpu(T* p, T* buf, const T* g, int64_t n, const SgdCoefficients<T>& c);
// out [1] = sum_i x_i^2 in double, x: [n]: the global gradient norm and the non-finite guard
// (a NaN or Inf anywhere makes it non-finite). Fixed-size chunks summed in order: the result
// does not depend on the number of threads.
template <typename T> void sum_squares_cpu(double* out, const T* x, int64_t n);

}  // namespace sar
