// error.h: the one exception type of the project, and the checks that throw it.
//
// Library code throws sar::Error; only main() in train/ turns it into a message and an
// exit code. Messages follow "<where>: <expected>, got <found>[; hint]" and end with the
// file:line that threw, e.g.
//   matmul: [2, 3] @ [4, 5]: inner dims 3 != 4 (core/ops/matmul.cpp:34)
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace sar {

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, const char* file, int line);
  const std::string& message() const { return message_; }  // without the file:line
  const std::string& where() const { return where_; }      // "core/ops/matmul.cpp:34"

 private:
  std::string message_;
  std::string where_;
};

// Joins any streamable values into one string: cat("got ", shape, " dims") .
template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace sar

// SAR_THROW("conv2d: weight must be ", expected, ", got ", found);
#define SAR_THROW(...) throw ::sar::Error(::sar::cat(__VA_ARGS__), __FILE__, __LINE__)

// SAR_CHECK(a.ndim() == 2, "matmul: a must be 2-D, got ", a.shape());
#define SAR_CHECK(cond, ...)                   \
  do {                                         \
    if (!(cond)) SAR_THROW(__VA_ARGS__);       \
  } while (0)
