// visualize.cpp: crops, poses, confidence maps and grids as pictures (eval/visualize.h).
#include "eval/visualize.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/error.h"

namespace sar {

Image crop_to_image(const float* chw, int h, int w, const TopdownConfig& config) {
  SAR_CHECK(chw != nullptr && h > 0 && w > 0, "crop_to_image: expected a [3, h, w] crop with h, w > 0, got ", h, "x",
            w);
  const size_t plane = size_t(h) * w;
  Image out;
  out.height = h;
  out.width = w;
  out.rgb.resize(plane * 3);
  for (int c = 0; c < 3; ++c)
    for (size_t i = 0; i < plane; ++i) {
      const double value = double(chw[c * plane + i]) * config.std[c] + config.mean[c];
      out.rgb[i * 3 + c] = uint8_t(std::clamp(std::lround(value), 0L, 255L));
    }
  return out;
}

namespace {

// 'l' for a left keypoint (left_*, l_*, *_left, *_l), 'r' for a right one, 'c' for neither.
char side_of(const std::string& name) {
  const auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  const auto ends = [&](const std::string& q) {
    return name.size() >= q.size() && name.compare(name.size() - q.size(), q.size(), q) == 0;
  };
  if (starts("left_") || starts("l_") || ends("_left") || ends("_l")) return 'l';
  if (starts("right_") || starts("r_") || ends("_right") || ends("_r")) return 'r';
  return 'c';
}

}  // namespace

Rgb keypoint_colour(const DatasetMeta& meta, int j) {
  const int K = meta.num_keypoints();
  int rank = 0, count = 0, sided = 0;
  const char side = side_of(meta.keypoint_names[size_t(j)]);
  for (int k = 0; k < K; ++k) {
    const char s = side_of(meta.keypoint_names[size_t(k)]);
    sided += s != 'c';
    if (s != side) continue;
    rank += k < j;
    ++count;
  }
  if (sided == 0) return hsv(360.0 * j / std::max(1, K), 0.9, 1.0);  // no sides to tell apart
  const double t = count > 1 ? double(rank) / (count - 1) : 0.5;  // place along its side's range
  if (side == 'l') return hsv(90 + 150 * t, 0.9, 1.0);                        // green, cyan, blue
  if (side == 'r') return hsv(std::fmod(300 + 100 * t, 360.0), 0.9, 1.0);   // magenta, red, orange
  return hsv(55, 0.9 - 0.6 * t, 1.0);                                         // yellow to pale
}

void draw_label(Image* image, int x, int y, const std::string& text, Rgb colour) {
  fill_rect(image, x - 1, y - 1, text_width(text) + 2, text_height() + 2, Rgb{0, 0, 0}, 0.55f);
  draw_text(image, x, y, text, colour);
}

void draw_pose(Image* image, const std::vector<double>& keypoints, const DatasetMeta& meta, double min_score,
               bool label_scores) {
  const int K = meta.num_keypoints();
  SAR_CHECK(keypoints.size() == size_t(3 * K), "draw_pose: keypoints must hold 3 * K = ", 3 * K,
            " values (x, y, score) for the ", K, " keypoints of '", meta.name, "', got ", keypoints.size());
  auto drawn = [&](int j) { return std::isfinite(keypoints[3 * j]) && std::isfinite(keypoints[3 * j + 1]); };
  auto confident = [&](int j) { return drawn(j) && keypoints[3 * j + 2] >= min_score; };
  const float unit = float(std::max(1.0, std::min(image->height, image->width) / 256.0));
  const Rgb outline{0, 0, 0};

  // Limbs first, so the discs sit on top of them: a dark outline under a coloured core shows on
  // any background; a limb takes its first keypoint's colour.
  for (auto [a, b] : meta.skeleton) {
    SAR_CHECK(a >= 0 && a < K && b >= 0 && b < K, "draw_pose: meta '", meta.name, "' skeleton limb (", a, ", ", b,
              ") names a keypoint out of range for K = ", K);
    if (!confident(a) || !confident(b)) continue;
    const float xa = float(keypoints[3 * a]), ya = float(keypoints[3 * a + 1]);
    const float xb = float(keypoints[3 * b]), yb = float(keypoints[3 * b + 1]);
    draw_line(image, xa, ya, xb, yb, 1.6f * unit, outline, 0.8f);
    draw_line(image, xa, ya, xb, yb, 0.7f * unit, keypoint_colour(meta, a));
  }
  for (int j = 0; j < K; ++j) {
    if (!drawn(j)) continue;
    const float x = float(keypoints[3 * j]), y = float(keypoints[3 * j + 1]);
    if (confident(j)) {
      draw_disk(image, x, y, 3.2f * unit, outline);
      draw_disk(image, x, y, 2.2f * unit, keypoint_colour(meta, j));
    } else {
      draw_disk(image, x, y, 2.2f * unit, keypoint_colour(meta, j), 0.4f);
    }
  }
  if (!label_scores) return;
  for (int j = 0; j < K; ++j) {  // after every disc, so no disc covers a label
    if (!drawn(j)) continue;
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", keypoints[3 * j + 2]);
    const int x = int(std::lround(keypoints[3 * j] + 3.2 * unit + 2));
    const int y = int(std::lround(keypoints[3 * j + 1])) - text_height() / 2;
    draw_label(image, x, y, text, keypoint_colour(meta, j));
  }
}

Rgb colormap(double value) {
  // Anchors at 0, 1/4, 1/2, 3/4, 1, read off viridis (van der Walt and Smith, CC0), joined by
  // straight lines in RGB: luminance rises monotonically, and it reads in grey and to the
  // colour-blind.
  static const double kAnchor[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  const double v = std::isnan(value) ? 0.0 : std::clamp(value, 0.0, 1.0) * 4;
  const int i = std::min(3, int(v));
  const double t = v - i;
  auto channel = [&](int c) { return round_to_byte(kAnchor[i][c] + (kAnchor[i + 1][c] - kAnchor[i][c]) * t); };
  return {channel(0), channel(1), channel(2)};
}

namespace {

// Map k of maps [K, h, w] at the fractional cell (u, v), bilinear, the cell index clamped to the map.
double bilinear(const float* map, int h, int w, double u, double v) {
  u = std::clamp(u, 0.0, double(w - 1));
  v = std::clamp(v, 0.0, double(h - 1));
  const int j0 = std::min(int(u), w - 1), i0 = std::min(int(v), h - 1);
  const int j1 = std::min(j0 + 1, w - 1), i1 = std::min(i0 + 1, h - 1);
  const double fu = u - j0, fv = v - i0;
  const double top = map[i0 * w + j0] * (1 - fu) + map[i0 * w + j1] * fu;
  const double bottom = map[i1 * w + j0] * (1 - fu) + map[i1 * w + j1] * fu;
  return top * (1 - fv) + bottom * fv;
}

}  // namespace

Image confidence_grid(const Image& crop, const Tensor& maps, const DatasetMeta& meta, int columns) {
  const int K = meta.num_keypoints();
  SAR_CHECK(crop.height > 0 && crop.width > 0 && crop.rgb.size() == size_t(crop.height) * crop.width * 3,
            "confidence_grid: crop must be a non-empty RGB image, got ", crop.height, "x", crop.width, " with ",
            crop.rgb.size(), " bytes");
  SAR_CHECK(maps.defined() && maps.ndim() == 3 && maps.size(0) == K,
            "confidence_grid: maps must be [K, h, w] with K = ", K, " (", meta.name, "), got ",
            maps.defined() ? cat(maps.shape()) : std::string("an undefined tensor"));
  SAR_CHECK(maps.dtype() == DType::F32 && !maps.is_cuda(), "confidence_grid: maps must be float32 on the CPU, got ",
            dtype_name(maps.dtype()), " on ", maps.is_cuda() ? "cuda" : "cpu");
  SAR_CHECK(columns >= 1, "confidence_grid: columns must be >= 1, got ", columns);
  const int h = int(maps.size(1)), w = int(maps.size(2)), H = crop.height, W = crop.width;
  const float* all = maps.data<float>();
  std::vector<Image> tiles;
  for (int k = 0; k < K; ++k) {
    const float* map = all + size_t(k) * h * w;
    Image tile = crop;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        // Crop pixel (x, y) sits at cell (x w / W, y h / H): the inverse of cell index x stride.
        const Rgb hot = colormap(bilinear(map, h, w, double(x) * w / W, double(y) * h / H));
        uint8_t* px = &tile.rgb[(size_t(y) * W + x) * 3];
        const uint8_t rgb[3] = {hot.r, hot.g, hot.b};
        for (int c = 0; c < 3; ++c) px[c] = round_to_byte(px[c] + (rgb[c] - px[c]) * kConfidenceAlpha);
      }
    draw_label(&tile, 3, 3, meta.keypoint_names[k], Rgb{255, 255, 255});
    tiles.push_back(std::move(tile));
  }
  return tile_images(tiles, columns, 2, Rgb{48, 48, 48});
}

Image tile_images(const std::vector<Image>& images, int columns, int padding, Rgb background) {
  SAR_CHECK(!images.empty(), "tile_images: no images to tile");
  SAR_CHECK(columns >= 1 && padding >= 0, "tile_images: expected columns >= 1 and padding >= 0, got ", columns,
            " and ", padding);
  int cell_h = 0, cell_w = 0;
  for (const Image& im : images) {
    cell_h = std::max(cell_h, im.height);
    cell_w = std::max(cell_w, im.width);
  }
  const int n = int(images.size()), across = std::min(columns, n), rows = (n + across - 1) / across;
  Image grid;
  grid.height = rows * cell_h + (rows + 1) * padding;
  grid.width = across * cell_w + (across + 1) * padding;
  grid.rgb.resize(size_t(grid.height) * grid.width * 3);
  for (size_t i = 0; i < grid.rgb.size(); i += 3) {
    grid.rgb[i] = background.r;
    grid.rgb[i + 1] = background.g;
    grid.rgb[i + 2] = background.b;
  }
  for (int t = 0; t < n; ++t) {
    const Image& im = images[t];
    const int y0 = padding + t / across * (cell_h + padding), x0 = padding + t % across * (cell_w + padding);
    for (int y = 0; y < im.height; ++y)
      std::copy_n(&im.rgb[size_t(y) * im.width * 3], size_t(im.width) * 3,
                  &grid.rgb[(size_t(y0 + y) * grid.width + x0) * 3]);
  }
  return grid;
}

Image upscale(const Image& image, int factor) {
  SAR_CHECK(factor >= 1, "upscale: factor must be >= 1, got ", factor);
  Image out;
  out.height = image.height * factor;
  out.width = image.width * factor;
  out.rgb.resize(size_t(out.height) * size_t(out.width) * 3);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < 3; ++c)
        out.rgb[(size_t(y) * size_t(out.width) + size_t(x)) * 3 + size_t(c)] =
            image.rgb[(size_t(y / factor) * size_t(image.width) + size_t(x / factor)) * 3 + size_t(c)];
  return out;
}

}  // namespace sar
