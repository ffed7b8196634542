// run_pngs.h: the pictures a run leaves in its folder, for people to look at.
//
//   curves.png           the training loss (every logged step) over steps, beside the evaluation
//                        metric over steps (eval/plot.h)
//   predictions.png      val crops with the predicted skeleton, the ground truth as white crosses
//   confidence_maps.png  the first person's confidence map per keypoint over the crop (the SAR
//                        selector's c_t, the paper's Figure 3; a heatmap head's heatmaps)
#pragma once

#include <string>
#include <vector>

#include "eval/inference.h"
#include "train/csv_log.h"

namespace sar {

void write_curves(const std::string& png_path, const CsvLog& train_log, const CsvLog& eval_log, const std::string& metric);

// A network-input crop as 8-bit RGB, enlarged by a whole factor to at least 192 pixels high, so
// that skeletons and labels drawn on it stay readable (a point at crop pixel x lands on
// (x + 0.5) * factor - 0.5; the factor is drawn_crop_factor's).
int drawn_crop_factor(const TopdownConfig& crop);
Image drawn_crop(const CropSample& sample, const TopdownConfig& crop);

// people: predictions made with keep_maps (their crops kept). maps_path is skipped when the
// head has no confidence maps.
void write_prediction_pngs(const std::vector<PersonPrediction>& people, const DatasetMeta& meta,
                           const TopdownConfig& crop, const std::string& predictions_path, const std::string& maps_path);

}  // namespace sar
