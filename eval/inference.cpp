// inference.cpp: top-down inference over a data set (eval/inference.h): eval crops through the
// model with the flip test, predictions back to image pixels. Turning them into COCO results and
// files is eval/coco_results.cpp's job.
#include "eval/inference.h"

#include <algorithm>
#include <cmath>

#include "core/ops/elementwise.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "datasets/topdown.h"

namespace sar {

namespace {

// The first n people of a source (InferenceOptions::max_people), for the loader.
class FirstPeople : public SampleSource {
 public:
  FirstPeople(const SampleSource& source, size_t n) : source_(source), n_(n) {}
  size_t size() const override { return n_; }
  const DatasetMeta& meta() const override { return source_.meta(); }
  void get(size_t index, Image* image, PersonRecord* person) const override { source_.get(index, image, person); }

 private:
  const SampleSource& source_;
  size_t n_;
};

// Puts a module in eval mode and restores its mode on scope exit, exceptions included.
class EvalMode {
 public:
  explicit EvalMode(Module& module) : module_(module), was_training_(module.training()) { module.eval(); }
  ~EvalMode() { module_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Module& module_;
  bool was_training_;
};

void check_flip_index(const std::vector<int>& flip_index, int64_t K, const char* where) {
  std::vector<bool> seen(K, false);
  bool permutation = int64_t(flip_index.size()) == K;
  for (size_t k = 0; permutation && k < flip_index.size(); ++k) {
    const int to = flip_index[k];
    permutation = to >= 0 && to < K && !seen[to];
    if (permutation) seen[to] = true;
  }
  SAR_CHECK(permutation, where, ": flip_index must be a permutation of the ", K, " keypoints, got ",
            flip_index.size(), " entries that are not");
}

// An int64 index of `shape` = [N, K, ...] holding flip_index[k] wherever keypoint k is, so that
// gather(x, 1, index) puts keypoint flip_index[k] of x at keypoint k.
Tensor keypoint_permutation(const std::vector<int>& flip_index, const Shape& shape, Device device) {
  const int64_t outer = shape[0], K = shape[1], inner = shape.inner(1);
  std::vector<double> index(shape.numel());
  for (int64_t n = 0; n < outer; ++n)
    for (int64_t k = 0; k < K; ++k)
      std::fill_n(index.begin() + (n * K + k) * inner, inner, double(flip_index[k]));
  return Tensor::from_vector(index, shape, DType::I64, device);
}

// One pass of the model over a batch of crops.
CropPredictions forward_crops(PoseModel& model, const Tensor& images, bool keep_maps) {
  Tensor features = model.features(images);
  KeypointPredictions p = model.head().predict(features);
  return {p.coords, p.scores, keep_maps ? model.head().confidence_maps(features) : Tensor()};
}

}  // namespace

KeypointPredictions unmirror_predictions(const KeypointPredictions& mirrored, const std::vector<int>& flip_index,
                                         int input_w) {
  const Tensor& xy = mirrored.coords;
  SAR_CHECK(xy.defined() && xy.ndim() == 3 && xy.size(2) == 2, "unmirror_predictions: coords must be [N, K, 2], got ",
            xy.defined() ? cat(xy.shape()) : "undefined");
  SAR_CHECK(mirrored.scores.defined() && mirrored.scores.shape() == Shape({xy.size(0), xy.size(1)}),
            "unmirror_predictions: scores must be [N, K] = [", xy.size(0), ", ", xy.size(1), "], got ",
            mirrored.scores.defined() ? cat(mirrored.scores.shape()) : "undefined");
  check_flip_index(flip_index, xy.size(1), "unmirror_predictions");
  // (x, y) -> (input_w - 1 - x, y)
  Tensor sign = Tensor::from_vector({-1, 1}, {2}, xy.dtype(), xy.device());
  Tensor shift = Tensor::from_vector({input_w - 1.0, 0}, {2}, xy.dtype(), xy.device());
  Tensor mirrored_xy = xy * sign + shift;  // [N, K, 2]
  KeypointPredictions out;
  out.coords = gather(mirrored_xy, 1, keypoint_permutation(flip_index, xy.shape(), xy.device()));
  out.scores = gather(mirrored.scores, 1, keypoint_permutation(flip_index, mirrored.scores.shape(), xy.device()));
  return out;
}

Tensor unmirror_maps(const Tensor& maps, const std::vector<int>& flip_index) {
  SAR_CHECK(maps.defined() && maps.ndim() == 4, "unmirror_maps: maps must be [N, K, h, w], got ",
            maps.defined() ? cat(maps.shape()) : "undefined");
  check_flip_index(flip_index, maps.size(1), "unmirror_maps");
  return gather(flip(maps, 3), 1, keypoint_permutation(flip_index, maps.shape(), maps.device()));
}

CropPredictions predict_crops(PoseModel& model, const Tensor& images, const std::vector<int>& flip_index, bool flip_test,
                              bool keep_maps) {
  NoGrad no_grad;
  CropPredictions plain = forward_crops(model, images, keep_maps);
  if (!flip_test) return plain;
  const int input_w = int(images.size(3));
  CropPredictions mirrored = forward_crops(model, flip(images, 3), keep_maps);
  KeypointPredictions back = unmirror_predictions({mirrored.coords, mirrored.scores}, flip_index, input_w);
  CropPredictions merged;
  merged.coords = (plain.coords + back.coords) * 0.5;
  merged.scores = (plain.scores + back.scores) * 0.5;
  if (plain.maps.defined()) merged.maps = (plain.maps + unmirror_maps(mirrored.maps, flip_index)) * 0.5;
  return merged;
}

std::vector<PersonPrediction> predict_people(PoseModel& model, const SampleSource& source, const TopdownConfig& crop,
                                             const InferenceOptions& options) {
  const DatasetMeta& meta = source.meta();
  const HeadConfig& head = model.head().config();
  SAR_CHECK(meta.num_keypoints() == head.num_keypoints, "predict_people: the data set '", meta.name, "' has ",
            meta.num_keypoints(), " keypoints but the model's head predicts ", head.num_keypoints);
  SAR_CHECK(crop.input_h == head.input_h && crop.input_w == head.input_w, "predict_people: crops are ", crop.input_h,
            "x", crop.input_w, " but the model's head was built for ", head.input_h, "x", head.input_w, " inputs");
  if (options.flip) check_flip_index(meta.flip_index, meta.num_keypoints(), "predict_people");

  const size_t n = options.max_people > 0 ? std::min(options.max_people, source.size()) : source.size();
  LoaderConfig config;
  config.batch_size = options.batch_size;
  config.workers = options.workers;
  config.shuffle = false;
  config.drop_last = false;
  config.skip_bad = options.skip_unreadable;  // the loader's replacements are dropped below
  config.unreadable_fate = "its person is left out (counted as missed)";
  config.device = options.device;
  config.crop = crop;
  config.crop.train = false;
  config.crop.with_heatmaps = false;
  Loader loader(std::make_shared<FirstPeople>(source, n), config);
  loader.start_epoch(0);

  EvalMode eval_mode(model);
  std::vector<PersonPrediction> people;
  people.reserve(n);
  std::vector<bool> predicted(source.size(), false);  // by source index: a loader replacement repeats one
  Batch batch;
  while (loader.next(&batch)) {
    CropPredictions p = predict_crops(model, batch.images, meta.flip_index, options.flip, options.keep_maps);
    const std::vector<double> xy = p.coords.to_vector(), scores = p.scores.to_vector();
    Tensor maps = p.maps.defined() ? p.maps.to(Device::CPU).to(DType::F32) : Tensor();
    Tensor images = options.keep_maps ? batch.images.to(Device::CPU) : Tensor();
    const int64_t K = head.num_keypoints;
    for (size_t r = 0; r < batch.samples.size(); ++r) {
      if (predicted[batch.indices[r]]) continue;  // the stand-in for an unreadable person
      predicted[batch.indices[r]] = true;
      PersonPrediction person;
      person.crop = std::move(batch.samples[r]);
      person.image_id = person.crop.image_id;
      person.source_index = batch.indices[r];
      person.box_score = person.crop.score;
      person.area = double(person.crop.scale[0]) * person.crop.scale[1];
      person.keypoints.resize(3 * K);
      for (int64_t k = 0; k < K; ++k) {
        float x = 0, y = 0;
        back_project(person.crop, float(xy[2 * (r * K + k)]), float(xy[2 * (r * K + k) + 1]), &x, &y);
        person.keypoints[3 * k] = x;
        person.keypoints[3 * k + 1] = y;
        person.keypoints[3 * k + 2] = scores[r * K + k];
      }
      if (maps.defined()) person.maps = maps.view_rows(r, r + 1).view_as_shape(Shape({K, maps.size(2), maps.size(3)}));
      if (images.defined()) {
        const float* row = images.view_rows(r, r + 1).data<float>();
        person.crop.image.assign(row, row + images.numel() / images.size(0));
      }
      people.push_back(std::move(person));
    }
    if (options.progress) options.progress(people.size(), n);
  }
  SAR_CHECK(people.size() + loader.unreadable() == n, "predict_people: the loader gave ", people.size(),
            " people of ", n, " with ", loader.unreadable(), " unreadable");
  return people;
}

}  // namespace sar
