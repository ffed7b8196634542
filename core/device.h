// device.h: where a tensor lives, and how `--device auto|cpu|cuda` is resolved.
//
// A binary built with CUDA still runs on a machine without a driver or GPU: the first
// query finds no device, remembers why, and everything runs on the CPU.
#pragma once

#include <string>

namespace sar {

enum class Device { CPU, CUDA };

const char* device_name(Device d);  // "cpu", "cuda"

bool built_with_cuda();             // compiled with nvcc (make CUDA=1, the default when nvcc exists)
int cuda_device_count();            // 0 without CUDA, without a driver, or without a GPU
std::string cuda_unavailable_reason();  // why cuda_device_count() is 0 ("" when it isn't)
std::string cuda_device_description();  // "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" or the reason

// Parses "auto", "cpu" or "cuda". "auto" picks CUDA when a device answers, else the CPU;
// *choice (when given) receives one line saying which and why. "cuda" without a device throws.
Device resolve_device(const std::string& spec, std::string* choice = nullptr);

// Deterministic algorithms (sar train --deterministic): cuDNN convolutions choose only
// algorithms whose sums do not depend on thread scheduling. CPU kernels are deterministic for a
// given thread count either way; the CUDA backward of bilinear upsample and gather adds with atomics
// (order varies), which this does not change.
void set_deterministic_algorithms(bool on);
bool deterministic_algorithms();

// TF32 math (sar train|bench --tf32): on Ampere and later GPUs, cuDNN convolutions and cuBLAS
// matrix products may round their float32 inputs to TF32 (10-bit mantissa, float32 range) and
// multiply on tensor cores, summing in float32. PyTorch does this for convolutions by default
// (torch.backends.cudnn.allow_tf32); sar does it only when asked, because its CUDA-vs-CPU parity
// tests assume float32 products (TF32 moves a conv's output by ~1e-3 of its scale). No effect on
// the CPU. Both switches may change between calls: cuDNN's choices are cached per setting.
void set_tf32_math(bool on);
bool tf32_math();

// Waits until all queued work on the device is done (a no-op for the CPU): for timing.
void device_synchronize(Device d);

// Throws "built without CUDA (make CUDA=0)"; the one place CPU-only builds refuse CUDA work.
[[noreturn]] void throw_built_without_cuda(const char* what);

}  // namespace sar

// Compiles `call` only into CUDA builds; a CPU-only build throws instead. Op functions use
// this for their CUDA branch, so no #ifdef is scattered through the ops.
#if SAR_WITH_CUDA
#define SAR_ON_CUDA(what, call) call
#else
#define SAR_ON_CUDA(what, call) ::sar::throw_built_without_cuda(what)
#endif
