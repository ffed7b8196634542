// atomic_write.h: replacing a file so that a crash at any point leaves either the old file or
// the new one, never a torn one (checkpoints, PNGs): write beside the target, flush to disk,
// then rename over it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace sar {

// write(file) writes the whole content and returns false on a short write. Throws sar::Error
// naming `path` when the file cannot be written or replaced; the temporary file is removed.
void write_file_atomically(const std::string& path, const std::function<bool(std::FILE*)>& write);

// The same for a file whose whole content is `text` (configs, json, CSV logs, reports).
void write_text_atomically(const std::string& path, const std::string& text);

// Removes the temporary files of writes that a killed process left in `dir` (<name>.tmp.<pid>
// whose process is gone); returns how many. A kill -9 mid-checkpoint leaves one each time.
int remove_abandoned_temporaries(const std::string& dir);

// Bytes an unprivileged writer may still use on the file system holding `path` (statvfs).
uint64_t free_disk_bytes(const std::string& path);

}  // namespace sar
