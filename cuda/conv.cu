// conv.cu: 2-D convolution with cuDNN: forward, backward-data, backward-filter, bias gradient.
//   y[n,o,oh,ow] = sum_{c,i,j} w[o,c,i,j] * x[n, c, oh*s_h - p_h + i*d_h, ow*s_w - p_w + j*d_w] (+ bias[o])
//   conv_transpose2d runs its forward on backward-data and its backward-data on forward.
// Shapes (core/conv_geometry.h): x [N,Cx,H,W], w [Cy,Cx,kH,kW], y [N,Cy,Ho,Wo]; float32 NCHW.
//   Every call overwrites its output (beta = 0), then adds the bias in place when given.
// CPU twins: conv2d_*_cpu (core/cpu/conv.cpp, im2col + OpenBLAS). Tests: tests/test_conv.cpp.
// Parallelism: cuDNN's own, on the handle bound to cuda::stream(). conv_setup picks the three
//   algorithms once per geometry and setting (cuDNN's heuristics; float32 math, or TF32 under
//   set_tf32_math) and caches them; one workspace, grown to the largest need, serves every call.
//
// cuDNN's legacy API (cudnnConvolutionForward and its two backward twins) rather than the
// graph API: for a plain NCHW float conv it is three descriptors and one call per direction,
// the shape Caffe, darknet and PyTorch's glue have. The graph API wants an operation graph,
// engine heuristics and an execution plan per shape, several times the code, and what it buys
// (fused conv + BN + ReLU, runtime-compiled kernels) we do not use yet. cuDNN 9 marks the
// legacy calls deprecated but still ships and supports them (on top of the graph engines);
// fusion or NHWC/bf16 work is the time to move.
#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <mutex>

#include "core/device.h"
#include "cuda/cuda_check.h"
#include "cuda/device_api.h"
#include "cuda/kernels_cuda.h"

