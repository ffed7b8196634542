// storage.cpp: a Storage's block from the CPU or CUDA caching allocator, and each one's statistics.
#include "core/storage.h"

#include <cstdlib>

#include "core/error.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace sar {

// CPU memory goes through a caching allocator too: a training step frees and asks again for
// the same activation sizes, and fresh pages from the kernel cost page faults on every step
// (8% of a ResNet-50 step's CPU time). 64-byte alignment keeps OpenBLAS and vectorized loops on
// full cache lines; CachingAllocator sizes are multiples of 512, so aligned_alloc accepts them.
static CachingAllocator& cpu_allocator() {
  static CachingAllocator* a = new CachingAllocator(  // never destroyed: see cuda::allocator()
      "cpu", [](size_t bytes) { return std::aligned_alloc(64, bytes); }, [](void* p) { std::free(p); });
  return *a;
}

Storage::Storage(size_t bytes_, Device device_) : bytes(bytes_), device(device_) {
  if (device == Device::CPU) {
    data = cpu_allocator().allocate(bytes);
  } else {
    SAR_CHECK(cuda_device_count() > 0, "cuda tensor: no CUDA device: ", cuda_unavailable_reason());
    SAR_ON_CUDA("cuda storage", data = cuda::allocator().allocate(bytes));
  }
}

std::shared_ptr<Storage> Storage::pinned_host(size_t bytes) {
#if SAR_WITH_CUDA
  if (cuda_device_count() > 0) {
    void* data = cuda::allocate_pinned(bytes);  // first: a throw here leaves no Storage to destroy
    std::shared_ptr<Storage> s(new Storage);
    s->data = data;
    s->bytes = bytes;
    s->pinned = true;
    return s;
  }
#endif
  return std::make_shared<Storage>(bytes, Device::CPU);
}

Storage::~Storage() {
#if SAR_WITH_CUDA
  if (pinned) {
    cuda::release_pinned(data);
    return;
  }
  if (device == Device::CUDA) {
    cuda::allocator().release(data);
    return;
  }
#endif
  cpu_allocator().release(data);
}

#if SAR_WITH_CUDA
AllocatorStats cuda_allocator_stats() { return cuda::allocator().stats(); }
AllocatorStats pinned_allocator_stats() { return cuda::pinned_allocator_stats(); }
void cuda_reset_peak() { cuda::allocator().reset_peak(); }
#else
AllocatorStats cuda_allocator_stats() { return {}; }
AllocatorStats pinned_allocator_stats() { return {}; }
void cuda_reset_peak() {}
#endif

}  // namespace sar
