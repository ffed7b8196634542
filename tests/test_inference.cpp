// Top-down inference (eval/inference.h): the flip op it mirrors crops with, the flip test's
// algebra, back-projection through the whole loop on a model whose output is known, rescoring
// and NMS into COCO results, the in-memory ground truth, and the COCO json writers.
#include <cmath>
#include <fstream>

#include "core/gradcheck.h"
#include "core/ops/shape_ops.h"
#include "datasets/synthetic.h"
#include "eval/coco_results.h"
#include "eval/inference.h"
#include "core/ops/elementwise.h"
#include "layers/heads/global_regression_head.h"
#include "layers/heads/heatmap_head.h"
#include "layers/heads/heatmap_offset_head.h"
#include "layers/heads/sar_head.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::uniform;
using V = const std::vector<Tensor>&;

namespace {

// A tiny top-down model on 64x64 crops: ResNet-18 without deconvs gives a 2x2 map at stride 32.
constexpr int kCrop = 64;

ModelConfig tiny_model(const std::string& head) {
  ModelConfig c;
  c.backbone = "resnet18";
  c.deconv_layers = 0;
  c.head = head;
  c.head_config.num_keypoints = synthetic_meta().num_keypoints();
  c.head_config.input_h = c.head_config.input_w = kCrop;
  return c;
}

// One random tiny SAR model for every test that only needs some model (building one takes
// most of a second: ResNet-18's 11 M initial weights).
PoseModel& tiny_sar() {
  static Generator gen(31);
  static PoseModel model(tiny_model("sar"), gen);
  return model;
}

TopdownConfig eval_crop() {
  TopdownConfig t;
  t.input_h = t.input_w = kCrop;
  t.map_h = t.map_w = 2;
  t.aspect = 1.0;
  return t;
}

std::shared_ptr<SyntheticSource> synthetic_people(size_t n) {
  SyntheticConfig c;
  c.num_samples = n;
  c.image_h = c.image_w = 96;
  c.seed = 5;
  return std::make_shared<SyntheticSource>(c);
}

// A source whose sample `bad` cannot be read (a missing image).
class BrokenSource : public SampleSource {
 public:
  BrokenSource(std::shared_ptr<SampleSource> source, size_t bad) : source_(std::move(source)), bad_(bad) {}
  size_t size() const override { return source_->size(); }
  const DatasetMeta& meta() const override { return source_->meta(); }
  void get(size_t index, Image* image, PersonRecord* person) const override {
    SAR_CHECK(index != bad_, "BrokenSource: cannot read synthetic/", index);
    source_->get(index, image, person);
  }

