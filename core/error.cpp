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

// The length of the UTF-8 sequence starting at s[i] (2 to 4), or 0 where none is valid.
static size_t utf8_sequence(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// Bytes a terminal should not receive raw (a PNG read as JSON puts its own into the parser's
// message) become \xNN; text, UTF-8 included, and line breaks stay as they are.
static std::string printable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = c >= 0x80 ? utf8_sequence(text, i) : 1;
    if (n > 1) {
      out.append(text, i, n);
      i += n - 1;
    } else if ((c >= 0x20 && c != 0x7F && c < 0x80) || c == '\n' || c == '\t') {
      out += char(c);
    } else {
      static const char hex[] = "0123456789abcdef";
      out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

Error::Error(const std::string& message, const char* file, int line)
    : std::runtime_error(printable(message) + " (" + project_relative(file) + ":" + std::to_string(line) + ")"),
      message_(printable(message)),
      where_(project_relative(file) + ":" + std::to_string(line)) {}

}  // namespace sar
