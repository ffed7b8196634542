// image_io.h: JPEG/PNG files to RGB pixels (stb_image) and RGB pixels to PNG (stb_image_write).
//
// Every decoded image is RGB uint8, [height, width, 3]: grayscale is replicated to three
// channels, gray+alpha and RGBA lose their alpha (not composited), 16-bit PNG is scaled to 8 bits.
// Only JPEG and PNG are read; anything else is refused.
//
// A bad file is refused with a sar::Error that names it and stb's reason:
//   data/x.jpg: cannot decode: expected marker (truncated or corrupt?)
// stb_image checks no PNG checksums, so PNG chunks are CRC-checked here first: a flipped bit
// in the pixel data is an error, not a silently wrong image. A truncated JPEG fails in stb
// itself (it finds no end-of-image marker). JPEG Huffman tables are checked here first too:
// Debian's stb_image 2.27 writes past a table that declares more than 256 codes. An image whose
// header claims more than 2^25 pixels (33.5 M) is refused before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "datasets/sample.h"

namespace sar {

// Reads and decodes the file; a missing or unreadable file says so (with errno's text).
Image decode_image(const std::string& path);

// Decodes bytes already in memory; `name` stands for the source in error messages.
Image decode_image_memory(const uint8_t* data, size_t size, const std::string& name);

// Writes an 8-bit RGB PNG atomically: a temporary file beside `path`, flushed, then renamed
// over it, so a crash leaves the old file or the new one, never a torn one.
void write_png(const std::string& path, const Image& image);

}  // namespace sar
