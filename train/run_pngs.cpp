// run_pngs.cpp: see run_pngs.h.
#include "train/run_pngs.h"

#include <algorithm>

#include "core/error.h"
#include "datasets/draw.h"
#include "datasets/image_io.h"
#include "eval/plot.h"
#include "eval/visualize.h"

namespace sar {

void write_curves(const std::string& png_path, const CsvLog& train_log, const CsvLog& eval_log, const std::string& metric) {
  const Image loss = plot_lines("training loss", "step", "loss", {Series{"loss", train_log.column("step"), train_log.column("loss")}});
  const Image score = plot_lines("validation " + metric, "step", metric,
                                 {Series{metric, eval_log.column("step"), eval_log.column(metric)}});
  write_png(png_path, tile_images({loss, score}, 2, 8, Rgb{255, 255, 255}));
}

namespace {

// Crops are drawn at least this many pixels high, so labels and limbs stay readable.
constexpr int kMinDrawnHeight = 192;

// The ground truth over a drawn prediction: a white cross with a dark outline at each supervised
// keypoint (the crop's targets, crop pixels, scaled by `factor`), so each disc's distance from
// its truth shows; unlabelled keypoints have none.
void draw_truth(Image* image, const CropSample& crop, int factor) {
  const float unit = float(std::max(1.0, std::min(image->height, image->width) / 256.0));  // draw_pose's
  const float arm = 2.5f * unit;
  for (size_t j = 0; j < crop.weight.size(); ++j) {
    if (!(crop.weight[j] > 0)) continue;
    const float x = (crop.keypoints[2 * j] + 0.5f) * factor - 0.5f;
    const float y = (crop.keypoints[2 * j + 1] + 0.5f) * factor - 0.5f;
    const std::pair<float, Rgb> strokes[] = {{1.2f * unit, Rgb{0, 0, 0}}, {0.5f * unit, Rgb{255, 255, 255}}};
    for (const auto& [width, colour] : strokes) {
      draw_line(image, x - arm, y - arm, x + arm, y + arm, width, colour);
      draw_line(image, x - arm, y + arm, x + arm, y - arm, width, colour);
    }
  }
}

}  // namespace

int drawn_crop_factor(const TopdownConfig& crop) {
  return std::max(1, (kMinDrawnHeight + crop.input_h - 1) / crop.input_h);
}

Image drawn_crop(const CropSample& sample, const TopdownConfig& crop) {
  SAR_CHECK(!sample.image.empty(), "drawn_crop: predictions made without keep_maps have no crop to draw on");
  return upscale(crop_to_image(sample.image.data(), crop.input_h, crop.input_w, crop), drawn_crop_factor(crop));
}

void write_prediction_pngs(const std::vector<PersonPrediction>& people, const DatasetMeta& meta,
                           const TopdownConfig& crop, const std::string& predictions_path, const std::string& maps_path) {
  SAR_CHECK(!people.empty(), predictions_path, ": no predictions to draw");
  const int factor = drawn_crop_factor(crop);
  std::vector<Image> tiles;
  for (const PersonPrediction& p : people) {
    Image image = drawn_crop(p.crop, crop);
    // Image pixels -> crop pixels through the crop's own transform, then into the enlarged crop.
    std::vector<double> in_crop = p.keypoints;
    const Affine& m = p.crop.to_crop;
    for (size_t k = 0; k + 2 < in_crop.size(); k += 3) {
      const double x = p.keypoints[k], y = p.keypoints[k + 1];
      in_crop[k] = (m[0] * x + m[1] * y + m[2] + 0.5) * factor - 0.5;
      in_crop[k + 1] = (m[3] * x + m[4] * y + m[5] + 0.5) * factor - 0.5;
    }
    draw_pose(&image, in_crop, meta, 0.0, /*label_scores=*/false);  // 16 small tiles: labels would hide poses
    draw_truth(&image, p.crop, factor);
    tiles.push_back(std::move(image));
  }
  write_png(predictions_path, tile_images(tiles, 4, 4, Rgb{255, 255, 255}));
  const PersonPrediction& first = people.front();
  if (first.maps.defined())
    write_png(maps_path, confidence_grid(drawn_crop(first.crop, crop), first.maps, meta, 5));
}

}  // namespace sar
