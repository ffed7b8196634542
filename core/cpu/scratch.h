// scratch.h: per-thread scratch memory for the CPU conv kernels (core/cpu/conv.cpp,
// core/cpu/conv_winograd.cpp), kept and grown to the largest request: a fresh buffer of tens
// of megabytes per call would be page-faulted in (and zeroed by the OS) on every call, a cost
// comparable to the im2col or transform it holds. One buffer per thread, element type and
// slot: a caller takes it once per call and carves its pieces out of it. Slots keep apart the
// buffers of one thread that must live at once: a kernel's shared piece (slot 0, taken by the
// calling thread) and each thread's working piece inside its parallel loop (slot 1; the
// calling thread runs loop iterations too).
#pragma once

#include <cstdint>
#include <memory>

namespace sar {

template <typename T, int kSlot = 0>
T* scratch(int64_t n) {
  static thread_local std::unique_ptr<T[]> buffer;
  static thread_local int64_t capacity = 0;
  if (n > capacity) {
    buffer.reset(new T[n]);
    capacity = n;
  }
  return buffer.get();
}

}  // namespace sar
