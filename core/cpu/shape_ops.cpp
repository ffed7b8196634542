// shape_ops.cpp: CPU twins of cuda/shape_ops.cu: permute's index walk, and gather's
// indexed read with its scatter-add backward. (concat and slice need no kernel of their
// own: they are axis_copy_cpu in core/cpu/memory.cpp. flip is permute's walk too: the flipped
// axis gets a negative stride and `in` starts at its last row; core/ops/shape_ops.cpp.)
#include "core/cpu/kernels_cpu.h"
#include "core/error.h"
#include "core/index_math.h"

namespace sar {

template <typename T>
void permute_cpu(T* out, const T* in, const int64_t* out_dims, const int64_t* in_strides, int ndim, int64_t n) {
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t j = 0; j < n; ++j) out[j] = in[permute_source_offset(j, out_dims, in_strides, ndim)];
}

// Calls visit(j, s) for every element j of index (and out), where s is the flat offset
// of the element it picks, x[o, index[j], i]. Sequential, so a bad index can throw.
template <typename Visit>
static void for_each_gathered(const int64_t* index, int64_t outer, int64_t Rx, int64_t Ri, int64_t inner,
                              Visit visit) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t r = 0; r < Ri; ++r)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t j = (o * Ri + r) * inner + i, k = index[j];
        SAR_CHECK(0 <= k && k < Rx, "gather: index value ", k, " is out of range [0, ", Rx, ")");
        visit(j, (o * Rx + k) * inner + i);
      }
}

template <typename T>
void gather_forward_cpu(T* out, const T* x, const int64_t* index, int64_t outer, int64_t Rx, int64_t Ri,
                        int64_t inner) {
  for_each_gathered(index, outer, Rx, Ri, inner, [&](int64_t j, int64_t s) { out[j] = x[s]; });
}

template <typename T>
void gather_backward_cpu(T* dx, const T* dout, const int64_t* index, int64_t outer, int64_t Rx, int64_t Ri,
                         int64_t inner) {
  for_each_gathered(index, outer, Rx, Ri, inner, [&](int64_t j, int64_t s) { dx[s] += dout[j]; });
}

// permute also moves int64 tensors (indices); gather reads and writes floats only.
template void permute_cpu<int64_t>(int64_t*, const int64_t*, const int64_t*, const int64_t*, int, int64_t);

#define SAR_INSTANTIATE(T)                                                                                         \
  template void permute_cpu<T>(T*, const T*, const int64_t*, const int64_t*, int, int64_t);                       \
  template void gather_forward_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t, int64_t);          \
  template void gather_backward_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t, int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
