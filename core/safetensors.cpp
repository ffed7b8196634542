// safetensors.cpp: core/safetensors.h's strict reader (header, dtypes and offsets checked against the
// file) and its atomic writer.
#include "core/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_write.h"
#include "core/input_file.h"

namespace sar {

using json = nlohmann::json;

// A header larger than this is not a real checkpoint header (the reference limit).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
  }
  return "?";
}

static DType parse_dtype(const std::string& s, const std::string& path, const std::string& name) {
  for (DType dt : {DType::F32, DType::F64, DType::BF16, DType::I64})
    if (s == safetensors_dtype_name(dt)) return dt;
  SAR_THROW(path, ": tensor '", name, "': unknown or unsupported dtype \"", s, "\" (supported: F32, F64, BF16, I64)");
}

static uint64_t file_size(std::ifstream& in) {
  in.seekg(0, std::ios::end);
  uint64_t size = uint64_t(in.tellg());
  in.seekg(0, std::ios::beg);
  return size;
}

static SafetensorsEntry parse_entry(const std::string& name, const json& value, const std::string& path) {
  const std::string where = path + ": tensor '" + name + "'";
  SAR_CHECK(value.is_object(), where, ": expected an object with dtype, shape, data_offsets");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    SAR_CHECK(value.contains(field), where, ": missing field \"", field, "\"");
  SAR_CHECK(value["dtype"].is_string(), where, ": \"dtype\" must be a string");
  SafetensorsEntry e;
  e.name = name;
  e.dtype = parse_dtype(value["dtype"].get<std::string>(), path, name);

  const json& shape = value["shape"];
  SAR_CHECK(shape.is_array(), where, ": \"shape\" must be an array");
  SAR_CHECK(shape.size() <= size_t(Shape::kMaxDims), where, ": ", shape.size(), " dims; at most ", Shape::kMaxDims,
            " are supported");
  std::vector<int64_t> dims;
  uint64_t numel = 1;
  for (const json& d : shape) {
    SAR_CHECK(d.is_number_unsigned(), where, ": \"shape\" entries must be non-negative integers, got ", d.dump());
    uint64_t v = d.get<uint64_t>();
    SAR_CHECK(v < (uint64_t(1) << 40) && (numel == 0 || v <= (uint64_t(1) << 40) / numel), where, ": shape ",
              shape.dump(), " is implausibly large");
    numel *= v;
    dims.push_back(int64_t(v));
  }
  e.shape = Shape(dims);

  const json& offsets = value["data_offsets"];
  SAR_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                offsets[1].is_number_unsigned(),
            where, ": \"data_offsets\" must be [begin, end], got ", offsets.dump());
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  SAR_CHECK(e.begin <= e.end, where, ": data_offsets [", e.begin, ", ", e.end, "] end before they begin");
  SAR_CHECK(e.end - e.begin == numel * dtype_size(e.dtype), where, ": shape ", e.shape, " of ",
            safetensors_dtype_name(e.dtype), " needs ", numel * dtype_size(e.dtype), " bytes, data_offsets span ",
            e.end - e.begin);
  return e;
}

SafetensorsIndex read_safetensors_index(const std::string& path) {
  std::ifstream in = open_input_file(path);
  const uint64_t size = file_size(in);
  SAR_CHECK(size >= 8, path, ": truncated: ", size, " bytes, shorter than the 8-byte header length");
  unsigned char len_bytes[8];
  SAR_CHECK(in.read(reinterpret_cast<char*>(len_bytes), 8), path, ": read failed (", std::strerror(errno), ")");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];  // little-endian
  SAR_CHECK(header_len <= size - 8, path, ": header length ", header_len, " runs past the end of the file (",
            size, " bytes); the file is truncated or not safetensors");
  SAR_CHECK(header_len <= kMaxHeaderBytes, path, ": header length ", header_len, " exceeds the 100 MiB limit");
  std::string text(header_len, '\0');
  SAR_CHECK(in.read(text.data(), std::streamsize(header_len)), path, ": read failed (", std::strerror(errno), ")");

  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {
    SAR_THROW(path, ": header is not valid JSON: ", e.what());
  }
  SAR_CHECK(header.is_object(), path, ": header must be a JSON object");

  SafetensorsIndex index;
  index.data_start = 8 + header_len;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      SAR_CHECK(value.is_object(), path, ": \"__metadata__\" must be an object of strings");
      for (const auto& [mk, mv] : value.items()) {
        SAR_CHECK(mv.is_string(), path, ": __metadata__ \"", mk, "\" must be a string");
        index.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    index.entries.push_back(parse_entry(key, value, path));
  }

  // The tensors must tile the data buffer exactly: sorted by offset, each begins where the last ended.
  std::sort(index.entries.begin(), index.entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  const uint64_t data_bytes = size - index.data_start;
  uint64_t expected = 0;
  for (const SafetensorsEntry& e : index.entries) {
    SAR_CHECK(e.begin >= expected, path, ": tensor '", e.name, "' (bytes ", e.begin, "..", e.end,
              ") overlaps the tensor before it (which ends at ", expected, ")");
    SAR_CHECK(e.begin == expected, path, ": bytes ", expected, "..", e.begin,
              " of the data buffer belong to no tensor (a hole before '", e.name, "')");
    SAR_CHECK(e.end <= data_bytes, path, ": tensor '", e.name, "' data_offsets end at ", e.end,
              ", past the data buffer of ", data_bytes, " bytes; the file is truncated");
    expected = e.end;
  }
  SAR_CHECK(expected == data_bytes, path, ": the last ", data_bytes - expected,
            " bytes of the data buffer belong to no tensor");
  return index;
}

std::vector<std::pair<std::string, Tensor>> load_safetensors(const std::string& path,
                                                             std::map<std::string, std::string>* metadata) {
  SafetensorsIndex index = read_safetensors_index(path);
  std::ifstream in = open_input_file(path);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const SafetensorsEntry& e : index.entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype, Device::CPU);
    in.seekg(std::streamoff(index.data_start + e.begin));
    in.read(static_cast<char*>(t.raw_data()), std::streamsize(e.end - e.begin));
    SAR_CHECK(in, path, ": read of tensor '", e.name, "' failed");
    tensors.emplace_back(e.name, t);
  }
  if (metadata) *metadata = index.metadata;
  return tensors;
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::vector<Tensor> host;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SAR_CHECK(name != "__metadata__", path, ": a tensor may not be called __metadata__");
    SAR_CHECK(names.insert(name).second, path, ": tensor name '", name, "' appears twice");
    SAR_CHECK(t.defined(), path, ": tensor '", name, "' is undefined");
    host.push_back(t.to(Device::CPU));
    header[name] = {{"dtype", safetensors_dtype_name(t.dtype())},
                    {"shape", t.shape().to_vector()},
                    {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data buffer starts 8-byte aligned

  write_file_atomically(path, [&](std::FILE* out) {
    unsigned char len_bytes[8];
    for (int i = 0; i < 8; ++i) len_bytes[i] = (uint64_t(text.size()) >> (8 * i)) & 0xff;
    bool ok = std::fwrite(len_bytes, 1, 8, out) == 8 && std::fwrite(text.data(), 1, text.size(), out) == text.size();
    for (const Tensor& t : host) ok = ok && std::fwrite(t.raw_data(), 1, t.nbytes(), out) == t.nbytes();
    return ok;
  });
}

}  // namespace sar
