// plot.h: line plots as RGB Images, drawn with datasets/draw.h: the training loop's loss and
// metric curves (write them with write_png from datasets/image_io.h).
//
// Axes span the finite data rounded outward to "nice" tick values (1, 2 or 5 x 10^k apart),
// with light grid lines at the ticks; log_y puts y ticks at powers of ten (with 2 and 5 x 10^k
// too when the data spans few decades). Each series gets a colour from a colour-blind-safe
// palette and, when named, a legend entry; the legend sits in the corner of the axes that hides
// the least data. A non-finite point (and, with log_y, a y <= 0) is skipped and breaks the line
// there; a point with no drawn neighbour is a dot. With no drawable point at all the plot is an
// empty frame with the title and axis labels.
#pragma once

#include <string>
#include <vector>

#include "datasets/draw.h"
#include "datasets/sample.h"

namespace sar {

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length
};

// One axis: its range, where its ticks go and what they say.
struct Axis {
  double lo = 0, hi = 1;             // data values at the two ends
  bool log = false;                  // positions by log10(value)
  std::vector<double> ticks;         // ascending, within [lo, hi]
  std::vector<std::string> labels;   // one per tick
  double fraction(double value) const;  // 0 at lo, 1 at hi (log10 scale when log)
};

// A linear axis over the data range [lo, hi] (lo <= hi, both finite): step is the smallest of
// 1, 2, 5 x 10^k that covers [lo, hi], rounded outward to multiples of step, in at most
// max_intervals steps; the ends are ticks. A zero-width range is widened by 10% of |lo| (or by 1
// at 0) each side first. Labels print as many decimals as step needs.
Axis nice_axis(double lo, double hi, int max_intervals);

// A log10 axis over [lo, hi] (0 < lo <= hi): the ends are the powers of ten at or around them;
// ticks at every power of ten (every n-th when there are more than max_intervals decades), and
// at 2 and 5 x 10^k as well when the axis spans a single decade or 3 x its decades fit in
// max_intervals.
Axis log_axis(double lo, double hi, int max_intervals);

// Where plot_lines draws: the axes' box is pixels [left, right] x [top, bottom].
struct PlotLayout {
  int left = 0, top = 0, right = 0, bottom = 0;
  Axis x, y;
  Point to_pixel(double x_value, double y_value) const;  // (left, bottom) at (x.lo, y.lo)
};
PlotLayout plot_layout(const std::vector<Series>& series, int width, int height, bool log_y);

// The colour of series i (cycles after the palette's 7 colours, with a darker shade).
Rgb series_colour(int i);

// Throws when width < 160 or height < 120, or a series' x and y differ in length.
Image plot_lines(const std::string& title, const std::string& x_label, const std::string& y_label,
                 const std::vector<Series>& series, int width = 640, int height = 400, bool log_y = false);

}  // namespace sar
