#include "core/storage.h"

#include <cstdlib>

#include "core/error.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace sar {

Storage::Storage(size_t bytes_, Device device_) : bytes(bytes_), device(device_) {
  if (device == Device::CPU) {
    // 64-byte alignment keeps OpenBLAS and vectorized loops on full cache lines.
    size_t padded = (bytes + 63) / 64 * 64;
    data = std::aligned_alloc(64, padded ? padded : 64);
    SAR_CHECK(data, "cpu out of memory: tried to allocate ", format_bytes(bytes));
  } else {
    SAR_CHECK(cuda_device_count() > 0, "cuda tensor: no CUDA device: ", cuda_unavailable_reason());
    SAR_ON_CUDA("cuda storage", data = cuda::allocator().allocate(bytes));
  }
}

Storage::~Storage() {
  if (device == Device::CPU) std::free(data);
#if SAR_WITH_CUDA
  else cuda::allocator().release(data);
#endif
}

#if SAR_WITH_CUDA
AllocatorStats cuda_allocator_stats() { return cuda::allocator().stats(); }
void cuda_empty_cache() { cuda::allocator().empty_cache(); }
#else
AllocatorStats cuda_allocator_stats() { return {}; }
void cuda_empty_cache() {}
#endif

}  // namespace sar
