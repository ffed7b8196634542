// plot.cpp: nice axes, the plot's layout, and the drawing of lines, ticks and legend (eval/plot.h).
#include "eval/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "core/error.h"

namespace sar {

namespace {

// Below this relative width a range has no distinct tick labels: it is treated as one value.
constexpr double kTinyRange = 1e-9;

std::string format_number(const char* format, int decimals, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, decimals, value);
  return text;
}

}  // namespace

double Axis::fraction(double value) const {
  if (log) return (std::log10(value) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  return (value - lo) / (hi - lo);
}

Axis nice_axis(double lo, double hi, int max_intervals) {
  SAR_CHECK(std::isfinite(hi - lo) && lo <= hi && max_intervals >= 1,
            "nice_axis: expected finite lo <= hi and max_intervals >= 1, got [", lo, ", ", hi, "] and ", max_intervals);
  if (hi - lo <= kTinyRange * std::max(std::fabs(lo), std::fabs(hi))) {
    const double pad = lo == 0 ? 1.0 : 0.1 * std::fabs(lo);
    lo -= pad;
    hi += pad;
  }
  // The smallest step of 1, 2, 5 x 10^k whose outward-rounded range fits in max_intervals.
  double magnitude = std::pow(10.0, std::floor(std::log10((hi - lo) / max_intervals)));
  double step = 0, first = 0, last = 0;
  for (int m = 0;; m = (m + 1) % 3) {
    step = (m == 0 ? 1 : m == 1 ? 2 : 5) * magnitude;
    first = std::floor(lo / step + 1e-9);
    last = std::ceil(hi / step - 1e-9);
    if (last - first <= max_intervals) break;
    if (m == 2) magnitude *= 10;
  }
  Axis axis;
  axis.lo = first * step;
  axis.hi = last * step;
  // As many decimals as the step has (0.05 -> 2); from a million up, exponent notation with the
  // significant digits the step needs (1.25e+06), as the plain digits would crowd the axis.
  const int step_exponent = int(std::floor(std::log10(step) + 1e-9));
  const double largest = std::max(std::fabs(axis.lo), std::fabs(axis.hi));
  const bool large = largest >= 1e6;
  const int digits = large ? int(std::floor(std::log10(largest))) - step_exponent + 1 : std::max(0, -step_exponent);
  for (double n = first; n <= last; ++n) {
    const double value = n == 0 ? 0.0 : n * step;  // an exact 0, never -0 or 1e-17
    axis.ticks.push_back(value);
    axis.labels.push_back(format_number(large ? "%.*g" : "%.*f", digits, value));
  }
  return axis;
}

Axis log_axis(double lo, double hi, int max_intervals) {
  SAR_CHECK(std::isfinite(lo) && std::isfinite(hi) && 0 < lo && lo <= hi && max_intervals >= 1,
            "log_axis: expected finite 0 < lo <= hi and max_intervals >= 1, got [", lo, ", ", hi, "] and ",
            max_intervals);
  const int e_lo = int(std::floor(std::log10(lo) + 1e-9));
  int e_hi = std::max(e_lo + 1, int(std::ceil(std::log10(hi) - 1e-9)));
  const int every = (e_hi - e_lo + max_intervals - 1) / max_intervals;  // decades per tick
  e_hi = e_lo + (e_hi - e_lo + every - 1) / every * every;             // so the top end is a tick
  Axis axis;
  axis.log = true;
  axis.lo = std::pow(10.0, e_lo);
  axis.hi = std::pow(10.0, e_hi);
  auto add = [&](double value) {
    axis.ticks.push_back(value);
    axis.labels.push_back(format_number("%.*g", 6, value));
  };
  const int decades = e_hi - e_lo;
  if (decades == 1 || 3 * decades <= max_intervals) {  // few decades: 1, 2 and 5 x 10^k
    for (int e = e_lo; e < e_hi; ++e)
      for (double m : {1.0, 2.0, 5.0}) add(m * std::pow(10.0, e));
    add(axis.hi);
  } else {
    for (int e = e_lo; e <= e_hi; e += every) add(std::pow(10.0, e));
  }
  return axis;
}

Point PlotLayout::to_pixel(double x_value, double y_value) const {
  return {left + x.fraction(x_value) * (right - left), bottom - y.fraction(y_value) * (bottom - top)};
}

namespace {

constexpr int kMargin = 8, kGap = 6, kTick = 4, kTitleScale = 2;

// The 1-px border of the rectangle of pixels [x, x + w) x [y, y + h).
void outline_rect(Image* image, int x, int y, int w, int h, Rgb colour) {
  fill_rect(image, x, y, w, 1, colour);
  fill_rect(image, x, y + h - 1, w, 1, colour);
  fill_rect(image, x, y, 1, h, colour);
  fill_rect(image, x + w - 1, y, 1, h, colour);
}

bool drawable(const Series& s, size_t k, bool log_y) {
  return std::isfinite(s.x[k]) && std::isfinite(s.y[k]) && (!log_y || s.y[k] > 0);
}

// Calls piece(p, q) with the pixel ends of each segment plot_lines draws, and piece(p, p) for
// each dot: a segment joins two drawable neighbours; a drawable point with neither is a dot.
void for_each_piece(const std::vector<Series>& series, const PlotLayout& layout,
                    const std::function<void(size_t series_index, Point, Point)>& piece) {
  const bool log_y = layout.y.log;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const size_t n = s.x.size();
    for (size_t k = 0; k < n; ++k) {
      if (!drawable(s, k, log_y)) continue;
      const Point p = layout.to_pixel(s.x[k], s.y[k]);
      const bool next = k + 1 < n && drawable(s, k + 1, log_y), previous = k > 0 && drawable(s, k - 1, log_y);
      if (next) piece(i, p, layout.to_pixel(s.x[k + 1], s.y[k + 1]));
      else if (!previous) piece(i, p, p);
    }
  }
}

// How much of the drawn data lies in the box [x0, x1] x [y0, y1]: points along every piece,
// about 2 px apart, that fall inside it.
int data_inside(const std::vector<Series>& series, const PlotLayout& layout, int x0, int y0, int x1, int y1) {
  int count = 0;
  for_each_piece(series, layout, [&](size_t, Point p, Point q) {
    const int samples = 1 + int(std::hypot(q.x - p.x, q.y - p.y) / 2);
    for (int t = 0; t <= samples; ++t) {
      const double x = p.x + (q.x - p.x) * t / samples, y = p.y + (q.y - p.y) * t / samples;
      count += x >= x0 && x <= x1 && y >= y0 && y <= y1;
    }
  });
  return count;
}

}  // namespace

