// caching_allocator.cpp: core/caching_allocator.h's size rounding, free lists, the retry after
// emptying the cache on out of memory, and the statistics.
#include "core/caching_allocator.h"

#include <cstdio>

#include "core/error.h"

namespace sar {

CachingAllocator::CachingAllocator(std::string device_name, RawAlloc raw_alloc, RawFree raw_free)
    : device_name_(std::move(device_name)), raw_alloc_(std::move(raw_alloc)), raw_free_(std::move(raw_free)) {}

CachingAllocator::~CachingAllocator() { empty_cache_locked(); }

size_t CachingAllocator::round_size(size_t bytes) {
  const size_t kSmall = 512, kLarge = size_t(1) << 20;
  if (bytes == 0) bytes = 1;
  if (bytes <= kLarge) return (bytes + kSmall - 1) / kSmall * kSmall;
  size_t pow2 = kLarge;
  while (pow2 * 2 <= bytes) pow2 *= 2;
  size_t step = pow2 / 4;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t size = round_size(bytes);
  void* ptr = nullptr;
  auto bin = free_lists_.find(size);
  if (bin != free_lists_.end() && !bin->second.empty()) {
    ptr = bin->second.back();
    bin->second.pop_back();
    stats_.bytes_cached -= size;
    stats_.cache_hits++;
  } else {
    ptr = raw_alloc_(size);
    const size_t cached = stats_.bytes_cached;
    if (!ptr) {  // out of memory: give the cache back and try once more
      empty_cache_locked();
      ptr = raw_alloc_(size);
    }
    SAR_CHECK(ptr, device_name_, " out of memory: tried to allocate ", format_bytes(size), " with ",
              format_bytes(stats_.bytes_in_use), " in use by tensors and ", format_bytes(cached),
              " cached (given back, and the retry failed too); hint: a smaller batch (--set train.batch_size=N)",
              " or input (--set model.input=[H,W])");
    stats_.raw_allocs++;
  }
  live_[ptr] = size;
  stats_.bytes_in_use += size;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return ptr;
}

void CachingAllocator::release(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  SAR_CHECK(it != live_.end(), device_name_, " allocator: release of a pointer it did not allocate");
  size_t size = it->second;
  live_.erase(it);
  free_lists_[size].push_back(ptr);
  stats_.bytes_in_use -= size;
  stats_.bytes_cached += size;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  empty_cache_locked();
}

void CachingAllocator::empty_cache_locked() {
  // Each block leaves the lists before it is freed: where a free throws (a CUDA error from an
  // earlier kernel surfaces at cudaFree), no freed block stays listed for a later allocate.
  while (!free_lists_.empty()) {
    auto list = free_lists_.begin();
    const size_t size = list->first;
    std::vector<void*>& blocks = list->second;
    if (blocks.empty()) {
      free_lists_.erase(list);
      continue;
    }
    void* p = blocks.back();
    blocks.pop_back();
    stats_.bytes_cached -= size;
    raw_free_(p);
    stats_.raw_frees++;
  }
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

std::string format_bytes(size_t bytes) {
  char buf[32];
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%zu B", bytes);
  else if (bytes < (size_t(1) << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else if (bytes < (size_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / 1073741824.0);
  return buf;
}

}  // namespace sar
