// Line plots (eval/plot.h): nice tick values, the axis mapping (a known point lands on its
// pixel in its series' colour), broken lines and dots, log axes, the empty plot, and the PNG.
#include <unistd.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/error.h"
#include "core/philox.h"
#include "datasets/image_io.h"
#include "eval/plot.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::error_of;

namespace {

Rgb pixel(const Image& image, int x, int y) {
  const uint8_t* p = &image.rgb[(size_t(y) * image.width + x) * 3];
  return {p[0], p[1], p[2]};
}

Rgb pixel_at(const Image& image, Point p) { return pixel(image, int(std::lround(p.x)), int(std::lround(p.y))); }

int count_colour(const Image& image, Rgb colour) {
  int count = 0;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) count += pixel(image, x, y) == colour;
  return count;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The step's mantissa: 1, 2 or 5 for a nice step.
double mantissa(double step) { return step / std::pow(10.0, std::floor(std::log10(step) + 1e-9)); }

}  // namespace

TEST_CASE("plot: nice_axis: hand-checked ranges and labels") {
  Axis a = nice_axis(0, 1, 5);
  CHECK(a.lo == 0);
  CHECK(a.hi == 1);
  CHECK(a.labels == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  a = nice_axis(0.13, 0.87, 5);  // step 0.2 covers it from 0 to 1
  CHECK(a.labels == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  a = nice_axis(-3, 47, 5);  // step 10 would need -10..50, 6 intervals: 20 it is
  CHECK(a.labels == std::vector<std::string>{"-20", "0", "20", "40", "60"});
  a = nice_axis(1200, 4800, 4);
  CHECK(a.labels == std::vector<std::string>{"1000", "2000", "3000", "4000", "5000"});
  a = nice_axis(1.2e6, 1.45e6, 5);  // exponent notation, with the digits the step needs
  CHECK(a.labels == std::vector<std::string>{"1.2e+06", "1.25e+06", "1.3e+06", "1.35e+06", "1.4e+06", "1.45e+06"});
  a = nice_axis(0.0012, 0.0049, 8);
  CHECK(a.labels.front() == "0.0010");
  CHECK(a.labels.back() == "0.0050");
  CHECK(a.ticks.size() == 9);
  a = nice_axis(-0.3, 0.3, 6);
  CHECK(a.labels == std::vector<std::string>{"-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"});
  CHECK(a.ticks[3] == 0);  // an exact zero, printed without a sign
  // A single value is widened by 10% each side (by 1 at zero).
  a = nice_axis(5, 5, 4);
  CHECK(a.lo <= 4.5);
  CHECK(a.hi >= 5.5);
  a = nice_axis(0, 0, 4);
  CHECK(a.labels == std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"});
  CHECK(contains(error_of([] { nice_axis(1, 0, 5); }), "nice_axis: expected finite lo <= hi"));
  CHECK(contains(error_of([] { nice_axis(0, INFINITY, 5); }), "nice_axis"));
}

TEST_CASE("plot: nice_axis: the smallest 1-2-5 step that covers the range in max_intervals") {
  for (uint32_t i = 0; i < 2000; ++i) {
    // Random ranges over many magnitudes: centre in [-1, 1] x 10^e, width up to 10^e.
    auto draw = [&](uint64_t k) { return philox_uniform<double>(philox4x32_10(4 * uint64_t(i) + k, 17)); };
    const double e = std::floor(draw(0) * 16) - 8;
    const double scale = std::pow(10.0, e), centre = (2 * draw(1) - 1) * scale;
    const double half = draw(2) * scale / 2 + scale * 1e-6;
    const int max_intervals = 2 + int(draw(3) * 9);
    const double lo = centre - half, hi = centre + half;
    CAPTURE(lo);
    CAPTURE(hi);
    CAPTURE(max_intervals);
    const Axis a = nice_axis(lo, hi, max_intervals);
    REQUIRE(a.ticks.size() >= 2);
    const double step = a.ticks[1] - a.ticks[0];
    const double m = mantissa(step);
    CHECK((std::fabs(m - 1) < 1e-6 || std::fabs(m - 2) < 1e-6 || std::fabs(m - 5) < 1e-6));
    CHECK(int(a.ticks.size()) - 1 <= max_intervals);
    CHECK(a.lo <= lo);
    CHECK(a.hi >= hi);
    CHECK(a.ticks.front() == a.lo);
    CHECK(a.ticks.back() == a.hi);
    // The next smaller nice step would need more intervals.
    const long nice = std::lround(m);
    const double smaller = nice == 5 ? step * 2 / 5 : step / 2;
    CHECK(std::ceil(hi / smaller - 1e-9) - std::floor(lo / smaller + 1e-9) > max_intervals);
    CHECK(a.labels.size() == a.ticks.size());
  }
}

TEST_CASE("plot: log_axis: powers of ten, and 2 and 5 over few decades") {
  Axis a = log_axis(0.003, 20, 8);
  CHECK(a.log);
  CHECK(a.labels == std::vector<std::string>{"0.001", "0.01", "0.1", "1", "10", "100"});
  a = log_axis(0.3, 0.8, 5);
  CHECK(a.labels == std::vector<std::string>{"0.1", "0.2", "0.5", "1"});
  a = log_axis(0.3, 8, 6);  // 2 decades: room for 2 and 5 as well
  CHECK(a.labels == std::vector<std::string>{"0.1", "0.2", "0.5", "1", "2", "5", "10"});
  a = log_axis(1e-10, 1e10, 5);  // 20 decades, 5 intervals: every 4th
  CHECK(a.labels == std::vector<std::string>{"1e-10", "1e-06", "0.01", "100", "1e+06", "1e+10"});
  a = log_axis(1, 1, 5);
  CHECK(a.lo == 1);
  CHECK(a.hi == 10);
  CHECK(a.fraction(std::sqrt(10.0)) == doctest::Approx(0.5));
  CHECK(contains(error_of([] { log_axis(0, 1, 5); }), "log_axis: expected finite 0 < lo"));
}

TEST_CASE("plot: a known point lands on its pixel in its series' colour") {
  const std::vector<Series> series = {{"train loss", {0, 5, 10}, {0, 0.5, 1}},
                                      {"val loss", {0, 10}, {0.8, 0.9}}};
  const PlotLayout layout = plot_layout(series, 640, 400, false);
  CHECK(layout.x.lo == 0);
  CHECK(layout.x.hi == 10);
  CHECK(layout.y.lo == 0);
  CHECK(layout.y.hi == 1);
  CHECK(layout.to_pixel(0, 0).x == layout.left);
  CHECK(layout.to_pixel(0, 0).y == layout.bottom);
  CHECK(layout.to_pixel(10, 1).x == layout.right);
  CHECK(layout.to_pixel(10, 1).y == layout.top);
  CHECK(layout.left > 8);
  CHECK(layout.right < 640);
  CHECK(layout.bottom < 400);

  const Image image = plot_lines("Loss", "epoch", "loss", series, 640, 400);
  REQUIRE(image.width == 640);
  REQUIRE(image.height == 400);
  CHECK(pixel_at(image, layout.to_pixel(5, 0.5)) == series_colour(0));
  CHECK(pixel_at(image, layout.to_pixel(2.5, 0.25)) == series_colour(0));  // on the segment
  CHECK(pixel_at(image, layout.to_pixel(2, 0.82)) == series_colour(1));
  CHECK(pixel_at(image, layout.to_pixel(7.5, 0.25)) == Rgb{255, 255, 255});  // far from both lines and the grid
  CHECK(series_colour(0) != series_colour(1));
  CHECK(series_colour(0) != series_colour(7));  // the second round is darker
}

TEST_CASE("plot: non-finite points break the line, and a lone point is a dot") {
  const std::vector<Series> series = {{"", {0, 1, 2, 3, 4, 5}, {0, NAN, 2, INFINITY, 4, 5}}};
  const PlotLayout layout = plot_layout(series, 400, 300, false);
  CHECK(layout.y.lo == 0);
  CHECK(layout.y.hi == 5);  // the infinity is not part of the range
  const Image image = plot_lines("gaps", "x", "y", series, 400, 300);
  const Rgb colour = series_colour(0);
  CHECK(pixel_at(image, layout.to_pixel(0, 0)) == colour);   // a dot: both neighbours missing
  CHECK(pixel_at(image, layout.to_pixel(2, 2)) == colour);
  CHECK(pixel_at(image, layout.to_pixel(4.5, 4.5)) == colour);  // 4 -> 5 is a segment
  // No line through the NaN (between 0 and 2) nor the infinity (between 2 and 4).
  auto colour_near = [&](Point p) {
    int count = 0;
    for (int dy = -4; dy <= 4; ++dy)
      for (int dx = -4; dx <= 4; ++dx) count += pixel(image, int(p.x) + dx, int(p.y) + dy) == colour;
    return count;
  };
  CHECK(colour_near(layout.to_pixel(1, 1)) == 0);
  CHECK(colour_near(layout.to_pixel(3, 3)) == 0);
  CHECK(colour_near(layout.to_pixel(2, 2)) > 0);

  // A single point: its range is widened around it and it shows as a dot.
  const std::vector<Series> one = {{"one", {3}, {0.7}}};
  const PlotLayout one_layout = plot_layout(one, 400, 300, false);
  CHECK(one_layout.x.lo < 3);
  CHECK(one_layout.x.hi > 3);
  CHECK(pixel_at(plot_lines("one", "", "", one, 400, 300), one_layout.to_pixel(3, 0.7)) == series_colour(0));
}

TEST_CASE("plot: log_y places points by log10 and skips y <= 0") {
  const std::vector<Series> series = {{"loss", {0, 1, 2, 3}, {10, 1, 0, 0.01}}};
  const PlotLayout layout = plot_layout(series, 640, 400, true);
  CHECK(layout.y.lo == doctest::Approx(0.01));
  CHECK(layout.y.hi == doctest::Approx(10));
  CHECK(layout.to_pixel(0, 0.1).y == doctest::Approx(layout.bottom - (layout.bottom - layout.top) / 3.0));
  const Image image = plot_lines("loss", "step", "loss", series, 640, 400, true);
  CHECK(pixel_at(image, layout.to_pixel(0.5, std::sqrt(10.0))) == series_colour(0));  // halfway in log space
  CHECK(pixel_at(image, layout.to_pixel(3, 0.01)) == series_colour(0));  // a dot: its neighbour was 0
}

TEST_CASE("plot: no drawable point gives an empty frame with the title") {
  const Rgb white{255, 255, 255}, text{40, 40, 40}, frame{90, 90, 90};
  for (const std::vector<Series>& series :
       {std::vector<Series>{}, std::vector<Series>{{"", {0, 1}, {NAN, NAN}}}}) {  // unnamed: no legend
    const Image image = plot_lines("Validation AP", "epoch", "AP", series, 320, 200);
    const PlotLayout layout = plot_layout(series, 320, 200, false);
    CHECK(image.width == 320);
    CHECK(image.height == 200);
    CHECK(layout.x.ticks.empty());
    CHECK(layout.y.ticks.empty());
    CHECK(pixel(image, layout.left, layout.top) == frame);
    CHECK(pixel(image, layout.right, layout.bottom) == frame);
    CHECK(pixel(image, (layout.left + layout.right) / 2, (layout.top + layout.bottom) / 2) == white);
    // The title: scale-2 text centred in the top rows.
    int title = 0;
    for (int y = 8; y < 8 + text_height(2); ++y)
      for (int x = 0; x < 320; ++x) title += pixel(image, x, y) == text;
    CHECK(title > 50);
    CHECK(count_colour(image, series_colour(0)) == 0);
  }
}

TEST_CASE("plot: a plot written as PNG decodes to the same picture") {
  const Image image = plot_lines("AP", "epoch", "AP", {{"AP", {1, 2, 3}, {0.2, 0.5, 0.6}}}, 300, 200);
  const std::string path = test::temp_path("plot.png");
  write_png(path, image);
  const Image back = decode_image(path);
  ::unlink(path.c_str());
  CHECK(back.width == 300);
  CHECK(back.height == 200);
  CHECK(back.rgb == image.rgb);
}

TEST_CASE("plot: bad arguments are refused, naming them") {
  CHECK(contains(error_of([] { plot_lines("t", "x", "y", {{"bad", {1, 2}, {1}}}); }),
                 "plot_lines: series 'bad' has 2 x values and 1 y values"));
  CHECK(contains(error_of([] { plot_lines("t", "x", "y", {}, 100, 400); }), "width and height"));
}

TEST_CASE("plot: the legend takes the corner that hides the least data") {
  const Rgb text{40, 40, 40};
  // Text pixels in the top-left and top-right quarters of the axes.
  auto legend_text = [&](const std::vector<Series>& series, bool right_side) {
    const PlotLayout layout = plot_layout(series, 480, 300, false);
    const Image image = plot_lines("", "", "", series, 480, 300);
    const int mid = (layout.left + layout.right) / 2, x0 = right_side ? mid : layout.left + 1;
    const int x1 = right_side ? layout.right : mid;
    int count = 0;
    for (int y = layout.top + 1; y < (layout.top + layout.bottom) / 2; ++y)
      for (int x = x0; x < x1; ++x) count += pixel(image, x, y) == text;
    return count;
  };
  const std::vector<Series> falling = {{"loss", {0, 1, 2, 3}, {4, 2, 1, 0.5}}};  // top right is free
  CHECK(legend_text(falling, true) > 0);
  CHECK(legend_text(falling, false) == 0);
  const std::vector<Series> rising = {{"AP", {0, 1, 2, 3}, {0.1, 0.5, 0.7, 0.75}}};  // top left is free
  CHECK(legend_text(rising, true) == 0);
  CHECK(legend_text(rising, false) > 0);
}