PlotLayout plot_layout(const std::vector<Series>& series, int width, int height, bool log_y) {
  SAR_CHECK(width >= 160 && height >= 120, "plot_lines: width and height must be at least 160 and 120, got ", width,
            " and ", height);
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : series) {
    SAR_CHECK(s.x.size() == s.y.size(), "plot_lines: series '", s.name, "' has ", s.x.size(), " x values and ",
              s.y.size(), " y values");
    for (size_t k = 0; k < s.x.size(); ++k)
      if (drawable(s, k, log_y)) {
        x_lo = std::min(x_lo, s.x[k]); x_hi = std::max(x_hi, s.x[k]);
        y_lo = std::min(y_lo, s.y[k]); y_hi = std::max(y_hi, s.y[k]);
      }
  }
  const bool empty = !(x_lo <= x_hi);

  // Top to bottom: title, y label, the axes, x tick labels, x label.
  PlotLayout layout;
  layout.top = kMargin + text_height(kTitleScale) + kGap + text_height() + kGap;
  layout.bottom = height - 1 - kMargin - text_height() - kGap - text_height() - kGap;
  // About 40 px per y interval and 80 px per x interval; the y labels set the left margin.
  const int y_intervals = std::max(2, (layout.bottom - layout.top) / 40);
  if (!empty) layout.y = log_y ? log_axis(y_lo, y_hi, y_intervals) : nice_axis(y_lo, y_hi, y_intervals);
  if (empty && log_y) layout.y = Axis{1, 10, true, {}, {}};
  int label_width = 0;
  for (const std::string& label : layout.y.labels) label_width = std::max(label_width, text_width(label));
  layout.left = kMargin + label_width + kTick + 4;
  if (!empty) layout.x = nice_axis(x_lo, x_hi, std::max(2, (width - layout.left - 3 * kMargin) / 80));
  const int last_label = layout.x.labels.empty() ? 0 : text_width(layout.x.labels.back());
  layout.right = width - 1 - kMargin - std::max(kMargin, last_label / 2);
  return layout;
}

