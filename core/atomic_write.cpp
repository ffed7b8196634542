#include "core/atomic_write.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace sar {

void write_file_atomically(const std::string& path, const std::function<bool(std::FILE*)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  SAR_CHECK(out, path, ": cannot write ", tmp, " (", std::strerror(errno), ")");
  const bool ok = write(out) && std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0;
  const int err = errno;
  std::fclose(out);
  if (!ok) {
    std::remove(tmp.c_str());
    SAR_THROW(path, ": write failed (", std::strerror(err), "); is the disk full?");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    std::remove(tmp.c_str());
    SAR_THROW(path, ": cannot replace the file (", std::strerror(rename_err), ")");
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::FILE* f) { return std::fwrite(text.data(), 1, text.size(), f) == text.size(); });
}

}  // namespace sar
