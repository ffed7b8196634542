// random.cpp: CPU twin of cuda/random.cu. Element i is philox_sample(seed, offset + i).
#include "core/cpu/kernels_cpu.h"

namespace sar {

template <typename T>
void random_fill_cpu(T* out, int64_t n, RandomKind kind, uint64_t seed, uint64_t offset, double a, double b) {
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = philox_sample<T>(kind, seed, offset + uint64_t(i), a, b);
}

template void random_fill_cpu<float>(float*, int64_t, RandomKind, uint64_t, uint64_t, double, double);
template void random_fill_cpu<double>(double*, int64_t, RandomKind, uint64_t, uint64_t, double, double);

}  // namespace sar
