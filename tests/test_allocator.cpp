// The caching allocator: its logic on the CPU with a counting fake backend, and the real
// CUDA one (no cudaMalloc after warm-up) when a device answers; pinned host memory.
#include <cstdlib>
#include <unordered_map>

#include "core/caching_allocator.h"
#include "core/device.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/reduce.h"
#include "core/storage.h"
#include "core/tape.h"
#include "tests/test_util.h"

using namespace sar;

namespace {
// A raw backend over malloc that can be told to run out of memory.
struct FakeDevice {
  size_t limit = size_t(1) << 30;
  size_t used = 0;
  std::unordered_map<void*, size_t> sizes;
  void* make_raw(size_t bytes) {
    if (used + bytes > limit) return nullptr;
    used += bytes;
    void* p = std::malloc(bytes);
    sizes[p] = bytes;
    return p;
  }
  void free_raw(void* p) {
    used -= sizes.at(p);
    sizes.erase(p);
    std::free(p);
  }
  CachingAllocator make() {
    return CachingAllocator("fake", [this](size_t bytes) { return make_raw(bytes); }, [this](void* p) { free_raw(p); });
  }
};
}  // namespace

TEST_CASE("caching allocator: sizes round into bins") {
  CHECK(CachingAllocator::round_size(1) == 512);
  CHECK(CachingAllocator::round_size(513) == 1024);
  CHECK(CachingAllocator::round_size(1 << 20) == (1 << 20));
  CHECK(CachingAllocator::round_size((1 << 20) + 1) == (1 << 20) + (1 << 18));  // quarter steps above 1 MiB
  CHECK(CachingAllocator::round_size(100 << 20) == (112 << 20));
}

TEST_CASE("caching allocator: a freed block is reused without a raw allocation") {
  FakeDevice dev;
  CachingAllocator a = dev.make();
  void* p = a.allocate(1000);
  a.release(p);
  CHECK(a.stats().bytes_cached == 1024);
  void* q = a.allocate(900);  // same bin
  CHECK(q == p);
  CHECK(a.stats().raw_allocs == 1);
  CHECK(a.stats().cache_hits == 1);
  void* r = a.allocate(5000);  // another bin: a new raw allocation
  CHECK(a.stats().raw_allocs == 2);
  CHECK(a.stats().bytes_in_use == 1024 + 5120);
  CHECK(a.stats().peak_bytes_in_use == 1024 + 5120);
  a.release(q);
  CHECK(a.stats().peak_bytes_in_use == 1024 + 5120);
  a.reset_peak();  // the peak from now on starts at what is in use (sar bench model's steps)
  CHECK(a.stats().peak_bytes_in_use == 5120);
  a.release(r);
  CHECK(a.stats().bytes_in_use == 0);
  a.empty_cache();
  CHECK(a.stats().bytes_cached == 0);
  CHECK(a.stats().raw_frees == 2);
}

TEST_CASE("caching allocator: out of memory empties the cache, retries, then explains") {
  FakeDevice dev;
  dev.limit = 4096;
  CachingAllocator a = dev.make();
  void* p = a.allocate(3000);
  a.release(p);  // cached: 3072 bytes of the 4096 limit
  void* q = a.allocate(2048);  // needs the cache emptied first
  CHECK(q != nullptr);
  CHECK(a.stats().raw_frees == 1);
  void* r = a.allocate(1024);
  a.release(r);  // 1 KiB cached when the next request fails
  CHECK_THROWS_WITH_AS(a.allocate(8192),
                       doctest::Contains("fake out of memory: tried to allocate 8.0 KiB with 2.0 KiB in use by tensors "
                                         "and 1.0 KiB cached (given back, and the retry failed too); hint: a smaller "
                                         "batch (--set train.batch_size=N)"),
                       Error);
  CHECK_THROWS_WITH_AS(a.release(reinterpret_cast<void*>(0x10)),
                       doctest::Contains("release of a pointer it did not allocate"), Error);
  a.release(q);
}

TEST_CASE("caching allocator: a raw free that throws leaves no freed block in the cache") {
  // A CUDA error from an earlier kernel surfaces at the next cudaFree: empty_cache throws, and
  // what it freed before must not be handed out again.
  FakeDevice dev;
  int frees_before_error = 1;
  CachingAllocator a(
      "fake", [&](size_t bytes) { return dev.make_raw(bytes); },
      [&](void* p) {
        SAR_CHECK(frees_before_error-- != 0, "fake: an earlier kernel failed");
        dev.free_raw(p);
      });
  void* p = a.allocate(1000);
  void* q = a.allocate(1000);
  void* r = a.allocate(1000);
  a.release(p);
  a.release(q);
  a.release(r);
  CHECK_THROWS_WITH_AS(a.empty_cache(), doctest::Contains("an earlier kernel failed"), Error);
  CHECK(a.stats().raw_frees == 1);
  CHECK(a.stats().bytes_cached == 1024);  // the block whose free failed is gone from the lists too
  CHECK(dev.sizes.size() == 2);
  void* s = a.allocate(1000);  // the one block still listed, never a freed one
  CHECK(dev.sizes.count(s) == 1);
  a.release(s);
  a.empty_cache();
  CHECK(a.stats().bytes_cached == 0);
  CHECK(dev.sizes.size() == 1);  // the block whose free threw: lost, as a failed cudaFree leaves it
  dev.free_raw(dev.sizes.begin()->first);
}

