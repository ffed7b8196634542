// pinned_memory.cu: page-locked ("pinned") host memory for the loader's batches, and the
// asynchronous host-to-device copy it allows (cuda/device_api.h).
//
// Why: the GPU's copy engine reads pinned memory directly, so cudaMemcpyAsync from it returns
// at once and the copy runs on the stream while the host goes on (queueing the forward pass,
// building the next batch). From ordinary (pageable) memory the driver first copies through a
// staging buffer of its own, and the host waits for all of it.
//
// The hazard: a pinned block whose tensor is freed may still be read by a copy queued on the
// stream. So a released block is not handed out again at once: release_pinned records an event
// on the stream, and the block joins the free lists of its caching allocator only once that
// event has completed (every copy queued before the release has finished). Events complete in
// the order they were recorded on the one stream, so checking the oldest first is enough.
#include <deque>
#include <mutex>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_api.h"

namespace sar::cuda {

namespace {

class PinnedPool {
 public:
  void* allocate(size_t bytes) {
    reclaim_finished();
    return cache_.allocate(bytes);
  }

  // Called from Storage's destructor, so it must not throw: when no event can be recorded (the
  // runtime shutting down at exit, or a sticky error that the next CUDA call reports anyway),
  // the block is left unused until the process ends rather than reused unsafely.
  void release(void* ptr) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    cudaEvent_t event;
    if (!spare_events_.empty()) {
      event = spare_events_.back();
      spare_events_.pop_back();
    } else if (cudaEventCreateWithFlags(&event, cudaEventDisableTiming) != cudaSuccess) {
      cudaGetLastError();
      return;
    }
    if (cudaEventRecord(event, static_cast<cudaStream_t>(stream())) != cudaSuccess) {
      cudaGetLastError();
      spare_events_.push_back(event);
      return;
    }
    waiting_.push_back({event, ptr});
  }

  AllocatorStats stats() {
    reclaim_finished();
    return cache_.stats();
  }

 private:
  struct Waiting {
    cudaEvent_t event;  // recorded on the stream when the block's tensor was freed
    void* ptr;
  };

  // Blocks whose copies have all finished go back to the caching allocator's free lists.
  void reclaim_finished() {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!waiting_.empty()) {
      cudaError_t status = cudaEventQuery(waiting_.front().event);
      if (status == cudaErrorNotReady) break;  // not an error: the copy is still running
      CUDA_CHECK(status);
      cache_.release(waiting_.front().ptr);
      spare_events_.push_back(waiting_.front().event);
      waiting_.pop_front();
    }
  }

  CachingAllocator cache_{"pinned host",
                          [](size_t bytes) -> void* {
                            void* p = nullptr;
                            const cudaError_t status = cudaHostAlloc(&p, bytes, cudaHostAllocDefault);
                            if (status == cudaErrorMemoryAllocation) {
                              cudaGetLastError();  // out of page-locked memory: not sticky, report nullptr
                              return nullptr;
                            }
                            CUDA_CHECK(status);
                            return p;
                          },
                          [](void* p) { CUDA_CHECK(cudaFreeHost(p)); }};
  std::mutex mutex_;                  // guards waiting_ and spare_events_
  std::deque<Waiting> waiting_;       // released blocks, oldest first
  std::vector<cudaEvent_t> spare_events_;
};

PinnedPool& pool() {
  static PinnedPool* p = new PinnedPool;  // never destroyed: see allocator() in runtime.cu
  return *p;
}

}  // namespace

void* allocate_pinned(size_t bytes) { return pool().allocate(bytes); }
void release_pinned(void* ptr) { pool().release(ptr); }
AllocatorStats pinned_allocator_stats() { return pool().stats(); }

void copy_host_to_device_async(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream())));
}

}  // namespace sar::cuda