 private:
  std::shared_ptr<SampleSource> source_;
  size_t bad_;
};

bool all_finite(const std::vector<double>& values) {
  for (double v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

// ---- flip (core/ops/shape_ops.h) ----

TEST_CASE("flip: row r of the axis is row R - 1 - r (float64 and int64, cpu)") {
  Tensor x = reshape(Tensor::arange(24, DType::F64), {2, 3, 4});  // x[a, b, c] = 12 a + 4 b + c
  for (DType dt : {DType::F64, DType::I64}) {
    const std::vector<double> along1 = flip(x.to(dt), 1).to_vector(), along_last = flip(x.to(dt), -1).to_vector();
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 3; ++b)
        for (int c = 0; c < 4; ++c) {
          CHECK(along1[(a * 3 + b) * 4 + c] == 12 * a + 4 * (2 - b) + c);
          CHECK(along_last[(a * 3 + b) * 4 + c] == 12 * a + 4 * b + (3 - c));
        }
  }
  CHECK(flip(x, 0).to_vector()[0] == 12);
  CHECK(flip(Tensor::zeros({2, 0, 3}), 1).shape() == Shape{2, 0, 3});
  CHECK_THROWS_WITH_AS(flip(x, 3), doctest::Contains("flip: axis 3 is out of range"), Error);
  CHECK_THROWS_WITH_AS(flip(Tensor(), 0), doctest::Contains("flip: x is an undefined tensor"), Error);
}

TEST_CASE("flip: gradcheck (float64, cpu)") {
  auto x = [] { return uniform({2, 3, 5, 4}, -1, 1, 21).set_requires_grad(); };
  test::gradcheck("flip W", [](V in) { return flip(in[0], 3); }, {x()});
  test::gradcheck("flip C", [](V in) { return flip(in[0], 1); }, {x()});
}

CUDA_TEST_CASE("flip: CUDA matches CPU (float32 and int64, cuda)") {
  // 1155 elements: not a multiple of the block size.
  auto x = [] { return uniform({3, 7, 11, 5}, -1, 1, 22).set_requires_grad(); };
  test::parity("flip W", [](V in) { return flip(in[0], 3); }, {x()});
  test::parity("flip H", [](V in) { return flip(in[0], 2); }, {x()});
  Tensor i = uniform({3, 7, 11, 5}, -50, 50, 23).to(DType::I64);
  test::check_close("flip int64", flip(i, 3), flip(i.to(Device::CUDA), 3), 0, 0);
}

// ---- confidence maps (layers/heads/head.h) ----

TEST_CASE("confidence_maps: SAR's c_t = sigmoid(selector logits); heatmaps clamped to [0, 1]; none for regression") {
  Generator gen(71);
  HeadConfig config;
  config.num_keypoints = 3;
  config.input_h = config.input_w = 64;
  Tensor features = uniform({2, 4, 2, 2}, -1, 1, 72, DType::F32);

  SarHeadConfig sar_config;
  sar_config.head = config;
  sar_config.in_channels = 4;
  SarHead sar(sar_config, gen);
  Tensor c = sar.confidence_maps(features);
  CHECK(c.shape() == Shape{2, 3, 2, 2});
  CHECK(test::max_abs_diff(c, sigmoid(sar.forward(features).logits)) == 0);
  CHECK(sar.has_confidence_maps());

  // Weights 0 and biases -0.5, 0.4, 1.5: flat maps at the biases, clamped to 0, 0.4 and 1.
  auto flat = [](Conv2d& layer) {
    layer.weight.fill_(0);
    layer.bias.copy_(Tensor::from_vector({-0.5, 0.4, 1.5}, {3}));
  };
  auto check_clamped = [](const Tensor& maps) {
    REQUIRE(maps.shape() == Shape{2, 3, 2, 2});
    const std::vector<double> v = maps.to_vector();
    for (size_t i = 0; i < v.size(); ++i) CHECK(v[i] == std::vector<double>{0, 0.4f, 1}[i / 4 % 3]);
  };
  HeatmapHead heatmap(HeatmapHeadConfig{config, 4}, gen);
  flat(heatmap.final_layer);
  check_clamped(heatmap.confidence_maps(features));
  CHECK(heatmap.has_confidence_maps());
  HeatmapOffsetHeadConfig offset_config;
  offset_config.head = config;
  offset_config.in_channels = 4;
  HeatmapOffsetHead heatmap_offset(offset_config, gen);
  flat(heatmap_offset.heatmap_conv);
  check_clamped(heatmap_offset.confidence_maps(features));
  CHECK(heatmap_offset.has_confidence_maps());

  GlobalRegressionHead regression(GlobalRegressionHeadConfig{config, 4}, gen);
  CHECK_FALSE(regression.confidence_maps(features).defined());
  CHECK_FALSE(regression.has_confidence_maps());
}

// ---- the flip test's algebra ----

TEST_CASE("unmirror_predictions: a keypoint at mirrored x comes back at W - 1 - x, left and right swapped") {
  // keypoints: centre, left, right; image 0 an asymmetric pose, image 1 a mirror-symmetric one
  const std::vector<int> flip_index = {0, 2, 1};
  KeypointPredictions mirrored;
  mirrored.coords = Tensor::from_vector({10, 5, 20, 6, 30, 7,  //
                                         23.5, 2, 13, 20, 34, 20},
                                        {2, 3, 2});
  mirrored.scores = Tensor::from_vector({0.1, 0.2, 0.3, 0.5, 0.4, 0.4}, {2, 3});
  KeypointPredictions back = unmirror_predictions(mirrored, flip_index, 48);
  CHECK(back.coords.to_vector() == std::vector<double>{37, 5, 17, 7, 27, 6,  //
                                                       23.5, 2, 13, 20, 34, 20});
  // A symmetric person looks the same in the mirror: unmirroring its predictions changes nothing.
  CHECK(back.scores.to_vector() == std::vector<double>{0.1f, 0.3f, 0.2f, 0.5f, 0.4f, 0.4f});
  CHECK_THROWS_WITH_AS(unmirror_predictions(mirrored, {0, 1}, 48),
                       doctest::Contains("unmirror_predictions: flip_index must be a permutation of the 3"), Error);
  CHECK_THROWS_WITH_AS(unmirror_predictions(mirrored, {0, 1, 1}, 48), doctest::Contains("permutation"), Error);
}

TEST_CASE("unmirror_maps: cell (i, c) of keypoint flip_index[k] comes back at (i, w - 1 - c) of keypoint k") {
  Tensor maps = Tensor::zeros({1, 3, 2, 4});
  std::vector<double> v(24, 0.0);
  v[(1 * 2 + 1) * 4 + 0] = 0.9;  // keypoint 1 (left), row 1, column 0
  v[(0 * 2 + 0) * 4 + 1] = 0.5;  // keypoint 0 (centre), row 0, column 1
  maps.copy_(Tensor::from_vector(v, {1, 3, 2, 4}));
  const std::vector<double> back = unmirror_maps(maps, {0, 2, 1}).to_vector();
  std::vector<double> expected(24, 0.0);
  expected[(2 * 2 + 1) * 4 + 3] = 0.9f;  // keypoint 2 (right), row 1, column 3
  expected[(0 * 2 + 0) * 4 + 2] = 0.5f;
  CHECK(back == expected);
}

TEST_CASE("predict_crops: the flip test is mirror-equivariant (tiny ResNet-18 + SAR, cpu)") {
  // F(x) = (M(x) + U(M(flip x))) / 2 gives F(flip x) = U(F(x)) for any model M: a check that
  // the crops are flipped along W and the mirrored pass is mapped back and averaged.
  PoseModel& model = tiny_sar();
  model.eval();
  const std::vector<int> flip_index = synthetic_meta().flip_index;
  Tensor images = uniform({2, 3, kCrop, kCrop}, -2, 2, 32, DType::F32);
  CropPredictions a = predict_crops(model, images, flip_index, true, true);
  CropPredictions b = predict_crops(model, flip(images, 3), flip_index, true, true);
  KeypointPredictions a_back = unmirror_predictions({a.coords, a.scores}, flip_index, kCrop);
  CHECK(test::max_abs_diff(b.coords, a_back.coords) < 1e-4);
  CHECK(test::max_abs_diff(b.scores, a_back.scores) < 1e-6);
  REQUIRE(a.maps.shape() == Shape{2, 15, 2, 2});
  CHECK(test::max_abs_diff(b.maps, unmirror_maps(a.maps, flip_index)) < 1e-6);
  for (double c : a.maps.to_vector()) CHECK((c >= 0 && c <= 1));

  // Without the flip test: the model's own predictions, and maps only when asked for.
  CropPredictions plain = predict_crops(model, images, flip_index, false, false);
  CHECK(test::max_abs_diff(plain.coords, model.predict(images).coords) == 0);
  CHECK_FALSE(plain.maps.defined());
  // The mirrored pass moved the prediction: the test above is not comparing a constant.
  CHECK(test::max_abs_diff(a.coords, plain.coords) > 1e-3);
}

// ---- the whole loop ----

// All weights 0 and bias b_j: every heatmap is flat at b_j, so the decode picks cell (0, 0):
// crop pixel (0, 0), score b_j. The mirrored pass says the same, which unmirrors to
// (kCrop - 1, 0) with keypoint j's score taken from flip_index[j]; averaged: ((kCrop - 1) / 2, 0).
// Each must land where mmpose's back-projection puts it: X = x / W * S_w + C_x - S_w / 2
// (SAR_SPEC.md §3), y likewise.
static void check_known_predictions(Device device) {
  Generator gen(41);
  PoseModel model(tiny_model("heatmap"), gen);
  auto& head = dynamic_cast<HeatmapHead&>(model.head());
  head.final_layer.weight.fill_(0);
  const int K = head.config().num_keypoints;
  std::vector<double> bias(K);
  for (int j = 0; j < K; ++j) bias[j] = 0.05 * (j + 1);
  head.final_layer.bias.copy_(Tensor::from_vector(bias, {K}));
  model.to(device);

  auto source = synthetic_people(3);
  const DatasetMeta& meta = source->meta();
  for (bool flip_test : {false, true}) {
    InferenceOptions options;
    options.flip = flip_test;
    options.batch_size = 2;
    options.workers = 1;
    options.device = device;
    const std::vector<PersonPrediction> people = predict_people(model, *source, eval_crop(), options);
    REQUIRE(people.size() == 3);
    const double x_crop = flip_test ? (kCrop - 1) / 2.0 : 0.0;
    for (const PersonPrediction& p : people) {
      const double cx = p.crop.center[0], cy = p.crop.center[1], sw = p.crop.scale[0], sh = p.crop.scale[1];
      for (int j = 0; j < K; ++j) {
        CHECK(std::abs(p.keypoints[3 * j] - (x_crop / kCrop * sw + cx - sw / 2)) < 1e-4);
        CHECK(std::abs(p.keypoints[3 * j + 1] - (cy - sh / 2)) < 1e-4);
        const double score = flip_test ? (bias[j] + bias[meta.flip_index[j]]) / 2 : bias[j];
        CHECK(p.keypoints[3 * j + 2] == doctest::Approx(score).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("predict_people: a known crop prediction lands on its image pixel (heatmap head, cpu)") {
  check_known_predictions(Device::CPU);
}

CUDA_TEST_CASE("predict_people: a known crop prediction lands on its image pixel (heatmap head, cuda)") {
  check_known_predictions(Device::CUDA);
}

TEST_CASE("predict_people: one prediction per person, in source order, partial last batch (tiny SAR, cpu)") {
  PoseModel& model = tiny_sar();
  model.train();
  auto source = synthetic_people(6);
  InferenceOptions options;
  options.batch_size = 4;  // batches of 4 and 2
  options.workers = 2;
  options.keep_maps = true;
  std::vector<std::pair<size_t, size_t>> progress;
  options.progress = [&](size_t done, size_t all) { progress.emplace_back(done, all); };
  const std::vector<PersonPrediction> people = predict_people(model, *source, eval_crop(), options);

  CHECK(model.training());  // the mode is restored
  CHECK(progress == std::vector<std::pair<size_t, size_t>>{{4, 6}, {6, 6}});
  REQUIRE(people.size() == 6);
  for (size_t i = 0; i < people.size(); ++i) {
    const PersonPrediction& p = people[i];
    CHECK(p.source_index == i);
    CHECK(p.image_id == int64_t(i));  // the synthetic set's image id is the sample index
    CHECK(p.keypoints.size() == 45);
    CHECK(all_finite(p.keypoints));
    CHECK(p.box_score == 1);
    CHECK(p.area == doctest::Approx(double(p.crop.scale[0]) * p.crop.scale[1]));
    CHECK(p.area > 0);
    REQUIRE(p.maps.defined());
    CHECK(p.maps.shape() == Shape{15, 2, 2});
    CHECK(p.crop.image.size() == size_t(3 * kCrop * kCrop));
  }

  // max_people: the first N, the same predictions (batched differently), no maps kept.
  options.max_people = 3;
  options.keep_maps = false;
  options.progress = nullptr;
  const std::vector<PersonPrediction> first = predict_people(model, *source, eval_crop(), options);
  REQUIRE(first.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    for (size_t v = 0; v < first[i].keypoints.size(); ++v)
      CHECK(first[i].keypoints[v] == doctest::Approx(people[i].keypoints[v]).epsilon(1e-5));
    CHECK_FALSE(first[i].maps.defined());
    CHECK(first[i].crop.image.empty());
  }
}

TEST_CASE("predict_people: an unreadable image stops inference (named) or is left out; a wrong model is refused") {
  PoseModel& model = tiny_sar();
  BrokenSource broken(synthetic_people(5), 3);
  InferenceOptions options;
  options.batch_size = 2;
  options.workers = 1;
  CHECK_THROWS_WITH_AS(predict_people(model, broken, eval_crop(), options),
                       doctest::Contains("BrokenSource: cannot read synthetic/3"), Error);
  // skip_unreadable: person 3 is missing, each other person predicted once, as without the
  // broken one (the loader's stand-in for 3, person 4, is not counted twice).
  options.skip_unreadable = true;
  std::vector<PersonPrediction> left;
  const std::string warned = test::stderr_of([&] { left = predict_people(model, broken, eval_crop(), options); });
  CHECK(warned.find("sample 3 cannot be read; its person is left out (counted as missed): ") != std::string::npos);
  options.skip_unreadable = false;
  const std::vector<PersonPrediction> all = predict_people(model, *synthetic_people(5), eval_crop(), options);
  REQUIRE(left.size() == 4);
  for (size_t i = 0; i < left.size(); ++i) {
    const size_t source_index = i < 3 ? i : i + 1;
    CHECK(left[i].source_index == source_index);
    double worst = 0;  // the batches differ, so float sums may differ in the last bits
    for (size_t j = 0; j < left[i].keypoints.size(); ++j)
      worst = std::max(worst, std::abs(left[i].keypoints[j] - all[source_index].keypoints[j]));
    CHECK(worst < 1e-4);
  }
  TopdownConfig wide = eval_crop();
  wide.input_w = 48;
  wide.aspect = 0.75;
  CHECK_THROWS_WITH_AS(predict_people(model, *synthetic_people(2), wide, options),
                       doctest::Contains("predict_people: crops are 64x48 but the model's head was built for 64x64"),
                       Error);
}

// ---- results ----

TEST_CASE("to_coco_results: rescored, OKS-NMS per image, sorted by image then score") {
  DatasetMeta meta;
  meta.keypoint_names = {"a", "b"};
  meta.sigmas = {0.1f, 0.1f};
  auto person = [](int64_t image_id, std::vector<double> keypoints, double box_score) {
    PersonPrediction p;
    p.image_id = image_id;
    p.keypoints = std::move(keypoints);
    p.box_score = box_score;
    p.area = 1000;
    return p;
  };
  // 0 and 1 are one person seen twice (OKS exp(-0.0125) > 0.9); 2 is elsewhere with low scores.
  const std::vector<PersonPrediction> people = {person(5, {10, 10, 0.9, 20, 20, 0.5}, 0.8),
                                                person(5, {11, 10, 0.9, 21, 20, 0.9}, 1.0),
                                                person(5, {200, 200, 0.1, 220, 220, 0.15}, 1.0),
                                                person(2, {50, 50, 0.3, 60, 60, 0.25}, 0.5)};
  std::vector<CocoKeypointResult> r = to_coco_results(people, meta);
  REQUIRE(r.size() == 3);
  CHECK(r[0].image_id == 2);
  CHECK(r[0].score == doctest::Approx(0.5 * 0.275));
  CHECK(r[1].keypoints == people[1].keypoints);
  CHECK(r[1].score == doctest::Approx(0.9));
  CHECK(r[2].keypoints == people[2].keypoints);
  CHECK(r[2].score == 0);  // no keypoint score above 0.2
  for (const auto& x : r) CHECK(x.category_id == 1);

  ResultOptions no_nms;
  no_nms.nms_threshold = 0;
  no_nms.category_id = 7;
  r = to_coco_results(people, meta, no_nms);
  REQUIRE(r.size() == 4);
  CHECK(r[1].keypoints == people[1].keypoints);
  CHECK(r[2].keypoints == people[0].keypoints);
  CHECK(r[2].score == doctest::Approx(0.8 * 0.7));
  CHECK(r[3].category_id == 7);
  CHECK_THROWS_WITH_AS(to_coco_results({person(1, {1, 2, 3}, 1)}, meta),
                       doctest::Contains("to_coco_results: person 0 has 3 keypoint values, expected 3 x 2"), Error);
}

TEST_CASE("ground_truth_of: one image and one annotation per synthetic sample") {
  auto source = synthetic_people(4);
  const CocoKeypointGt gt = ground_truth_of(*source);
  CHECK(gt.num_keypoints == 15);
  CHECK(gt.keypoint_names == source->meta().keypoint_names);
  CHECK(gt.category_ids == std::vector<int64_t>{1});
  CHECK(gt.image_ids == std::vector<int64_t>{0, 1, 2, 3});
  REQUIRE(gt.annotations.size() == 4);
  Image image;
  PersonRecord person;
  for (size_t i = 0; i < 4; ++i) {
    source->get(i, &image, &person);
    const CocoKeypointAnnotation& a = gt.annotations[i];
    CHECK(a.id == int64_t(i) + 1);
    CHECK(a.image_id == person.image_id);
    CHECK(a.category_id == 1);
    CHECK(a.keypoints == std::vector<double>(person.keypoints.begin(), person.keypoints.end()));
    int labelled = 0;
    for (int k = 0; k < 15; ++k) labelled += person.keypoints[3 * k + 2] > 0;
    CHECK(a.num_keypoints == labelled);
    CHECK(a.area == person.area);
    CHECK(a.bbox[2] == person.bbox[2]);
    CHECK_FALSE(a.iscrowd);
  }
}

TEST_CASE("save_coco_gt / save_coco_results: exact round trip, and perfect results score AP 1") {
  const std::string dir = test::temp_dir("inference_json");
  auto source = synthetic_people(5);
  CocoKeypointGt gt = ground_truth_of(*source);
  // values a float could not hold, to see the text keep every bit
  gt.annotations[1].keypoints[0] = 1.0 / 3;
  gt.annotations[1].keypoints[1] = 0.1;
  gt.annotations[1].area = 12345.678901234567;
  gt.annotations[2].iscrowd = true;
  save_coco_gt(dir + "/gt.json", gt);
  const CocoKeypointGt loaded = load_coco_gt(dir + "/gt.json");
  CHECK(loaded.num_keypoints == gt.num_keypoints);
  CHECK(loaded.keypoint_names == gt.keypoint_names);
  CHECK(loaded.image_ids == gt.image_ids);
  CHECK(loaded.category_ids == gt.category_ids);
  REQUIRE(loaded.annotations.size() == gt.annotations.size());
  for (size_t i = 0; i < gt.annotations.size(); ++i) {
    const CocoKeypointAnnotation &a = gt.annotations[i], &b = loaded.annotations[i];
    CHECK(b.id == a.id);
    CHECK(b.image_id == a.image_id);
    CHECK(b.category_id == a.category_id);
    CHECK(b.keypoints == a.keypoints);
    CHECK(b.num_keypoints == a.num_keypoints);
    CHECK(b.area == a.area);
    CHECK(b.bbox == a.bbox);
    CHECK(b.iscrowd == a.iscrowd);
  }

  // Perfect results: every person's own keypoints (crowds are not matched; skip them).
  std::vector<CocoKeypointResult> results;
  for (const CocoKeypointAnnotation& a : loaded.annotations)
    if (!a.iscrowd) results.push_back({a.image_id, 1, a.keypoints, 1.0 / 7});
  results[0].keypoints[2] = 1e-300;
  save_coco_results(dir + "/res.json", results);
  const std::vector<CocoKeypointResult> back = load_coco_results(dir + "/res.json", loaded);
  REQUIRE(back.size() == results.size());
  for (size_t i = 0; i < back.size(); ++i) {
    CHECK(back[i].image_id == results[i].image_id);
    CHECK(back[i].category_id == results[i].category_id);
    CHECK(back[i].keypoints == results[i].keypoints);
    CHECK(back[i].score == results[i].score);
  }
  const std::vector<double> sigmas(source->meta().sigmas.begin(), source->meta().sigmas.end());
  CHECK(evaluate_coco_keypoints(loaded, back, sigmas).stats[0] == doctest::Approx(1.0));

  results[1].score = std::nan("");
  CHECK_THROWS_WITH_AS(save_coco_results(dir + "/bad.json", results),
                       doctest::Contains("bad.json: results[1].score is nan, not a finite number"), Error);
  CHECK_FALSE(std::ifstream(dir + "/bad.json").good());  // nothing written
}
