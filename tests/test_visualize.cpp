// Drawing (datasets/draw.h) and the visualizations built on it (eval/visualize.h): text and
// rectangles land on exactly their pixels, crops round-trip their normalization, poses and
// confidence maps put the right colour at the right pixel, grids have the expected layout, and
// a written PNG decodes to the same picture.
#include <unistd.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/error.h"
#include "datasets/image_io.h"
#include "eval/visualize.h"
#include "tests/test_util.h"
#include "train/run_pngs.h"

using namespace sar;
using sar::test::error_of;

namespace {

Image filled(int h, int w, Rgb colour) {
  Image image;
  image.height = h;
  image.width = w;
  image.rgb.resize(size_t(h) * w * 3);
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    image.rgb[i] = colour.r;
    image.rgb[i + 1] = colour.g;
    image.rgb[i + 2] = colour.b;
  }
  return image;
}

Rgb pixel(const Image& image, int x, int y) {
  const uint8_t* p = &image.rgb[(size_t(y) * image.width + x) * 3];
  return {p[0], p[1], p[2]};
}

// `over` blended into `under` at `alpha`, rounded as paint() rounds.
Rgb blend(Rgb under, Rgb over, double alpha) {
  auto mix = [&](uint8_t u, uint8_t o) { return uint8_t(std::lround(u + (o - u) * alpha)); };
  return {mix(under.r, over.r), mix(under.g, over.g), mix(under.b, over.b)};
}

// The pixels that differ from `colour`, and the box (x0, y0, x1, y1) holding them.
int changed(const Image& image, Rgb colour, int* box = nullptr) {
  int count = 0, x0 = image.width, y0 = image.height, x1 = -1, y1 = -1;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      if (pixel(image, x, y) != colour) {
        ++count;
        x0 = std::min(x0, x); y0 = std::min(y0, y);
        x1 = std::max(x1, x); y1 = std::max(y1, y);
      }
  if (box) { box[0] = x0; box[1] = y0; box[2] = x1; box[3] = y1; }
  return count;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

DatasetMeta three_keypoints() {
  DatasetMeta meta;
  meta.name = "three";
  meta.keypoint_names = {"nose", "left_hand", "right_hand"};
  meta.skeleton = {{0, 1}, {0, 2}};
  return meta;
}

}  // namespace

TEST_CASE("draw: hsv gives the primaries, and a hue wraps around") {
  CHECK(hsv(0, 1, 1) == Rgb{255, 0, 0});
  CHECK(hsv(120, 1, 1) == Rgb{0, 255, 0});
  CHECK(hsv(240, 1, 1) == Rgb{0, 0, 255});
  CHECK(hsv(360 + 120, 1, 1) == hsv(120, 1, 1));
  CHECK(hsv(-120, 1, 1) == hsv(240, 1, 1));
  CHECK(hsv(77, 0, 0.5) == Rgb{128, 128, 128});  // no saturation: grey
}

TEST_CASE("draw: fill_rect covers exactly its pixels, clipped, and blends by alpha") {
  const Rgb grey{100, 100, 100}, red{250, 0, 0};
  Image image = filled(10, 12, grey);
  fill_rect(&image, 2, 3, 4, 5, red);
  int box[4];
  CHECK(changed(image, grey, box) == 20);
  CHECK(box[0] == 2); CHECK(box[1] == 3); CHECK(box[2] == 5); CHECK(box[3] == 7);
  CHECK(pixel(image, 2, 3) == red);
  CHECK(pixel(image, 5, 7) == red);

  Image clipped = filled(10, 12, grey);
  fill_rect(&clipped, -3, 8, 5, 10, red);  // 2 columns x 2 rows fall inside
  CHECK(changed(clipped, grey) == 4);
  fill_rect(&clipped, 100, 100, 5, 5, red);  // wholly outside: nothing, no crash
  fill_rect(&clipped, 0, 0, 0, 5, red);      // empty
  CHECK(changed(clipped, grey) == 4);

  Image half = filled(4, 4, grey);
  fill_rect(&half, 0, 0, 1, 1, red, 0.5f);
  CHECK(pixel(half, 0, 0) == blend(grey, red, 0.5));
}

