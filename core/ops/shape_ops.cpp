// shape_ops.cpp: the op functions of core/ops/shape_ops.h.
#include "core/ops/shape_ops.h"

#include "core/cpu/kernels_cpu.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

Tensor reshape(const Tensor& x, const std::vector<int64_t>& dims) {
  // Resolve one -1 from the element count.
  std::vector<int64_t> resolved = dims;
  int infer = -1;
  int64_t known = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == -1) {
      SAR_CHECK(infer < 0, "reshape: only one dim may be -1");
      infer = int(d);
    } else {
      SAR_CHECK(dims[d] >= 0, "reshape: dims must be >= 0 or -1, got ", dims[d]);
      known *= dims[d];
    }
  }
  if (infer >= 0) {
    SAR_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer the -1 dim of ", x.numel(),
              " elements with the other dims' product ", known);
    resolved[infer] = x.numel() / known;
  }
  Tensor y = x.view_as_shape(Shape(resolved));
  tape().record("reshape", {x}, {y}, [x](const TensorList& dy) -> TensorList {
    return {dy[0].view_as_shape(x.shape())};
  });
  return y;
}

}  // namespace sar
