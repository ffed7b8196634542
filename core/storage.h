// storage.h: one reference-counted block of memory on one device. Tensors that are views
// of each other (reshape, slice along dim 0) share a Storage and differ in offset/shape.
// CPU memory is pageable, or pinned (page-locked, from cuda/pinned_memory.cu): the loader's
// batches, which the GPU copies from while the host goes on.
#pragma once

#include <cstddef>
#include <memory>

#include "core/caching_allocator.h"
#include "core/device.h"

namespace sar {

struct Storage {
  void* data = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
  bool pinned = false;  // CPU memory that is page-locked

  Storage(size_t bytes, Device device);  // from the device's caching allocator (CPU: 64-byte aligned)
  // CPU memory, page-locked when a CUDA device answers; pageable (pinned false) otherwise.
  static std::shared_ptr<Storage> pinned_host(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

 private:
  Storage() = default;  // pinned_host's: it fills the fields
};

// The CUDA caching allocator's statistics and peak reset (zeros / no-op without CUDA).
AllocatorStats cuda_allocator_stats();
AllocatorStats pinned_allocator_stats();
void cuda_reset_peak();  // peak_bytes_in_use = bytes_in_use, as torch.cuda.reset_peak_memory_stats

}  // namespace sar
