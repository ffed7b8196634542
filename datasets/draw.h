// draw.h: anti-aliased drawing into an RGB Image (datasets/sample.h): filled regions (capsules,
// which give discs and thick lines, rectangles and ellipses), and text in a small built-in
// bitmap font. What the synthetic generator paints with, and every PNG the project writes
// (`sar data show`, inference visualizations, training curves).
//
// Coordinates are pixels, x right, y down; pixel (x, y) is the unit square centred at integer
// (x, y), as everywhere in the project. A region's coverage of a pixel is approximated from the
// signed distance of the pixel centre to the region's edge (1 px of blur), and the colour is
// blended in by coverage * alpha. Everything is clipped to the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/sample.h"

namespace sar {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};
inline bool operator==(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
inline bool operator!=(Rgb a, Rgb b) { return !(a == b); }

Rgb hsv(double hue_deg, double saturation, double value);  // saturation and value in [0, 1]

// A value in [0, 255] (a blend of bytes) to the nearest byte, halves up: std::lround's result
// there, without its libm call, which took a quarter of the synthetic generator's time.
inline uint8_t round_to_byte(double v) { return uint8_t(v + 0.5); }

struct Point {
  double x = 0, y = 0;
};

// A paintable region and its anti-aliased coverage of the pixel centred at (x, y), in [0, 1].
struct Region {
  enum Kind { Capsule, Rect, Ellipse } kind = Capsule;
  Point a, b;          // capsule: end points (a disc when equal); rect: min and max corner; ellipse: centre, semi-axes
  double radius = 0;   // capsule
  Point axis{1, 0};    // ellipse: the direction of its first axis (cos, sin of its rotation)

  static Region capsule(Point a, Point b, double radius);
  static Region rect(Point lo, Point hi);
  static Region ellipse(Point centre, Point semi_axes, double angle_rad);

  double coverage(double x, double y) const;
  void bounds(double* box) const;  // a box (x0, y0, x1, y1) that holds every pixel with coverage > 0
};

// Blends `colour` into the image by coverage * alpha. Where coverage >= 1/2, *mask ([height *
// width], when given) becomes mask_value: the synthetic generator's painter's algorithm keeps
// the annotated figure's visible pixels with it.
void paint(Image* image, const Region& region, Rgb colour, double alpha = 1, std::vector<uint8_t>* mask = nullptr,
           uint8_t mask_value = 0);

void draw_disk(Image* image, float x, float y, float radius, Rgb colour, float alpha = 1.f);
void draw_line(Image* image, float x0, float y0, float x1, float y1, float radius, Rgb colour, float alpha = 1.f);
// The pixels x0 <= x < x0 + width, y0 <= y < y0 + height, exactly (no blur at the edges).
void fill_rect(Image* image, int x0, int y0, int width, int height, Rgb colour, float alpha = 1.f);

// Text in a 5x9 bitmap font (7 rows above the baseline, 2 for descenders), each font pixel a
// scale x scale block. (x, y) is the top-left corner of the first character's cell; characters
// advance by 6 * scale. Digits, upper and lower case letters, space and . , : ; - _ % / ( ) [ ]
// = + < > * ! ? ' @ # | are built in; any other byte is drawn as a box.
constexpr int kGlyphWidth = 5, kGlyphHeight = 9, kGlyphAdvance = 6;
void draw_text(Image* image, int x, int y, const std::string& text, Rgb colour, int scale = 1);
// The width in pixels of the drawn text: 6 * scale per character, less the last gap (0 when empty).
int text_width(const std::string& text, int scale = 1);
int text_height(int scale = 1);  // 9 * scale

}  // namespace sar
