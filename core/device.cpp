// device.cpp: core/device.h's device names, CUDA availability (soft when there is no driver or GPU),
// `--device auto|cpu|cuda` resolution and the deterministic-algorithms and TF32 switches.
#include "core/device.h"

#include "core/error.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace sar {

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

bool built_with_cuda() { return SAR_WITH_CUDA != 0; }

namespace {
bool deterministic_flag = false;
bool tf32_flag = false;
}  // namespace

void set_deterministic_algorithms(bool on) { deterministic_flag = on; }
bool deterministic_algorithms() { return deterministic_flag; }
void set_tf32_math(bool on) { tf32_flag = on; }
bool tf32_math() { return tf32_flag; }

#if SAR_WITH_CUDA
int cuda_device_count() { return cuda::device_count(); }
std::string cuda_unavailable_reason() { return cuda::unavailable_reason(); }
std::string cuda_device_description() {
  return cuda_device_count() > 0 ? cuda::device_description(0) : cuda_unavailable_reason();
}
#else
int cuda_device_count() { return 0; }
std::string cuda_unavailable_reason() { return "built without CUDA (make CUDA=0)"; }
std::string cuda_device_description() { return cuda_unavailable_reason(); }
#endif

Device resolve_device(const std::string& spec, std::string* choice) {
  if (spec == "cpu") {
    if (choice) *choice = "device: cpu (asked for)";
    return Device::CPU;
  }
  if (spec == "cuda") {
    SAR_CHECK(cuda_device_count() > 0, "--device cuda: ", cuda_unavailable_reason(),
              "; hint: use --device auto or --device cpu");
    if (choice) *choice = "device: cuda (asked for): " + cuda_device_description();
    return Device::CUDA;
  }
  SAR_CHECK(spec == "auto", "--device: expected auto, cpu or cuda, got '", spec, "'");
  if (cuda_device_count() > 0) {
    if (choice) *choice = "device: cuda (auto): " + cuda_device_description();
    return Device::CUDA;
  }
  if (choice) *choice = "device: cpu (auto: " + cuda_unavailable_reason() + ")";
  return Device::CPU;
}

void device_synchronize(Device d) {
  if (d == Device::CUDA) SAR_ON_CUDA("device_synchronize", cuda::synchronize());
}

void throw_built_without_cuda(const char* what) {
  SAR_THROW(what, ": this binary was built without CUDA (make CUDA=0); rebuild with nvcc on PATH");
}

}  // namespace sar