namespace sar {

namespace {

// Algorithms that need more scratch memory than this are passed over for the next best.
constexpr size_t kMaxWorkspaceBytes = size_t(512) << 20;

// An algorithm and the math type it runs in (set on the descriptor before each call: one
// descriptor serves all three directions, and under TF32 each may want its own).
template <typename Algo>
struct Choice {
  Algo algo;
  cudnnMathType_t math;
};

// Descriptors and algorithm choices for one geometry (darknet's cudnn_convolutional_setup).
struct ConvPlan {
  cudnnTensorDescriptor_t x, y;                   // [N,Cx,H,W], [N,Cy,Ho,Wo]
  cudnnTensorDescriptor_t image_bias, grid_bias;  // [1,Cx,1,1], [1,Cy,1,1]
  cudnnFilterDescriptor_t w = nullptr;            // [Cy,Cx,kH,kW]
  cudnnConvolutionDescriptor_t conv = nullptr;
  Choice<cudnnConvolutionFwdAlgo_t> forward;
  Choice<cudnnConvolutionBwdDataAlgo_t> backward_data;
  Choice<cudnnConvolutionBwdFilterAlgo_t> backward_filter;
};

// Everything the launchers share. Never destroyed: plans and descriptors live as long as the
// process, and destroying them during static destruction could outlive the CUDA context.
struct Cudnn {
  std::mutex mutex;  // one call at a time: the plans, the workspace and the handle are shared
  std::map<std::array<int64_t, 4>, cudnnTensorDescriptor_t> tensors;  // by [n, c, h, w]
  std::map<std::array<int64_t, 17>, ConvPlan> plans;                  // by geometry and the two switches
  // One workspace for every call, as large as the largest plan needs. All calls run in
  // stream order, so they can share it.
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

Cudnn& state() {
  static Cudnn* s = new Cudnn;
  return *s;
}

cudnnHandle_t handle() { return static_cast<cudnnHandle_t>(cuda::cudnn_handle()); }

int as_int(int64_t v, const char* what) {
  SAR_CHECK(v <= INT_MAX, "conv (cuDNN): ", what, " = ", v, " does not fit cuDNN's int sizes");
  return int(v);
}

// A float NCHW tensor descriptor, made once per shape. Cached only once set: a descriptor whose
// set failed must not be found by the next call.
cudnnTensorDescriptor_t tensor_desc(int64_t n, int64_t c, int64_t h, int64_t w) {
  auto& tensors = state().tensors;
  const std::array<int64_t, 4> key = {n, c, h, w};
  if (auto found = tensors.find(key); found != tensors.end()) return found->second;
  as_int(n * c * h * w, "tensor size");
  cudnnTensorDescriptor_t d;
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
  try {
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(n), int(c), int(h), int(w)));
  } catch (...) {
    cudnnDestroyTensorDescriptor(d);
    throw;
  }
  return tensors.emplace(key, d).first->second;
}

// Destroys a plan's own descriptors (the filter and the convolution; the tensor ones are shared)
// unless the plan is kept: an error while choosing its algorithms would otherwise leak them, once
// per retry.
struct PlanGuard {
  ConvPlan& plan;
  bool kept = false;
  ~PlanGuard() {
    if (kept) return;
    if (plan.w) cudnnDestroyFilterDescriptor(plan.w);
    if (plan.conv) cudnnDestroyConvolutionDescriptor(plan.conv);
  }
};

// The first algorithm in cuDNN's heuristic ranking that works, fits kMaxWorkspaceBytes, runs in
// float32 math unless set_tf32_math allows tensor cores, and, under set_deterministic_algorithms
// (core/device.h), is deterministic. Perf is the Fwd, BwdData or BwdFilter AlgoPerf struct.
template <typename Perf>
auto best_algo(const Perf* perf, int count, const char* direction) {
  for (int i = 0; i < count; ++i) {
    // ALLOW_CONVERSION may round float32 data to half precision: never, TF32 or not
    if (perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
    const bool tensor_cores = perf[i].mathType == CUDNN_TENSOR_OP_MATH;
    const bool allowed = (tf32_math() || !tensor_cores) &&
                         (!deterministic_algorithms() || perf[i].determinism == CUDNN_DETERMINISTIC);
    if (perf[i].status == CUDNN_STATUS_SUCCESS && allowed && perf[i].memory <= kMaxWorkspaceBytes)
      return Choice<decltype(perf[i].algo)>{perf[i].algo, tf32_math() ? perf[i].mathType : CUDNN_FMA_MATH};
  }
  SAR_THROW("conv (cuDNN): no ", direction, " algorithm for this geometry runs in ",
            tf32_math() ? "TF32" : "float32", " math", deterministic_algorithms() ? ", deterministically," : "",
            " within ", kMaxWorkspaceBytes >> 20, " MiB of workspace");
}

// Builds (once per geometry and setting of the two switches) the descriptors, picks the three
// algorithms and grows the shared workspace to what they need. Call with the state's mutex held.
const ConvPlan& conv_setup(const ConvGeometry& g) {
  Cudnn& s = state();
  const std::array<int64_t, 17> key = {g.N, g.Cx, g.H, g.W, g.Cy, g.Ho, g.Wo, g.kH, g.kW,
                                       g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h, g.dilation_w,
                                       tf32_math(), deterministic_algorithms()};
  auto found = s.plans.find(key);
  if (found != s.plans.end()) return found->second;

  // cuDNN derives the grid size from the image by conv2d's formula. Only a conv_transpose2d
  // whose output_padding is >= stride (allowed when < dilation) has an image that formula maps
  // to a larger grid than its input.
  const int64_t Ho = (g.H + 2 * g.pad_h - g.dilation_h * (g.kH - 1) - 1) / g.stride_h + 1;
  const int64_t Wo = (g.W + 2 * g.pad_w - g.dilation_w * (g.kW - 1) - 1) / g.stride_w + 1;
  SAR_CHECK(Ho == g.Ho && Wo == g.Wo, "conv_transpose2d: output_padding >= stride runs on the CPU only (cuDNN maps ",
            "the ", g.H, "x", g.W, " output back to ", Ho, "x", Wo, ", not to the ", g.Ho, "x", g.Wo, " input)");

  ConvPlan p;
  PlanGuard guard{p};
  p.x = tensor_desc(g.N, g.Cx, g.H, g.W);
  p.y = tensor_desc(g.N, g.Cy, g.Ho, g.Wo);
  p.image_bias = tensor_desc(1, g.Cx, 1, 1);
  p.grid_bias = tensor_desc(1, g.Cy, 1, 1);
  as_int(g.Cy * g.Cx * g.kH * g.kW, "weight size");
  CUDNN_CHECK(cudnnCreateFilterDescriptor(&p.w));
  CUDNN_CHECK(cudnnSetFilter4dDescriptor(p.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(g.Cy), int(g.Cx), int(g.kH),
                                         int(g.kW)));
  CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p.conv));
  CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p.conv, int(g.pad_h), int(g.pad_w), int(g.stride_h), int(g.stride_w),
                                              int(g.dilation_h), int(g.dilation_w), CUDNN_CROSS_CORRELATION,
                                              CUDNN_DATA_FLOAT));
  // The heuristics rank the algorithms the descriptor's math type allows. Float32: FMA math
  // only (on Ampere and later the default lets cuDNN round the inputs to TF32, which would
  // break parity with the CPU). TF32: the default, as PyTorch sets it when allow_tf32 is on.
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, tf32_math() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));

  int count = 0;
  std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> fwd;
  CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle(), p.x, p.w, p.conv, p.y, int(fwd.size()), &count,
                                                     fwd.data()));
  p.forward = best_algo(fwd.data(), count, "forward");
  std::array<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT> bwd_data;
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle(), p.w, p.y, p.conv, p.x, int(bwd_data.size()),
                                                          &count, bwd_data.data()));
  p.backward_data = best_algo(bwd_data.data(), count, "backward-data");
  std::array<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT> bwd_filter;
  CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle(), p.x, p.y, p.conv, p.w,
                                                            int(bwd_filter.size()), &count, bwd_filter.data()));
  p.backward_filter = best_algo(bwd_filter.data(), count, "backward-filter");

  // the workspace: the most any of the three needs (darknet's get_workspace_size), each asked
  // in the math type it will run in
  size_t fwd_bytes = 0, data_bytes = 0, filter_bytes = 0;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, p.forward.math));
  CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle(), p.x, p.w, p.conv, p.y, p.forward.algo, &fwd_bytes));
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, p.backward_data.math));
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle(), p.w, p.y, p.conv, p.x, p.backward_data.algo,
                                                           &data_bytes));
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, p.backward_filter.math));
  CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle(), p.x, p.y, p.conv, p.w,
                                                             p.backward_filter.algo, &filter_bytes));
  const size_t need = std::max({fwd_bytes, data_bytes, filter_bytes});
  if (need > s.workspace_bytes) {
    // The new block first: if it cannot be had, the old one stays in place for the plans already
    // made (released first, a failed allocation left them a freed block). Stream order makes the
    // release safe: calls already queued finish before the block is reused.
    void* grown = cuda::allocator().allocate(need);
    if (s.workspace) cuda::allocator().release(s.workspace);
    s.workspace = grown;
    s.workspace_bytes = need;
  }
  guard.kept = true;
  return s.plans.emplace(key, p).first->second;
}

}  // namespace

