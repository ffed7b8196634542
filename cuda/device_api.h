// device_api.h: the CUDA runtime as the rest of the project sees it: device discovery,
// the caching allocator, copies, the stream, and library handles. Plain C++ types only,
// so g++-compiled files can include it; the definitions are in cuda/runtime.cu.
//
// Everything runs on one stream (stream()), so kernel order is program order and a block
// released to the caching allocator can be reused by the next kernel without an event.
#pragma once

#include <cstddef>
#include <string>

#include "core/caching_allocator.h"

namespace sar::cuda {

int device_count();                    // 0 when no driver or no GPU answers; never throws
std::string unavailable_reason();      // why device_count() is 0, or ""
std::string device_description(int device);  // "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"

CachingAllocator& allocator();         // the process-wide device allocator

void copy_host_to_device(void* dst, const void* src, size_t bytes);  // synchronous
void copy_device_to_host(void* dst, const void* src, size_t bytes);  // synchronous
void copy_device_to_device(void* dst, const void* src, size_t bytes);
// Page-locked host memory (cuda/pinned_memory.cu): a caching pool of cudaHostAlloc blocks. A
// released block is handed out again only after every copy queued on stream() before its
// release has finished.
void* allocate_pinned(size_t bytes);   // throws sar::Error when page-locked memory runs out
void release_pinned(void* ptr);
AllocatorStats pinned_allocator_stats();  // blocks waiting for their copies count as in use
// Queued on stream(); returns at once. src must be pinned (from allocate_pinned) and stay unwritten
// until the copy is done: release_pinned's rule keeps the block itself from being reused early.
void copy_host_to_device_async(void* dst, const void* src, size_t bytes);
void synchronize();                    // waits for the stream; surfaces asynchronous kernel errors

void* stream();                        // the cudaStream_t everything runs on
void* cublas_handle();                 // cublasHandle_t bound to stream(), created on first use
void* cudnn_handle();                  // cudnnHandle_t bound to stream(), created on first use
std::string library_versions();        // "CUDA runtime 13.0, driver 13.0, cuBLAS 13.1.0, cuDNN 9.13.0"

}  // namespace sar::cuda
