// inference.h: top-down inference over a data set (SAR_SPEC.md §3): every person's box is
// cropped (no augmentation), run through the model, optionally flip-tested, and its keypoints
// are mapped back to the original image. eval/coco_results.h then turns the people into COCO
// results (rescoring, OKS-NMS) and files.
//
//   crops        Loader over the source, eval crops (crop.train and crop.with_heatmaps are
//                forced off), in source order (no shuffle, no drop). An unreadable image stops
//                inference with the loader's error naming it, unless skip_unreadable: then its
//                people are left out (warned on stderr, and missing from the result, so they
//                count as missed and the caller can count them), never replaced by another
//                person as training does, which would predict that person twice
//   forward      features once, then head.predict (coords in crop pixels, scores) and, with
//                keep_maps, head.confidence_maps on the same features
//   flip test    the batch mirrored left-right (flip along W) through the model; its x mirrored
//                back, x -> input_w - 1 - x (the exact pixel mirror the official code writes as
//                1 - x - 1/(4 w) in normalized units), keypoints permuted by meta.flip_index;
//                coordinates, scores and maps averaged with the plain pass
//   back-project back_project(crop, x, y) (datasets/topdown.h): crop pixels -> image pixels
//   area         the crop box's scale_w * scale_h (mmpose: the padded box), for OKS-NMS
//
// The model runs in eval mode (its mode is restored on return) without the tape; batches go to
// options.device, which must be the model's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "datasets/loader.h"
#include "eval/coco_eval.h"
#include "models/pose_model.h"

namespace sar {

struct InferenceOptions {
  bool flip = true;
  int batch_size = 64;
  int workers = 2;
  bool keep_maps = false;          // keep each person's confidence maps and crop (sar infer --maps)
  size_t max_people = 0;           // > 0: only the first N people of the source
  bool skip_unreadable = false;    // leave out the people of unreadable images (see "crops" above)
  Device device = Device::CPU;     // where the model lives
  // Called after each batch with (people done, people in all), e.g. for a progress line.
  std::function<void(size_t, size_t)> progress;
};

struct PersonPrediction {
  int64_t image_id = 0;
  size_t source_index = 0;         // the source's index of this person
  std::vector<double> keypoints;   // 3K: x, y in original-image pixels, score
  double box_score = 1;            // the detector's (1 for ground-truth boxes)
  double area = 0;                 // crop box scale_w * scale_h
  CropSample crop;                 // the crop's transform (image emptied unless keep_maps)
  Tensor maps;                     // keep_maps: [K, h, w] CPU float32, the head's confidence maps
                                   // (undefined for heads without one); averaged with the flipped
                                   // pass's when flip
};

// One batch of crops through the model (no tape, the model's mode as it is): the steps
// "forward" and "flip test" above, on the crops' device. images [N, 3, H, W].
struct CropPredictions {
  Tensor coords;  // [N, K, 2] crop pixels
  Tensor scores;  // [N, K]
  Tensor maps;    // [N, K, h, w] with keep_maps and a head that has maps; else undefined
};
CropPredictions predict_crops(PoseModel& model, const Tensor& images, const std::vector<int>& flip_index, bool flip,
                              bool keep_maps);

// The flip test's way back from the mirrored crop to the plain one. Keypoint k of the result is
// keypoint flip_index[k] of the mirrored pass (the mirror shows a left wrist where the right one
// is), its x mirrored to input_w - 1 - x; scores follow their keypoints. coords [N, K, 2],
// scores [N, K]; any device.
KeypointPredictions unmirror_predictions(const KeypointPredictions& mirrored, const std::vector<int>& flip_index,
                                         int input_w);
// Maps [N, K, h, w] likewise: mirrored along w (cell c -> w - 1 - c) and permuted. Display only:
// cell c of the mirrored pass lies at crop pixel input_w - 1 - c s (s = input_w / w), cell
// w - 1 - c at input_w - s - c s, so the mirrored map sits (s - 1) / s of a cell left of where
// the plain pass would put it (3/4 cell at stride 4); the coordinates above carry no such shift.
Tensor unmirror_maps(const Tensor& maps, const std::vector<int>& flip_index);

// Every person of `source` (or the first max_people), in source order.
std::vector<PersonPrediction> predict_people(PoseModel& model, const SampleSource& source, const TopdownConfig& crop,
                                             const InferenceOptions& options);

}  // namespace sar
