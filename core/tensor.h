// tensor.h: the n-dimensional array every op takes and returns.
//
// A Tensor is a cheap handle (a shared pointer) to a TensorImpl: copying a Tensor shares
// the data, like torch.Tensor. Storage is always contiguous row-major; a Tensor is a
// window (element offset + shape) into a reference-counted Storage, so reshape and
// slicing along dim 0 are views that copy nothing. Every other op writes a new tensor.
//
// Autograd fields: requires_grad marks a leaf the tape should differentiate (parameters,
// gradcheck inputs); grad() holds what backward() accumulated into it. See core/tape.h.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace sar {

class Tensor;

uint64_t new_tensor_id();  // 1, 2, 3, ...: never reused, unlike an address

struct TensorImpl {
  uint64_t id = new_tensor_id();  // the tape keys gradients by it (core/tape.h)
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements, from storage->data
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;  // leaf to differentiate, or output of an op on such leaves
  bool is_leaf = true;         // false once an op recorded on the tape produced it
  std::shared_ptr<TensorImpl> grad;  // accumulated by Tape::backward for leaves
};

class Tensor {
 public:
  Tensor() = default;  // undefined: holds nothing (grad() of an untouched parameter)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // --- factories (values are uninitialized for empty) ---
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = Device::CPU);
  // Values given row-major; converted to dtype (F32, F64 or I64), then placed on device.
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor arange(int64_t n, DType dtype = DType::F32, Device device = Device::CPU);  // 0..n-1
  // A CPU tensor in pinned (page-locked) memory when a CUDA device answers, so that
  // to_nonblocking(Device::CUDA) need not wait; ordinary CPU memory otherwise. For buffers that
  // go to the GPU (the loader's batches): page-locked memory is scarce, don't make it the default.
  static Tensor empty_pinned(const Shape& shape, DType dtype = DType::F32);
  static Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype(), t.device()); }
  static Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype(), t.device()); }
  static Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype(), t.device()); }

  // --- what it is ---
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int ndim() const { return shape().ndim(); }
  int64_t size(int axis) const;  // negative axes count from the end
  int64_t numel() const { return shape().numel(); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  bool is_cuda() const { return device() == Device::CUDA; }
  bool is_pinned() const { return impl().storage->pinned; }
  size_t nbytes() const { return numel() * dtype_size(dtype()); }

  // Raw data, with the dtype checked: data<float>() on a float64 tensor throws.
  template <typename T>
  T* data() const;
  void* raw_data() const;

  // --- copies and conversions (never recorded on the tape) ---
  Tensor to(Device device) const;  // a copy on that device (this tensor itself when already there)
  Tensor to(DType dtype) const;    // a converted copy (this tensor itself when already that dtype)
  // to(device), except that from a pinned tensor to CUDA the copy is queued on the stream and
  // this returns at once: don't write this tensor afterwards (its block is reused only once the
  // copy is done, see cuda/pinned_memory.cu). From anything else it is to(device).
  Tensor to_nonblocking(Device device) const;
  Tensor clone() const;            // a deep copy on the same device
  void copy_(const Tensor& src);   // copies values in place; same shape, any dtype/device
  Tensor& fill_(double value);
  double item() const;                     // the value of a one-element tensor
  std::vector<double> to_vector() const;   // all values, row-major, converted to double (tests, printing)

  // --- views: share storage (record a tape node when differentiated, see core/ops/shape_ops.h) ---
  Tensor view_as_shape(const Shape& shape) const;        // same numel, no tape node: use reshape()
  Tensor view_rows(int64_t start, int64_t end) const;    // rows [start, end) of dim 0, no tape node

  // --- autograd ---
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool on = true);
  bool is_leaf() const { return impl().is_leaf; }
  Tensor grad() const { return Tensor(impl().grad); }  // undefined until backward() reached it
  void set_grad(const Tensor& g) const;  // handles share the impl, like shared_ptr: const is the handle
  void zero_grad() const { impl().grad.reset(); }

  // Two handles to the same TensorImpl (not merely equal values).
  bool same(const Tensor& o) const { return impl_ == o.impl_; }
  uint64_t id() const { return impl().id; }
  TensorImpl& impl() const;
  // No other handle or view shares this tensor's data.
  bool is_sole_owner() const { return impl_.use_count() == 1 && impl().storage.use_count() == 1; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Prints "tensor([[1, 2], [3, 4]], float32, cpu)"; tensors over 64 elements print their
// shape and the first values only.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace sar
