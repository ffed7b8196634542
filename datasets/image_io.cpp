// image_io.cpp: the project's one home of the stb_image and stb_image_write implementations.
#include "datasets/image_io.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/atomic_write.h"
#include "core/error.h"

// Only the two formats data sets use: less code to trust with untrusted files.
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace sar {

// The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320), one byte per step.
static uint32_t crc32(const uint8_t* data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// The most pixels decoded. A header is only a claim: 754 bytes of JPEG claimed 8208 x 12568
// (103 M pixels, over 10 s to decode; `make fuzz` found it). 2^25 = 33.5 M holds a 6000 x 4000 photo.
constexpr int64_t kMaxPixels = int64_t(1) << 25;

static uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

static bool is_png(const uint8_t* data, size_t size) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return size >= 8 && std::memcmp(data, signature, 8) == 0;
}

// Walks the chunks (length, type, data, CRC) up to IEND and checks each CRC, which stb skips.
static void check_png_chunks(const uint8_t* data, size_t size, const std::string& name) {
  size_t at = 8;  // after the signature
  for (;;) {
    SAR_CHECK(at + 12 <= size, name, ": cannot decode: PNG ends at byte ", size,
              " before its IEND chunk (truncated?)");
    const uint32_t length = read_be32(data + at);
    const std::string type(reinterpret_cast<const char*>(data + at + 4), 4);
    const size_t end = at + 12 + size_t(length);
    SAR_CHECK(end <= size, name, ": cannot decode: PNG chunk '", type, "' at byte ", at, " needs ", end - at,
              " bytes but the file ends after ", size - at, " (truncated?)");
    const uint32_t stored = read_be32(data + at + 8 + length);
    const uint32_t computed = crc32(data + at + 4, size_t(length) + 4);
    if (stored != computed) {
      char hex[64];
      std::snprintf(hex, sizeof hex, "stored 0x%08x, computed 0x%08x", stored, computed);
      SAR_THROW(name, ": cannot decode: PNG chunk '", type, "' at byte ", at, " fails its CRC check (", hex,
                "): the file is corrupt");
    }
    if (type == "IEND") return;
    at = end;
  }
}

// stb_image 2.27 (Debian 12's) builds a Huffman table from a DHT segment without checking that
// its 16 code counts sum to at most 256, and writes past the table when they do (CVE-2021-37789;
// `make fuzz` found it). So the DHT segments are checked here first, as the PNG CRCs are. The walk
// visits every marker stb could read: after a segment, or inside a scan's entropy-coded data, it
// skips to the next 0xFF that starts a marker (not a 0xFF00 stuffed byte, a fill byte or RSTn).
static void check_jpeg_huffman_tables(const uint8_t* data, size_t size, const std::string& name) {
  size_t at = 0;  // SOI, maybe after 0xFF fill bytes, is skipped as the other segments without a length
  while (at + 4 <= size) {
    const uint8_t marker = data[at + 1];
    if (data[at] != 0xFF || marker == 0xFF || marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
      ++at;
      continue;
    }
    if (marker == 0xD9) return;  // EOI
    const size_t length = (size_t(data[at + 2]) << 8) | data[at + 3];  // counts its own 2 bytes
    size_t next = at + 2 + length;
    if (marker == 0xC4) {  // DHT: tables of {class/id byte, 16 counts, the counts' sum of symbols}, as stb reads them
      size_t table = at + 4;
      for (long left = long(length) - 2; left > 0 && table < size;) {
        size_t codes = 0;
        for (size_t i = 1; i <= 16 && table + i < size; ++i) codes += data[table + i];  // stb reads 0s past the end
        SAR_CHECK(codes <= 256, name, ": cannot decode: JPEG Huffman table at byte ", table, " holds ", codes,
                  " codes, more than 256 (corrupt)");
        table += 17 + codes;
        left -= long(17 + codes);
      }
      next = std::max(next, table);
    }
    at = next;
  }
}

Image decode_image_memory(const uint8_t* data, size_t size, const std::string& name) {
  SAR_CHECK(size > 0, name, ": cannot decode: the file is empty");
  SAR_CHECK(size <= size_t(INT_MAX), name, ": cannot decode: ", size, " bytes is more than stb_image reads (2 GiB)");
  if (is_png(data, size)) check_png_chunks(data, size, name);
  if (data[0] == 0xFF) check_jpeg_huffman_tables(data, size, name);  // stb reads a JPEG from any such file

  int width = 0, height = 0, channels_in_file = 0;
  if (stbi_info_from_memory(data, int(size), &width, &height, &channels_in_file))  // else stbi_load says why
    SAR_CHECK(int64_t(width) * height <= kMaxPixels, name, ": cannot decode: the header says ", width, "x", height,
              " pixels, more than the ", kMaxPixels, " read (corrupt?)");
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, int(size), &width, &height, &channels_in_file, 3), stbi_image_free);
  if (!pixels) {
    // stb's reason is thread-local (STBI_THREAD_LOCAL), so loader threads do not mix them up.
    const char* reason = stbi_failure_reason();
    const std::string why = reason && reason[0] ? reason : "no reason given";
    SAR_THROW(name, ": cannot decode: ", why,
              why == "unknown image type" ? " (only JPEG and PNG are read)" : " (truncated or corrupt?)");
  }
  Image image;
  image.height = height;
  image.width = width;
  image.rgb.assign(pixels.get(), pixels.get() + size_t(height) * size_t(width) * 3);
  return image;
}

Image decode_image(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  SAR_CHECK(file, path, ": cannot open (", std::strerror(errno), ")");
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  SAR_CHECK(!std::ferror(file.get()), path, ": read failed (", std::strerror(errno), ")");
  return decode_image_memory(bytes.data(), bytes.size(), path);
}

void write_png(const std::string& path, const Image& image) {
  SAR_CHECK(image.height > 0 && image.width > 0, "write_png: ", path, ": image must be at least 1x1, got ",
            image.height, "x", image.width);
  const size_t expected = size_t(image.height) * size_t(image.width) * 3;
  SAR_CHECK(image.rgb.size() == expected, "write_png: ", path, ": a ", image.height, "x", image.width,
            " RGB image needs ", expected, " bytes, got ", image.rgb.size());
  std::vector<uint8_t> encoded;
  auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  SAR_CHECK(stbi_write_png_to_func(append, &encoded, image.width, image.height, 3, image.rgb.data(),
                                   image.width * 3),
            "write_png: ", path, ": stb_image_write could not encode the image");
  write_file_atomically(path, [&](std::FILE* out) {
    return std::fwrite(encoded.data(), 1, encoded.size(), out) == encoded.size();
  });
}

}  // namespace sar
