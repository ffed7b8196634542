// atomic_write.cpp: core/atomic_write.h's temp + fsync + rename, the sweep of temporaries a killed
// run left behind, and the free-space query.
#include "core/atomic_write.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
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
  // The rename is in the folder's entries: flush them too, or a power cut may undo it.
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::FILE* f) { return std::fwrite(text.data(), 1, text.size(), f) == text.size(); });
}

int remove_abandoned_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  int removed = 0;
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    const size_t mark = name.rfind(".tmp.");
    if (mark == std::string::npos) continue;
    const std::string pid_text = name.substr(mark + 5);
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = pid_t(std::stol(pid_text));
    const bool writer_alive = ::kill(pid, 0) == 0 || errno == EPERM;
    if (!writer_alive && std::remove((dir + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

uint64_t free_disk_bytes(const std::string& path) {
  struct statvfs fs;
  SAR_CHECK(::statvfs(path.c_str(), &fs) == 0, path, ": cannot read the free space (", std::strerror(errno), ")");
  return uint64_t(fs.f_bavail) * uint64_t(fs.f_frsize);
}

}  // namespace sar
