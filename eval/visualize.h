// visualize.h: pictures of what a model sees and predicts, as RGB Images for write_png
// (datasets/image_io.h); `sar data show`, `sar infer` and `make demo` draw with these.
//
//   crop_to_image     a normalized network-input crop back to 8-bit RGB
//   draw_pose         keypoints and skeleton over an image, optionally with their scores
//   confidence_grid   the paper's Figure 3: each keypoint's confidence map over its crop
//   tile_images       images in a grid
//   upscale           a small crop enlarged for drawing
//
// A keypoint has one colour everywhere (keypoint_colour), so it keeps it across pictures.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "datasets/draw.h"
#include "datasets/sample.h"
#include "datasets/topdown.h"

namespace sar {

// chw: [3, h, w] normalized as the top-down pipeline does (config.mean, config.std, RGB);
// returns the crop's pixels, rounded and clamped to [0, 255].
Image crop_to_image(const float* chw, int h, int w, const TopdownConfig& config);

// Keypoint j's colour by its side: left keypoints in cool hues (green to blue), right ones in
// warm (magenta, red, orange), each side's n-th keypoint at the same place of its range, so
// partners read as a pair and a flip swaps warm and cool; keypoints of neither side (nose, neck)
// yellow to pale. A data set whose names mark no side: hue 360 j / K.
Rgb keypoint_colour(const DatasetMeta& meta, int j);

// keypoints: 3K values (x, y, score) in the image's pixels, K = meta.num_keypoints(). Limbs
// (meta.skeleton) join two keypoints that both score >= min_score; keypoints scoring >= min_score
// are a disc in their colour on a dark outline; those below are drawn dim (their colour at 40%
// opacity, no outline) and join no limb. A keypoint with a non-finite x or y is not drawn at all
// (how `data show` leaves out unsupervised ones). label_scores writes each drawn keypoint's score
// ("0.87") beside it. Sizes grow with the image: the unit is min(height, width) / 256, at least 1.
// Throws when keypoints.size() != 3K or a limb names a keypoint out of range.
void draw_pose(Image* image, const std::vector<double>& keypoints, const DatasetMeta& meta, double min_score,
               bool label_scores);

// A perceptual colour map (dark violet at 0, through blue and green, to yellow at 1; luminance
// rises monotonically); values outside [0, 1] are clamped, NaN reads as 0.
Rgb colormap(double value);

// The paper's Figure 3. maps: [K, h, w] float32 on the CPU, K = meta.num_keypoints(), SAR's
// c_t = sigmoid(s_t): values are taken as they are (clamped to [0, 1]), not normalized by each
// map's maximum, so tiles compare across keypoints and a diffuse map looks diffuse. One tile per
// keypoint, the size of the crop: the map upsampled bilinearly with cell (i, j) at crop pixel
// (j * crop.width / w, i * crop.height / h) (SAR's grid: cell index times stride), coloured by
// colormap and blended over the crop at kConfidenceAlpha, the keypoint's name written at the top
// left. Tiles row-major, `columns` across, 2 px apart on a dark grey background.
constexpr double kConfidenceAlpha = 0.6;
Image confidence_grid(const Image& crop, const Tensor& maps, const DatasetMeta& meta, int columns);

// Images row-major, `columns` across (fewer when there are fewer images), each cell the size of
// the largest image (smaller ones sit at its top left), `padding` pixels around and between
// cells, filled with `background`. Throws when `images` is empty or columns < 1.
Image tile_images(const std::vector<Image>& images, int columns, int padding, Rgb background);

// Each pixel repeated factor x factor times (factor >= 1): small network crops made large enough
// to draw on. A point at pixel x maps to (x + 0.5) * factor - 0.5 (pixel centres stay centres).
Image upscale(const Image& image, int factor);

// Text on a translucent dark box (1 px margin), readable on any background; (x, y) is the
// text's top left. What draw_pose and confidence_grid label with.
void draw_label(Image* image, int x, int y, const std::string& text, Rgb colour);

}  // namespace sar
