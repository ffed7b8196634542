// kernels_cuda.h: every CUDA kernel launcher, the twins of core/cpu/kernels_cpu.h in the
// same order with the same arguments. Only plain pointers and ints here, so g++ and
// CPU-only builds can include this header; the kernels themselves live in cuda/*.cu.
// CUDA kernels take float (bfloat16 later); launchers run on the one stream of
// cuda/device_api.h and check the launch.
#pragma once

#include <cstdint>

#include "core/conv_geometry.h"
#include "core/dtype.h"
#include "core/optim_math.h"
#include "core/philox.h"
#include "core/scalar_math.h"

namespace sar {

// ---- fill, cast, copy (cuda/memory.cu) ----
void fill_cuda(void* x, DType dtype, int64_t n, double value);  // F32, F64 or I64
void cast_cuda(void* dst, DType dst_dtype, const void* src, DType src_dtype, int64_t n);
void axis_copy_cuda(void* dst, int64_t dst_len, int64_t dst_start, const void* src, int64_t src_len,
                    int64_t src_start, int64_t outer, int64_t len, int64_t inner_bytes);

// ---- random numbers (cuda/random.cu) ----
void random_fill_cuda(float* out, int64_t n, RandomKind kind, uint64_t seed, uint64_t offset, double a, double b);

// ---- elementwise (cuda/elementwise.cu) ----
void unary_forward_cuda(UnaryOp op, float* y, const float* x, int64_t n, float alpha);
void unary_backward_cuda(UnaryOp op, float* dx, const float* dy, const float* saved, int64_t n, float alpha);
void binary_forward_cuda(BinaryOp op, float* out, const float* a, const float* b, const BroadcastIndex& bi,
                         int64_t n);
void binary_backward_cuda(BinaryOp op, float* da, float* db, const float* dout, const float* a, const float* b,
                          const BroadcastIndex& bi, int64_t n);

// ---- matmul (cuda/matmul.cu, cuBLAS) ----
void gemm_cuda(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool trans_a,
               bool trans_b, float alpha, float beta);

// ---- reductions (cuda/reduce.cu) ----
void sum_axis_cuda(float* out, const float* x, int64_t outer, int64_t R, int64_t inner);
void max_axis_cuda(float* out, int64_t* argmax, const float* x, int64_t outer, int64_t R, int64_t inner);
void broadcast_axis_cuda(float* dx, const float* dout, int64_t outer, int64_t R, int64_t inner, float scale);
void max_axis_backward_cuda(float* dx, const float* dout, const int64_t* argmax, int64_t outer, int64_t R,
                            int64_t inner);

// ---- softmax (cuda/softmax.cu) ----
void softmax_forward_cuda(float* y, const float* x, int64_t outer, int64_t R, int64_t inner, bool log);
void softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t outer, int64_t R, int64_t inner,
                           bool log);

// ---- shape ops (cuda/shape_ops.cu) ----
// Element-size generic: elem_bytes is 4 or 8 (float, double, int64).
void permute_cuda(void* out, const void* in, int elem_bytes, const int64_t* out_dims, const int64_t* in_strides,
                  int ndim, int64_t n);
void gather_forward_cuda(float* out, const float* x, const int64_t* index, int64_t outer, int64_t Rx, int64_t Ri,
                         int64_t inner);
void gather_backward_cuda(float* dx, const float* dout, const int64_t* index, int64_t outer, int64_t Rx,
                          int64_t Ri, int64_t inner);

// ---- batch normalization (cuda/batch_norm.cu) ----
void batch_norm_stats_cuda(float* mean, float* invstd, float* running_mean, float* running_var, const float* x,
                           int64_t N, int64_t C, int64_t HW, float momentum, float eps);
void batch_norm_forward_cuda(float* y, const float* mean, const float* invstd, const float* x, const float* weight,
                             const float* bias, int64_t N, int64_t C, int64_t HW);
void batch_norm_backward_cuda(float* dx, float* dweight, float* dbias, const float* dy, const float* mean,
                              const float* invstd, const float* x, const float* weight, int64_t N, int64_t C,
                              int64_t HW, bool training);

// ---- pooling (cuda/pooling.cu) ----
void max_pool2d_forward_cuda(float* y, int64_t* argmax, const float* x, int64_t NC, int64_t H, int64_t W,
                             int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW);
void max_pool2d_backward_cuda(float* dx, const float* dy, const int64_t* argmax, int64_t NC, int64_t H, int64_t W,
                              int64_t Ho, int64_t Wo, int kH, int kW, int sH, int sW, int pH, int pW);

// ---- upsampling (cuda/upsample.cu) ----
void upsample_nearest2d_forward_cuda(float* y, const float* x, int64_t NC, int64_t H, int64_t W, int scale);
void upsample_nearest2d_backward_cuda(float* dx, const float* dy, int64_t NC, int64_t H, int64_t W, int scale);
void upsample_bilinear2d_forward_cuda(float* y, const float* x, int64_t NC, int64_t H, int64_t W, int64_t Ho,
                                      int64_t Wo, bool align_corners);
void upsample_bilinear2d_backward_cuda(float* dx, const float* dy, int64_t NC, int64_t H, int64_t W, int64_t Ho,
                                       int64_t Wo, bool align_corners);

// ---- convolution (cuda/conv.cu, cuDNN) ----
void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* bias, const ConvGeometry& g);
void conv2d_backward_data_cuda(float* dx, const float* dy, const float* w, const float* bias, const ConvGeometry& g);
void conv2d_backward_filter_cuda(float* dw, const float* dy, const float* x, const ConvGeometry& g);
void conv2d_backward_bias_cuda(float* dbias, const float* dy, int64_t N, int64_t C, int64_t P);

// ---- SAR loss (cuda/sar_loss.cu); loss, inv_valid and dloss stay on the device ----
void sar_loss_forward_cuda(float* loss, float* inv_valid, float* lse, const float* offsets, const float* logits,
                           const float* target, const float* weight, int64_t NJ, int64_t h, int64_t w, float lambda,
                           float eps);
void sar_loss_backward_cuda(float* doffsets, float* dlogits, const float* dloss, const float* inv_valid,
                            const float* lse, const float* offsets, const float* logits, const float* target,
                            const float* weight, int64_t NJ, int64_t h, int64_t w, float lambda, float eps);

// ---- SAR selector normalization (cuda/sar_selector_norm.cu) ----
void sar_selector_norm_forward_cuda(float* w, const float* logits, int64_t rows, int64_t G);
void sar_selector_norm_backward_cuda(float* dlogits, const float* dw, const float* w, const float* logits,
                                     int64_t rows, int64_t G);

// ---- SAR decode (cuda/sar_decode.cu) ----
void sar_decode_cuda(float* coords, float* scores, int64_t* count, const float* offsets, const float* logits,
                     int64_t rows, int64_t h, int64_t w, int m, float gamma, float stride);

// ---- optimizer updates (cuda/optim.cu) ----
void adam_update_cuda(float* p, float* m, float* v, const float* g, int64_t n, const AdamCoefficients<float>& c);
void sgd_update_cuda(float* p, float* buf, const float* g, int64_t n, const SgdCoefficients<float>& c);
void sum_squares_cuda(double* out, const float* x, int64_t n);  // out: one double on the device

}  // namespace sar