Rgb series_colour(int i) {
  // Okabe and Ito's colour-blind-safe palette without its yellow, which is faint on white.
  static const Rgb kPalette[7] = {{0, 114, 178},   {213, 94, 0},   {0, 158, 115}, {204, 121, 167},
                                  {230, 159, 0},   {86, 180, 233}, {0, 0, 0}};
  const Rgb c = kPalette[i % 7];
  const double shade = i / 7 % 2 == 0 ? 1.0 : 0.6;  // the second round darker
  return {uint8_t(c.r * shade), uint8_t(c.g * shade), uint8_t(c.b * shade)};
}

Image plot_lines(const std::string& title, const std::string& x_label, const std::string& y_label,
                 const std::vector<Series>& series, int width, int height, bool log_y) {
  const PlotLayout layout = plot_layout(series, width, height, log_y);
  const int left = layout.left, top = layout.top, right = layout.right, bottom = layout.bottom;
  const Rgb text{40, 40, 40}, frame{90, 90, 90}, grid{228, 228, 228};
  Image image;
  image.height = height;
  image.width = width;
  image.rgb.assign(size_t(width) * height * 3, 255);

  // Grid lines and ticks with their labels: x below the axes, centred; y left of them, right-aligned.
  for (size_t t = 0; t < layout.x.ticks.size(); ++t) {
    const int px = int(std::lround(layout.to_pixel(layout.x.ticks[t], layout.y.lo).x));
    fill_rect(&image, px, top, 1, bottom - top, grid);
    fill_rect(&image, px, bottom, 1, kTick + 1, frame);
    const std::string& label = layout.x.labels[t];
    draw_text(&image, px - text_width(label) / 2, bottom + kTick + 2, label, text);
  }
  for (size_t t = 0; t < layout.y.ticks.size(); ++t) {
    const int py = int(std::lround(layout.to_pixel(layout.x.lo, layout.y.ticks[t]).y));
    fill_rect(&image, left + 1, py, right - left, 1, grid);
    fill_rect(&image, left - kTick, py, kTick + 1, 1, frame);
    const std::string& label = layout.y.labels[t];
    draw_text(&image, left - kTick - 3 - text_width(label), py - text_height() / 2 + 1, label, text);
  }
  outline_rect(&image, left, top, right - left + 1, bottom - top + 1, frame);

  draw_text(&image, (width - text_width(title, kTitleScale)) / 2, kMargin, title, text, kTitleScale);
  draw_text(&image, kMargin, top - kGap - text_height(), y_label, text);
  draw_text(&image, (left + right - text_width(x_label)) / 2, height - kMargin - text_height(), x_label, text);

  for_each_piece(series, layout, [&](size_t i, Point p, Point q) {
    if (p.x == q.x && p.y == q.y) draw_disk(&image, float(p.x), float(p.y), 2.5f, series_colour(int(i)));
    else draw_line(&image, float(p.x), float(p.y), float(q.x), float(q.y), 1.25f, series_colour(int(i)));
  });

  // The legend: a short line in each series' colour, then its name, in the corner of the axes
  // that hides the least data (top right, top left, bottom right, bottom left on a tie).
  int entries = 0, name_width = 0;
  for (const Series& s : series)
    if (!s.name.empty()) {
      ++entries;
      name_width = std::max(name_width, text_width(s.name));
    }
  if (entries == 0) return image;
  const int row = text_height() + 5, swatch = 18;
  const int box_w = kGap + swatch + kGap + name_width + kGap, box_h = entries * row + kGap - 1;
  int box_x = 0, box_y = 0, least = -1;
  for (int corner = 0; corner < 4; ++corner) {
    const int x = corner % 2 == 0 ? right - kMargin - box_w : left + kMargin;
    const int y = corner < 2 ? top + kMargin : bottom - kMargin - box_h;
    const int hidden = data_inside(series, layout, x, y, x + box_w - 1, y + box_h - 1);
    if (least < 0 || hidden < least) {
      least = hidden;
      box_x = x;
      box_y = y;
    }
  }
  fill_rect(&image, box_x, box_y, box_w, box_h, Rgb{255, 255, 255}, 0.9f);
  outline_rect(&image, box_x, box_y, box_w, box_h, grid);
  int y = box_y + kGap - 1;
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i].name.empty()) continue;
    const float line_y = float(y + text_height() / 2);
    draw_line(&image, float(box_x + kGap), line_y, float(box_x + kGap + swatch), line_y, 1.25f,
              series_colour(int(i)));
    draw_text(&image, box_x + kGap + swatch + kGap, y, series[i].name, text);
    y += row;
  }
  return image;
}

}  // namespace sar