CUDA_TEST_CASE("caching allocator: a training step makes no cudaMalloc after warm-up (float32, cuda)") {
  Tensor w = Tensor::full({64, 33}, 0.5, DType::F32, Device::CUDA).set_requires_grad();
  Tensor x = Tensor::full({64, 33}, 2.0, DType::F32, Device::CUDA);
  auto step = [&] {
    Tensor loss = sum(sigmoid(w * x + 1.0));
    backward(loss);
    w.zero_grad();
  };
  step();  // warm-up fills the cache
  int64_t raw_before = cuda_allocator_stats().raw_allocs;
  for (int i = 0; i < 3; ++i) step();
  CHECK(cuda_allocator_stats().raw_allocs == raw_before);
  CHECK(cuda_allocator_stats().cache_hits > 0);
}

CUDA_TEST_CASE("caching allocator: a request beyond the device's memory explains itself (float32, cuda)") {
  // 2^40 floats = 4 TiB: more than any GPU has; cudaMalloc fails, the cache is given back, the
  // retry fails, and the error says what was asked and what is held, with the hint.
  Tensor keep = Tensor::zeros({1024}, DType::F32, Device::CUDA);
  CHECK_THROWS_WITH_AS(Tensor::empty({int64_t(1) << 40}, DType::F32, Device::CUDA),
                       doctest::Contains("cuda out of memory: tried to allocate 4096.00 GiB with"), Error);
  Tensor after = Tensor::ones({1024}, DType::F32, Device::CUDA);  // the device still works
  CHECK(sum(after).item() == 1024);
}

TEST_CASE("pinned memory: empty_pinned is a CPU tensor, page-locked exactly when a CUDA device answers") {
  Tensor t = Tensor::empty_pinned({4, 3});
  CHECK(t.device() == Device::CPU);
  CHECK(t.is_pinned() == (cuda_device_count() > 0));
  CHECK_FALSE(Tensor::empty({4, 3}).is_pinned());
  t.fill_(2.5);
  CHECK(t.view_rows(1, 3).is_pinned() == t.is_pinned());  // views share the storage
  CHECK(sum(t).item() == 30.0);
  CHECK(t.to_nonblocking(Device::CPU).same(t));  // to another CPU tensor: nothing to copy
}

CUDA_TEST_CASE("pinned memory: a block freed while its copy is queued is reused only after the copy (float32, cuda)") {
  // Queue milliseconds of GPU work (500 GFLOP) ahead of the copy, so that the copy is certainly
  // still waiting when the host tensor is freed and its size asked for again (microseconds later).
  // The copy's device block is cached first: a cudaMalloc for it might wait for the queued work.
  const int64_t n = int64_t(1) << 20;
  Tensor::empty({n}, DType::F32, Device::CUDA);
  Tensor a = Tensor::zeros({2048, 2048}, DType::F32, Device::CUDA);
  for (int i = 0; i < 30; ++i) matmul(a, a);
  Tensor host = Tensor::full({n}, 7.0);  // pageable, then into pinned memory below
  Tensor pinned = Tensor::empty_pinned({n});
  REQUIRE(pinned.is_pinned());
  pinned.copy_(host);
  void* block = pinned.raw_data();
  const AllocatorStats before = pinned_allocator_stats();
  Tensor on_device = pinned.to_nonblocking(Device::CUDA);
  pinned = Tensor();  // freed with its copy still queued
  Tensor next = Tensor::empty_pinned({n});
  CHECK(next.raw_data() != block);  // a new block: the old one waits for its copy
  CHECK(pinned_allocator_stats().raw_allocs == before.raw_allocs + 1);
  next.fill_(9.0);                  // had it been the same block, the copy would now carry 9s
  CHECK(test::max_abs_diff(on_device.to(Device::CPU), host) == 0.0);  // waits for the stream
  next = Tensor();
  device_synchronize(Device::CUDA);
  Tensor third = Tensor::empty_pinned({n});  // both blocks are free now: one of them is reused
  CHECK(pinned_allocator_stats().raw_allocs == before.raw_allocs + 1);
  CHECK(pinned_allocator_stats().cache_hits > before.cache_hits);
}
