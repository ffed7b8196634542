// matmul.h: the product of two matrices, either of them optionally transposed.
//
//   out = op(a) @ op(b)    op(a) = a, or a^T when trans_a: [M, K]
//                          op(b) = b, or b^T when trans_b: [K, N]      out: [M, N]
//
// Backward, with dout: [M, N]:
//   d op(a) = dout @ op(b)^T    [M, K]
//   d op(b) = op(a)^T @ dout    [K, N]
// A transposed operand takes the transpose of its gradient, which is again one gemm
// with the factors swapped ((X Y)^T = Y^T X^T), so no transposed copy is ever made:
//   da = dout @ op(b)^T           (a is [M, K])     da = op(b) @ dout^T           (a is [K, M])
//   db = op(a)^T @ dout           (b is [K, N])     db = dout^T @ op(a)           (b is [N, K])
// Only the gradients of inputs that require grad are computed. K == 0 gives zeros.
//
// Inputs: 2-D, float32/float64 on CPU, float32 on CUDA; both on one device and dtype.
// Throws, e.g. "matmul: [2, 3] @ [4, 5]^T: inner dims 3 != 5" (^T marks a transposed
// operand) or "matmul: a must be 2-D, got [2, 3, 4]".
#pragma once

#include "core/tensor.h"

namespace sar {

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

}  // namespace sar
