// runtime.cu: device discovery, the caching allocator's raw functions, copies, the stream
// and the cuBLAS and cuDNN handles (cuda/device_api.h). No kernels here.
#include <cstdio>
#include <mutex>

#include "cuda/cuda_check.h"
#include "cuda/device_api.h"

namespace sar::cuda {

namespace {
struct Discovery {
  int count = 0;
  std::string reason;
};

// Asked once. A binary built with CUDA on a machine without a driver gets an error code
// here (cudaErrorNoDevice, cudaErrorInsufficientDriver, ...), which means "no device".
const Discovery& discovery() {
  static Discovery d = [] {
    Discovery r;
    cudaError_t status = cudaGetDeviceCount(&r.count);
    if (status != cudaSuccess) {
      r.count = 0;
      r.reason = std::string("no CUDA device answered (") + cudaGetErrorString(status) + ")";
      cudaGetLastError();  // clear the sticky error so later queries start clean
    } else if (r.count == 0) {
      r.reason = "no CUDA device found";
    }
    return r;
  }();
  return d;
}
}  // namespace

int device_count() { return discovery().count; }
std::string unavailable_reason() { return discovery().reason; }

std::string device_description(int device) {
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB", prop.totalGlobalMem / 1073741824.0);
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " + memory + ")";
}

CachingAllocator& allocator() {
  // Never destroyed: tensors freed during static destruction must still find it.
  static CachingAllocator* a = new CachingAllocator(
      "cuda",
      [](size_t bytes) -> void* {
        void* p = nullptr;
        const cudaError_t status = cudaMalloc(&p, bytes);
        if (status == cudaErrorMemoryAllocation) {
          cudaGetLastError();  // out of memory is not sticky: clear it and report nullptr
          return nullptr;
        }
        CUDA_CHECK(status);  // anything else (a kernel's earlier fault, say) is no lack of memory
        return p;
      },
      [](void* p) { CUDA_CHECK(cudaFree(p)); });
  return *a;
}

void* stream() {
  // The legacy default stream: every kernel, copy and library call is ordered on it.
  return static_cast<void*>(cudaStreamLegacy);
}

void copy_host_to_device(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}

void copy_device_to_host(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

void copy_device_to_device(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cudaStreamLegacy));
}

void synchronize() { CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy)); }

void* cublas_handle() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h;
    CUBLAS_CHECK(cublasCreate(&h));
    CUBLAS_CHECK(cublasSetStream(h, cudaStreamLegacy));
    return h;
  }();
  return static_cast<void*>(handle);
}

void* cudnn_handle() {
  static cudnnHandle_t handle = [] {
    cudnnHandle_t h;
    CUDNN_CHECK(cudnnCreate(&h));
    CUDNN_CHECK(cudnnSetStream(h, cudaStreamLegacy));
    return h;
  }();
  return static_cast<void*>(handle);
}

std::string library_versions() {
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  if (cudaDriverGetVersion(&driver) != cudaSuccess) driver = 0;
  size_t cudnn = cudnnGetVersion();
  int cublas[3] = {0, 0, 0};  // the library loaded, not the header built against
  cublasGetProperty(MAJOR_VERSION, &cublas[0]);
  cublasGetProperty(MINOR_VERSION, &cublas[1]);
  cublasGetProperty(PATCH_LEVEL, &cublas[2]);
  char driver_text[32] = "none";  // cudaDriverGetVersion gives 0 where no driver is installed
  if (driver > 0) std::snprintf(driver_text, sizeof driver_text, "%d.%d", driver / 1000, (driver % 1000) / 10);
  char buf[256];
  std::snprintf(buf, sizeof buf, "CUDA runtime %d.%d, driver %s, cuBLAS %d.%d.%d, cuDNN %zu.%zu.%zu",
                runtime / 1000, (runtime % 1000) / 10, driver_text, cublas[0], cublas[1], cublas[2], cudnn / 10000,
                (cudnn % 10000) / 100, cudnn % 100);
  return buf;
}

}  // namespace sar::cuda
