// matmul.cpp: the op function of core/ops/matmul.h.
#include "core/ops/matmul.h"

#include "core/cpu/kernels_cpu.h"
#include "core/flop_counter.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

// out = op(x) @ op(y) on x's device: [M, K] @ [K, N] -> [M, N], overwriting out.
static void gemm(const Tensor& out, const Tensor& x, const Tensor& y, int64_t M, int64_t N, int64_t K, bool trans_x,
                 bool trans_y) {
  if (x.is_cuda()) {
    SAR_ON_CUDA("matmul", gemm_cuda(out.data<float>(), x.data<float>(), y.data<float>(), M, N, K, trans_x, trans_y,
                                    1.f, 0.f));
    return;
  }
  dispatch_float(x.dtype(), "matmul", [&](auto zero) {
    using T = decltype(zero);
    gemm_cpu<T>(out.data<T>(), x.data<T>(), y.data<T>(), M, N, K, trans_x, trans_y, T(1), T(0));
  });
}

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  check_float(a, "matmul", "a");
  check_float(b, "matmul", "b");
  check_same(a, b, "matmul", "a", "b");
  SAR_CHECK(a.ndim() == 2, "matmul: a must be 2-D, got ", a.shape());
  SAR_CHECK(b.ndim() == 2, "matmul: b must be 2-D, got ", b.shape());
  const int64_t M = a.size(trans_a ? 1 : 0), K = a.size(trans_a ? 0 : 1);
  const int64_t Kb = b.size(trans_b ? 1 : 0), N = b.size(trans_b ? 0 : 1);
  SAR_CHECK(K == Kb, "matmul: ", a.shape(), trans_a ? "^T" : "", " @ ", b.shape(), trans_b ? "^T" : "",
            ": inner dims ", K, " != ", Kb);

  Tensor out = Tensor::empty({M, N}, a.dtype(), a.device());
  gemm(out, a, b, M, N, K, trans_a, trans_b);
  count_macs("matmul", double(M) * N * K);

  tape().record("matmul", {a, b}, {out}, [a, b, trans_a, trans_b, M, N, K](const TensorList& douts) -> TensorList {
    const Tensor& dout = douts[0];  // [M, N]
    Tensor da, db;
    if (a.requires_grad()) {
      da = Tensor::empty_like(a);
      if (trans_a) gemm(da, b, dout, K, M, N, trans_b, true);   // [K, M] = op(b) @ dout^T
      else gemm(da, dout, b, M, K, N, false, !trans_b);          // [M, K] = dout @ op(b)^T
    }
    if (b.requires_grad()) {
      db = Tensor::empty_like(b);
      if (trans_b) gemm(db, dout, a, N, K, M, true, trans_a);   // [N, K] = dout^T @ op(a)
      else gemm(db, a, dout, K, N, M, !trans_a, false);          // [K, N] = op(a)^T @ dout
    }
    return {da, db};
  });
  return out;
}

}  // namespace sar
