// caching_allocator.h: size-binned free lists in front of a slow raw allocator.
//
// cudaMalloc/cudaFree synchronize the device and cost tens of microseconds, so the CUDA
// backend never returns memory to the driver during training: a freed block goes to the
// free list of its size bin and the next request of that bin takes it. Training steps ask
// for the same sizes every step, so after one warm-up step no raw allocation happens.
//
// Bins: requests round up to 512 B below 1 MiB, and above it to a quarter of the power of
// two below them (1, 1.25, 1.5, 1.75 x 2^k): at most 25% waste for large activations.
//
// The class knows nothing of CUDA (the raw functions are given), so its logic is tested on
// the CPU. All work runs on one stream, so a block freed here is safe to hand out again:
// later kernels that reuse it are ordered after the ones that used it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace sar {

struct AllocatorStats {
  size_t bytes_in_use = 0;       // handed out and not yet released (rounded sizes)
  size_t peak_bytes_in_use = 0;  // maximum of bytes_in_use since construction/reset_peak()
  size_t bytes_cached = 0;       // held in free lists, ready for reuse
  int64_t raw_allocs = 0;        // calls to the raw allocator (cudaMalloc)
  int64_t raw_frees = 0;         // calls to the raw free (cudaFree)
  int64_t cache_hits = 0;        // requests served from a free list
};

class CachingAllocator {
 public:
  using RawAlloc = std::function<void*(size_t bytes)>;  // returns nullptr when out of memory
  using RawFree = std::function<void(void* ptr)>;

  CachingAllocator(std::string device_name, RawAlloc raw_alloc, RawFree raw_free);
  ~CachingAllocator();  // gives the cached blocks back (blocks still handed out are the owners' to free)
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes);  // throws sar::Error when out of memory, even after emptying the cache
  void release(void* ptr);       // back to its bin's free list
  void empty_cache();            // returns every cached block to the raw allocator
  AllocatorStats stats() const;
  void reset_peak();

  static size_t round_size(size_t bytes);

 private:
  std::string device_name_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_lists_;  // rounded size -> cached blocks
  std::unordered_map<void*, size_t> live_;                     // handed-out block -> rounded size
  AllocatorStats stats_;

  void empty_cache_locked();
};

std::string format_bytes(size_t bytes);  // "1.5 MiB"

}  // namespace sar