TEST_CASE("draw: draw_disk and draw_line colour their centre pixels and nothing far away") {
  const Rgb black{0, 0, 0}, green{0, 200, 0};
  Image image = filled(40, 40, black);
  draw_disk(&image, 10, 10, 3, green);
  CHECK(pixel(image, 10, 10) == green);
  CHECK(pixel(image, 12, 10) == green);  // 2 px from the centre: inside
  CHECK(pixel(image, 15, 10) == black);  // 5 px: outside the 1 px blur
  draw_line(&image, 5, 30, 35, 30, 1.0f, green);
  CHECK(pixel(image, 20, 30) == green);
  CHECK(pixel(image, 20, 33) == black);
  CHECK(pixel(image, 38, 30) == black);  // beyond the end cap
}

TEST_CASE("draw: draw_text marks pixels inside its box only, and text_width is right") {
  CHECK(text_width("") == 0);
  CHECK(text_width("A") == 5);
  CHECK(text_width("Hi") == 11);  // 6 per character less the last gap
  CHECK(text_width("abc", 2) == 34);
  CHECK(text_height() == 9);
  CHECK(text_height(3) == 27);

  const Rgb black{0, 0, 0}, white{255, 255, 255};
  for (const std::string text : {"Hg", "0.87", "left_wrist", "AP (%) = 7/9 + x:y"}) {
    CAPTURE(text);
    for (int scale : {1, 2}) {
      CAPTURE(scale);
      Image image = filled(40, 250, black);
      draw_text(&image, 3, 4, text, white, scale);
      int box[4];
      CHECK(changed(image, black, box) > 0);
      CHECK(box[0] >= 3);
      CHECK(box[1] >= 4);
      CHECK(box[2] < 3 + text_width(text, scale));
      CHECK(box[3] < 4 + text_height(scale));
      CHECK(box[0] <= 3 + scale);  // every string here starts with a glyph touching its left columns
    }
  }
  // Each font pixel is a scale x scale block: 4 times the pixels at scale 2.
  Image one = filled(20, 80, black), two = filled(40, 160, black);
  draw_text(&one, 0, 0, "Keypoint", white, 1);
  draw_text(&two, 0, 0, "Keypoint", white, 2);
  CHECK(changed(two, black) == 4 * changed(one, black));
  // A descender reaches below the baseline (row 7), a capital does not.
  Image g = filled(12, 8, black), G = filled(12, 8, black);
  draw_text(&g, 0, 0, "g", white);
  draw_text(&G, 0, 0, "G", white);
  int box_g[4], box_G[4];
  changed(g, black, box_g);
  changed(G, black, box_G);
  CHECK(box_g[3] == 8);
  CHECK(box_G[3] == 6);
  // A character the font lacks is a box: its outline, not its inside.
  Image unknown = filled(12, 8, black);
  draw_text(&unknown, 0, 0, "\x01", white);
  CHECK(pixel(unknown, 0, 0) == white);
  CHECK(pixel(unknown, 4, 6) == white);
  CHECK(pixel(unknown, 2, 3) == black);
  // Text running off the image is clipped, not a crash.
  Image small = filled(5, 5, black);
  draw_text(&small, -3, -2, "WWW", white, 2);
  CHECK(changed(small, black) > 0);
}

TEST_CASE("visualize: crop_to_image undoes the normalization, rounded and clamped") {
  TopdownConfig config;
  const int h = 2, w = 3;
  std::vector<float> chw(3 * h * w);
  const uint8_t want[6] = {0, 1, 127, 128, 254, 255};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < h * w; ++i) chw[c * h * w + i] = (float(want[i]) - config.mean[c]) / config.std[c];
  chw[0] = -10;  // far below 0 in channel r
  chw[5] = 10;   // far above 255
  const Image image = crop_to_image(chw.data(), h, w, config);
  REQUIRE(image.height == h);
  REQUIRE(image.width == w);
  for (int i = 0; i < h * w; ++i)
    for (int c = 0; c < 3; ++c) CHECK(int(image.rgb[3 * i + c]) == int(want[i]));
  CHECK(contains(error_of([&] { crop_to_image(chw.data(), 0, w, config); }), "crop_to_image"));
}

