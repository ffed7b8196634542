// error.cpp: sar::Error's message, ending with the throwing file (from the project root) and line.
#include "core/error.h"

#include <cstring>

namespace sar {

// Keep the path from the project root ("core/ops/matmul.cpp"), not the build machine's.
static std::string project_relative(const char* file) {
  static const char* roots[] = {"core/", "cuda/", "layers/", "models/", "datasets/",
                                "train/", "eval/", "tests/"};
  const char* best = file;
  for (const char* root : roots) {
    const char* at = std::strstr(file, root);
    if (at && (at == file || at[-1] == '/')) { best = at; break; }
  }
  return best;
}

Error::Error(const std::string& message, const char* file, int line)
    : std::runtime_error(message + " (" + project_relative(file) + ":" + std::to_string(line) + ")"),
      message_(message),
      where_(project_relative(file) + ":" + std::to_string(line)) {}

}  // namespace sar