// y = conv(x, w) + bias[o]: x [N,Cx,H,W], w [Cy,Cx,kH,kW], bias [Cy] or nullptr -> y [N,Cy,Ho,Wo]
void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* bias, const ConvGeometry& g) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const ConvPlan& p = conv_setup(g);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, p.forward.math));
  CUDNN_CHECK(cudnnConvolutionForward(handle(), &one, p.x, x, p.w, w, p.conv, p.forward.algo, state().workspace,
                                      state().workspace_bytes, &zero, p.y, y));
  if (bias) CUDNN_CHECK(cudnnAddTensor(handle(), &one, p.grid_bias, bias, &one, p.y, y));
}

// dx = conv^T(dy, w) + bias[c]: dy [N,Cy,Ho,Wo], w [Cy,Cx,kH,kW], bias [Cx] or nullptr -> dx [N,Cx,H,W]
void conv2d_backward_data_cuda(float* dx, const float* dy, const float* w, const float* bias, const ConvGeometry& g) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const ConvPlan& p = conv_setup(g);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, p.backward_data.math));
  CUDNN_CHECK(cudnnConvolutionBackwardData(handle(), &one, p.w, w, p.y, dy, p.conv, p.backward_data.algo,
                                           state().workspace, state().workspace_bytes, &zero, p.x, dx));
  if (bias) CUDNN_CHECK(cudnnAddTensor(handle(), &one, p.image_bias, bias, &one, p.x, dx));
}

// dw[o,c,i,j] = sum over n, oh, ow of dy[n,o,oh,ow] * x[n,c,...]: dy [N,Cy,Ho,Wo], x [N,Cx,H,W] -> dw [Cy,Cx,kH,kW]
void conv2d_backward_filter_cuda(float* dw, const float* dy, const float* x, const ConvGeometry& g) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const ConvPlan& p = conv_setup(g);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, p.backward_filter.math));
  CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(), &one, p.x, x, p.y, dy, p.conv, p.backward_filter.algo,
                                             state().workspace, state().workspace_bytes, &zero, p.w, dw));
}

// dbias[c] = sum over n, p of dy[n,c,p]: dy [N,C,P] -> dbias [C]
void conv2d_backward_bias_cuda(float* dbias, const float* dy, int64_t N, int64_t C, int64_t P) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnConvolutionBackwardBias(handle(), &one, tensor_desc(N, C, P, 1), dy, &zero,
                                           tensor_desc(1, C, 1, 1), dbias));
}

}  // namespace sar