TEST_CASE("visualize: draw_pose puts each keypoint's colour at its pixel and leaves far pixels alone") {
  const DatasetMeta meta = three_keypoints();
  const Rgb grey{100, 100, 100};
  Image image = filled(64, 64, grey);
  // Keypoints 0 and 1 confident, 2 below min_score: dim, and no limb 0-2.
  const std::vector<double> keypoints = {10, 10, 0.9, 40, 10, 0.8, 30, 50, 0.1};
  draw_pose(&image, keypoints, meta, 0.5, false);
  CHECK(pixel(image, 10, 10) == keypoint_colour(meta, 0));
  CHECK(pixel(image, 40, 10) == keypoint_colour(meta, 1));
  CHECK(pixel(image, 25, 10) == keypoint_colour(meta, 0));  // on limb 0-1: its first keypoint's colour
  CHECK(pixel(image, 30, 50) == blend(grey, keypoint_colour(meta, 2), 0.4));
  CHECK(pixel(image, 20, 30) == grey);  // halfway along the limb 0-2 that is not drawn
  CHECK(pixel(image, 60, 60) == grey);
  CHECK(pixel(image, 25, 14) == grey);  // 4 px off the limb

  // nose: neither side (yellow); left_hand cool, right_hand warm, each alone on its side (mid-range)
  CHECK(keypoint_colour(meta, 0) == hsv(55, 0.6, 1));
  CHECK(keypoint_colour(meta, 1) == hsv(165, 0.9, 1));
  CHECK(keypoint_colour(meta, 2) == hsv(350, 0.9, 1));

  // A non-finite position draws nothing, and no limb to it.
  Image hidden = filled(64, 64, grey);
  draw_pose(&hidden, {NAN, NAN, 1, 40, 10, 1, 30, 50, 1}, meta, 0.5, false);
  CHECK(pixel(hidden, 10, 10) == grey);
  CHECK(pixel(hidden, 40, 10) == keypoint_colour(meta, 1));
  CHECK(pixel(hidden, 25, 10) == grey);

  // Scores as text to the right of each keypoint, in its colour on a dark box.
  Image labelled = filled(64, 64, grey);
  draw_pose(&labelled, keypoints, meta, 0.5, true);
  int text_pixels = 0;
  for (int y = 4; y < 17; ++y)
    for (int x = 14; x < 14 + text_width("0.90") + 2; ++x) text_pixels += pixel(labelled, x, y) == keypoint_colour(meta, 0);
  CHECK(text_pixels > 10);
  CHECK(pixel(labelled, 60, 60) == grey);

  CHECK(contains(error_of([&] { draw_pose(&image, {1, 2, 3}, meta, 0.5, false); }),
                   "draw_pose: keypoints must hold 3 * K = 9"));
}

TEST_CASE("visualize: predictions.png draws each supervised keypoint's truth as a white cross") {
  // One 64x64 crop (drawn 3x larger, at 4 px into the grid), the crop transform the identity.
  const DatasetMeta meta = three_keypoints();
  TopdownConfig crop;
  crop.input_h = crop.input_w = 64;
  PersonPrediction p;
  p.crop.image.assign(3 * 64 * 64, 0.f);  // the ImageNet mean: grey
  p.crop.to_crop = {1, 0, 0, 0, 1, 0};
  p.keypoints = {10, 10, 0.9, 40, 10, 0.9, 30, 40, 0.9};
  p.crop.keypoints = {50, 50, 5, 55, 32, 20};
  p.crop.weight = {1, 1, 0};  // the third keypoint is not supervised: no cross
  const std::string path = test::temp_path("predictions.png");
  write_prediction_pngs({p}, meta, crop, path, "");
  const Image grid = decode_image(path);
  const auto at = [&](double x, double y) {  // crop pixel -> its drawn pixel in the grid
    return pixel(grid, 4 + int((x + 0.5) * 3 - 0.5), 4 + int((y + 0.5) * 3 - 0.5));
  };
  const Rgb white{255, 255, 255};
  CHECK(at(50, 50) == white);
  CHECK(at(5, 55) == white);
  CHECK(at(32, 20) != white);
  CHECK(at(10, 10) == keypoint_colour(meta, 0));  // the predictions as draw_pose draws them
  CHECK(at(58, 5) != white);                   // nothing far from both
}

