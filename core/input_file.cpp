// input_file.cpp: see input_file.h.
#include "core/input_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace sar {

std::ifstream open_input_file(const std::string& path, std::ios::openmode mode) {
  struct stat st;
  SAR_CHECK(::stat(path.c_str(), &st) == 0, path, ": cannot open (", std::strerror(errno), ")");
  SAR_CHECK(!S_ISDIR(st.st_mode), path, ": is a folder, not a file");
  std::ifstream in(path, mode | std::ios::in);
  SAR_CHECK(in, path, ": cannot open (", std::strerror(errno), ")");
  return in;
}

}  // namespace sar
