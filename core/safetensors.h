// safetensors.h: reading and writing the safetensors format, for checkpoints and fixtures.
//
// Layout: 8 bytes little-endian N, then N bytes of JSON header, then the data buffer:
//   {"__metadata__": {"key": "value", ...},
//    "conv1.weight": {"dtype": "F32", "shape": [64, 3, 7, 7], "data_offsets": [begin, end]}, ...}
// Offsets are relative to the data buffer and must tile it exactly: no overlaps, no holes
// (a file that hides bytes between tensors is refused, as the reference implementation does).
// Dtypes read and written: F32, F64, BF16, I64. Data is little-endian (as this machine is).
//
// A bad file is refused with a sar::Error naming the path and what is wrong: truncated
// header, header length past the end of the file, invalid JSON, unknown dtype, shape x dtype
// size != byte span, offsets out of range, overlapping or leaving holes.
// Writes are atomic: a temporary file in the same folder, flushed, then renamed over the path.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace sar {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  size_t begin = 0, end = 0;  // byte range in the data buffer
};

struct SafetensorsIndex {
  std::vector<SafetensorsEntry> entries;        // in file order (by data offset)
  std::map<std::string, std::string> metadata;  // "__metadata__", when present
  size_t data_start = 0;                        // file offset of the data buffer
};

// Reads and validates the header only (cheap: `sar info --weights`).
SafetensorsIndex read_safetensors_index(const std::string& path);

// Loads every tensor onto the CPU, in file order.
std::vector<std::pair<std::string, Tensor>> load_safetensors(const std::string& path,
                                                             std::map<std::string, std::string>* metadata = nullptr);

// Writes tensors (any device; copied to the CPU) atomically. Names must be unique and not
// "__metadata__".
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

const char* safetensors_dtype_name(DType dtype);  // "F32", "F64", "BF16", "I64"

}  // namespace sar