TEST_CASE("visualize: left keypoints cool, right ones warm, partners at the same place of their ranges") {
  DatasetMeta coco;
  coco.keypoint_names = {"nose", "left_eye", "right_eye", "left_wrist", "right_wrist", "left_ankle", "right_ankle"};
  CHECK(keypoint_colour(coco, 1) == hsv(90, 0.9, 1));   // the first left keypoint: green
  CHECK(keypoint_colour(coco, 5) == hsv(240, 0.9, 1));  // the last: blue
  CHECK(keypoint_colour(coco, 2) == hsv(300, 0.9, 1));  // the first right: magenta
  CHECK(keypoint_colour(coco, 4) == hsv(350, 0.9, 1));  // the middle right, as the middle left is at 165
  CHECK(keypoint_colour(coco, 3) == hsv(165, 0.9, 1));
  CHECK(keypoint_colour(coco, 6) == hsv(40, 0.9, 1));   // the last right: orange
  DatasetMeta plain;  // no name marks a side: hue 360 j / K
  plain.keypoint_names = {"a", "b", "c"};
  CHECK(keypoint_colour(plain, 0) == hsv(0, 0.9, 1));
  CHECK(keypoint_colour(plain, 2) == hsv(240, 0.9, 1));
}

TEST_CASE("visualize: colormap runs dark to bright, clamps, and reads NaN as 0") {
  auto luma = [](Rgb c) { return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b; };
  for (int i = 0; i < 100; ++i) CHECK(luma(colormap(i / 100.0)) < luma(colormap((i + 1) / 100.0)));
  CHECK(colormap(-3) == colormap(0));
  CHECK(colormap(7) == colormap(1));
  CHECK(colormap(NAN) == colormap(0));
  CHECK(luma(colormap(0)) < 40);
  CHECK(luma(colormap(1)) > 200);
}

TEST_CASE("visualize: confidence_grid has one tile per keypoint and the hottest colour at each map's peak") {
  DatasetMeta meta = three_keypoints();
  meta.keypoint_names.push_back("left_foot");
  meta.keypoint_names.push_back("right_foot");  // K = 5
  const int K = 5, h = 8, w = 6, H = 32, W = 24;
  const Rgb black{0, 0, 0}, background{48, 48, 48};
  const Image crop = filled(H, W, black);
  // Map k peaks (1.0) at cell (row 5, column k % 3 + 1) = crop pixel (4 (k % 3 + 1), 20); the rest is 0.
  Tensor maps = Tensor::zeros({K, h, w});
  for (int k = 0; k < K; ++k) maps.data<float>()[(k * h + 5) * w + k % 3 + 1] = 1.f;

  const Image grid = confidence_grid(crop, maps, meta, 2);
  CHECK(grid.width == 2 * W + 3 * 2);   // 2 columns, 2 px apart and around
  CHECK(grid.height == 3 * H + 4 * 2);  // ceil(5 / 2) = 3 rows
  CHECK(pixel(grid, 0, 0) == background);
  CHECK(pixel(grid, 2 + W + 2 + 5, 2 + 2 * (H + 2) + 5) == background);  // the sixth cell is empty
  const Rgb hottest = blend(black, colormap(1), kConfidenceAlpha), coldest = blend(black, colormap(0), kConfidenceAlpha);
  for (int k = 0; k < K; ++k) {
    CAPTURE(k);
    const int x0 = 2 + k % 2 * (W + 2), y0 = 2 + k / 2 * (H + 2);
    const int peak_x = 4 * (k % 3 + 1), peak_y = 20;
    CHECK(pixel(grid, x0 + peak_x, y0 + peak_y) == hottest);
    CHECK(pixel(grid, x0 + peak_x + 4, y0 + peak_y) != hottest);  // one cell over: cold
    CHECK(pixel(grid, x0 + 20, y0 + 30) == coldest);
    // The name, in white, at the tile's top left.
    int white = 0;
    for (int y = y0 + 3; y < y0 + 3 + text_height(); ++y)
      for (int x = x0 + 3; x < x0 + W; ++x) white += pixel(grid, x, y) == Rgb{255, 255, 255};
    CHECK(white > 5);
  }
  // Halfway between a peak cell and a zero cell, bilinear: half the value.
  CHECK(pixel(grid, 2 + 6, 2 + 20) == blend(black, colormap(0.5), kConfidenceAlpha));

  CHECK(contains(error_of([&] { confidence_grid(crop, Tensor::zeros({4, h, w}), meta, 2); }),
                   "confidence_grid: maps must be [K, h, w] with K = 5"));
  CHECK(contains(error_of([&] { confidence_grid(crop, Tensor::zeros({K, h, w}, DType::F64), meta, 2); }),
                   "float32"));
  CHECK(contains(error_of([&] { confidence_grid(crop, maps, meta, 0); }), "columns"));
}

