// shape.h: a tensor's dimensions, at most 5 (N, C, H, W plus one), row-major.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace sar {

class Shape {
 public:
  static constexpr int kMaxDims = 5;

  Shape() = default;  // a scalar: 0 dims, 1 element
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int ndim() const { return ndim_; }
  int64_t operator[](int d) const { return dims_[d]; }
  int64_t& operator[](int d) { return dims_[d]; }
  int64_t numel() const;
  std::vector<int64_t> to_vector() const { return {dims_.begin(), dims_.begin() + ndim_}; }
  std::string str() const;  // "[2, 3, 5]"

  // Element strides of a contiguous row-major layout, e.g. [2, 3, 5] -> [15, 5, 1].
  std::array<int64_t, kMaxDims> strides() const;

  // Checks a possibly negative axis ("-1" = last) and returns it in [0, ndim).
  int axis(int a, const char* op) const;

  // Views the shape as [outer, dims[axis], inner]: how every along-one-axis kernel loops.
  int64_t outer(int axis) const;
  int64_t inner(int axis) const;

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

// NumPy broadcasting: aligns trailing dims; each pair must be equal or one of them 1.
// Throws "<op>: shapes [2, 3] and [4] do not broadcast (dim -1: 3 vs 4)".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace sar
