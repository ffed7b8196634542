// tensor.cpp: core/tensor.h's factories, device and dtype copies, views, the gradient slot and
// printing.
#include "core/tensor.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <iomanip>

#include "core/cpu/kernels_cpu.h"
#include "cuda/kernels_cuda.h"
#if SAR_WITH_CUDA
#include "cuda/device_api.h"
#endif

namespace sar {

uint64_t new_tensor_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

TensorImpl& Tensor::impl() const {
  SAR_CHECK(impl_, "tensor: use of an undefined tensor (a grad() before backward(), or a default-constructed Tensor)");
  return *impl_;
}

static Tensor whole_storage(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(impl);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return whole_storage(std::make_shared<Storage>(shape.numel() * dtype_size(dtype), device), shape, dtype);
}

Tensor Tensor::empty_pinned(const Shape& shape, DType dtype) {
  return whole_storage(Storage::pinned_host(shape.numel() * dtype_size(dtype)), shape, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype, Device device) {
  SAR_CHECK(int64_t(values.size()) == shape.numel(), "tensor from_vector: shape ", shape, " needs ", shape.numel(),
            " values, got ", values.size());
  Tensor host = empty(shape, DType::F64, Device::CPU);
  if (!values.empty()) std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(double));
  if (device == Device::CPU) return host.to(dtype);
  // Through page-locked memory, so the upload is queued on the stream: a copy from ordinary
  // memory waits for all queued GPU work first (a head's loss makes such constants every step).
  Tensor staged = empty_pinned(shape, dtype);
  staged.copy_(host);
  return staged.to_nonblocking(device);
}

Tensor Tensor::arange(int64_t n, DType dtype, Device device) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = double(i);
  return from_vector(v, {n}, dtype, device);
}

int64_t Tensor::size(int axis) const { return shape()[shape().axis(axis, "tensor size")]; }

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data) + impl().offset * dtype_size(dtype());
}

template <typename T>
static constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else return DType::I64;
}

template <typename T>
T* Tensor::data() const {
  SAR_CHECK(dtype() == dtype_of<T>(), "tensor data: asked for ", dtype_name(dtype_of<T>()), " data of a ",
            dtype_name(dtype()), " tensor");
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;

// bfloat16 tensors can be stored, copied and converted on the CPU (checkpoints); no op
// computes in bfloat16 yet.
static void check_supported_dtype(DType dt, const char* what) {
  SAR_CHECK(dt != DType::BF16, what, ": bfloat16 is storage-only for now; convert with .to(DType::F32)");
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), dtype(), target);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to_nonblocking(Device target) const {
  if (!is_pinned() || target != Device::CUDA) return to(target);
  Tensor out = empty(shape(), dtype(), target);
#if SAR_WITH_CUDA
  if (nbytes() > 0) cuda::copy_host_to_device_async(out.raw_data(), raw_data(), nbytes());
#endif
  return out;
}

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  Tensor out = empty(shape(), target, device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty_like(*this);
  out.copy_(*this);
  return out;
}

void Tensor::copy_(const Tensor& src) {
  SAR_CHECK(shape() == src.shape(), "copy_: destination shape ", shape(), " != source shape ", src.shape());
  // Convert dtype on the source's device first, then move bytes across devices.
  Tensor s = src;
  if (src.dtype() != dtype()) {
    s = empty(src.shape(), dtype(), src.device());
    if (src.is_cuda()) SAR_ON_CUDA("copy_", cast_cuda(s.raw_data(), dtype(), src.raw_data(), src.dtype(), numel()));
    else cast_cpu(s.raw_data(), dtype(), src.raw_data(), src.dtype(), numel());
  }
  if (nbytes() == 0) return;
  if (!s.is_cuda() && !is_cuda()) {
    std::memmove(raw_data(), s.raw_data(), nbytes());
    return;
  }
#if SAR_WITH_CUDA
  if (s.is_cuda() && is_cuda()) cuda::copy_device_to_device(raw_data(), s.raw_data(), nbytes());
  else if (is_cuda()) cuda::copy_host_to_device(raw_data(), s.raw_data(), nbytes());
  else cuda::copy_device_to_host(raw_data(), s.raw_data(), nbytes());
#else
  throw_built_without_cuda("copy_");
#endif
}

Tensor& Tensor::fill_(double value) {
  check_supported_dtype(dtype(), "fill_");
  if (is_cuda()) {
    SAR_ON_CUDA("fill_", fill_cuda(raw_data(), dtype(), numel(), value));
  } else if (dtype() == DType::F32) {
    fill_cpu(data<float>(), numel(), float(value));
  } else if (dtype() == DType::F64) {
    fill_cpu(data<double>(), numel(), value);
  } else {
    fill_cpu(data<int64_t>(), numel(), int64_t(value));
  }
  return *this;
}

double Tensor::item() const {
  SAR_CHECK(numel() == 1, "item: needs a one-element tensor, got shape ", shape());
  return to_vector()[0];
}

std::vector<double> Tensor::to_vector() const {
  Tensor host = to(Device::CPU).to(DType::F64);
  const double* p = host.data<double>();
  return std::vector<double>(p, p + numel());
}

Tensor Tensor::view_as_shape(const Shape& s) const {
  SAR_CHECK(s.numel() == numel(), "reshape: cannot view ", shape(), " (", numel(), " elements) as ", s, " (",
            s.numel(), " elements)");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = s;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

Tensor Tensor::view_rows(int64_t start, int64_t end) const {
  SAR_CHECK(ndim() >= 1, "slice: a 0-dim tensor has no rows");
  SAR_CHECK(0 <= start && start <= end && end <= shape()[0], "slice: rows [", start, ", ", end,
            ") out of range for shape ", shape());
  Shape s = shape();
  s[0] = end - start;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset + start * shape().inner(0);
  impl->shape = s;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

Tensor& Tensor::set_requires_grad(bool on) {
  SAR_CHECK(!on || is_floating(dtype()), "requires_grad: only floating-point tensors can require grad, got ",
            dtype_name(dtype()));
  impl().requires_grad = on;
  return *this;
}

void Tensor::set_grad(const Tensor& g) const {
  SAR_CHECK(!g.defined() || g.shape() == shape(), "set_grad: grad shape ", g.shape(), " != tensor shape ", shape());
  impl().grad = g.impl_;
}

// Prints dims d.. of the values starting at *pos, as nested brackets.
static void print_values(std::ostream& os, const std::vector<double>& v, const Shape& s, int d, int64_t* pos) {
  if (d == s.ndim()) {
    os << v[(*pos)++];
    return;
  }
  os << '[';
  for (int64_t i = 0; i < s[d]; ++i) {
    if (i) os << ", ";
    print_values(os, v, s, d + 1, pos);
  }
  os << ']';
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  std::vector<double> v = t.to_vector();
  std::ios::fmtflags flags = os.flags();
  os << std::setprecision(6) << "tensor(";
  if (t.numel() <= 64) {
    int64_t pos = 0;
    print_values(os, v, t.shape(), 0, &pos);
  } else {
    os << "shape " << t.shape() << ", first values [";
    for (size_t i = 0; i < v.size() && i < 6; ++i) os << (i ? ", " : "") << v[i];
    os << (v.size() > 6 ? ", ...]" : "]");
  }
  os << ", " << dtype_name(t.dtype()) << ", " << device_name(t.device()) << ")";
  os.flags(flags);
  return os;
}

}  // namespace sar