TEST_CASE("visualize: tile_images places images row-major in cells of the largest size") {
  const Rgb bg{1, 2, 3}, a{200, 0, 0}, b{0, 200, 0}, c{0, 0, 200};
  const Image grid = tile_images({filled(4, 6, a), filled(5, 3, b), filled(2, 2, c)}, 2, 1, bg);
  CHECK(grid.width == 2 * 6 + 3);
  CHECK(grid.height == 2 * 5 + 3);
  CHECK(pixel(grid, 0, 0) == bg);
  CHECK(pixel(grid, 1, 1) == a);
  CHECK(pixel(grid, 6, 4) == a);
  CHECK(pixel(grid, 6, 5) == bg);  // below the shorter first image
  CHECK(pixel(grid, 8, 1) == b);
  CHECK(pixel(grid, 10, 5) == b);
  CHECK(pixel(grid, 11, 1) == bg);  // right of the narrower second image
  CHECK(pixel(grid, 1, 7) == c);
  CHECK(pixel(grid, 3, 7) == bg);
  // More columns than images: only as many as there are images.
  CHECK(tile_images({filled(4, 6, a)}, 8, 2, bg).width == 6 + 4);
  CHECK(contains(error_of([&] { tile_images({}, 2, 1, bg); }), "tile_images: no images"));
}

TEST_CASE("visualize: a confidence grid written as PNG decodes to the same picture") {
  const DatasetMeta meta = three_keypoints();
  Image crop = filled(24, 16, Rgb{90, 120, 60});
  draw_pose(&crop, {4, 4, 1, 12, 4, 1, 8, 20, 0.3}, meta, 0.5, true);
  const Image grid = confidence_grid(crop, test::uniform({3, 6, 4}, 0, 1, 3, DType::F32), meta, 3);
  const std::string path = test::temp_path("confidence_grid.png");
  write_png(path, grid);
  const Image back = decode_image(path);
  ::unlink(path.c_str());
  CHECK(back.height == 24 + 2 * 2);
  CHECK(back.width == 3 * 16 + 4 * 2);
  CHECK(back.rgb == grid.rgb);
}

TEST_CASE("visualize: upscale repeats each pixel factor x factor times") {
  Image small;
  small.height = 1;
  small.width = 2;
  small.rgb = {10, 20, 30, 40, 50, 60};
  const Image big = upscale(small, 3);
  CHECK(big.height == 3);
  CHECK(big.width == 6);
  CHECK(big.rgb[0] == 10);
  CHECK(big.rgb[(2 * 6 + 2) * 3 + 2] == 30);  // (x 2, y 2) still the first pixel
  CHECK(big.rgb[(2 * 6 + 3) * 3] == 40);      // (x 3, y 2) the second
  CHECK_THROWS_WITH(upscale(small, 0), doctest::Contains("factor must be >= 1"));
}
