// shape.cpp: core/shape.h's checks, element counts, strides, axis views ([outer, R, inner]) and
// broadcasting.
#include "core/shape.h"

#include <sstream>

#include "core/error.h"

namespace sar {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  SAR_CHECK(dims.size() <= kMaxDims, "shape: at most ", kMaxDims, " dims, got ", dims.size());
  for (int64_t d : dims) SAR_CHECK(d >= 0, "shape: dims must be >= 0, got ", d);
  ndim_ = static_cast<int>(dims.size());
  for (int i = 0; i < ndim_; ++i) dims_[i] = dims[i];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return n;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < ndim_; ++i) os << (i ? ", " : "") << dims_[i];
  os << ']';
  return os.str();
}

std::array<int64_t, Shape::kMaxDims> Shape::strides() const {
  std::array<int64_t, kMaxDims> s{};
  int64_t stride = 1;
  for (int i = ndim_ - 1; i >= 0; --i) {
    s[i] = stride;
    stride *= dims_[i];
  }
  return s;
}

int Shape::axis(int a, const char* op) const {
  int resolved = a < 0 ? a + ndim_ : a;
  SAR_CHECK(resolved >= 0 && resolved < ndim_, op, ": axis ", a, " is out of range for shape ", str());
  return resolved;
}

int64_t Shape::outer(int axis) const {
  int64_t n = 1;
  for (int i = 0; i < axis; ++i) n *= dims_[i];
  return n;
}

int64_t Shape::inner(int axis) const {
  int64_t n = 1;
  for (int i = axis + 1; i < ndim_; ++i) n *= dims_[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = a.ndim() > b.ndim() ? a.ndim() : b.ndim();
  std::vector<int64_t> out(n);
  for (int i = 1; i <= n; ++i) {  // i counts from the last dim
    int64_t da = i <= a.ndim() ? a[a.ndim() - i] : 1;
    int64_t db = i <= b.ndim() ? b[b.ndim() - i] : 1;
    SAR_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
              " do not broadcast (dim -", i, ": ", da, " vs ", db, ")");
    out[n - i] = da == 1 ? db : da;
  }
  return Shape(out);
}

}  // namespace sar
