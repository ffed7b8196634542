// datasets: image decoding and writing, the COCO / COCO-WholeBody / detection / MPII readers.
// Hand-made files (tests/data/datasets, images by tools/make_image_fixtures.py) check every
// field and every refusal; the real data sets of ../shared/data check counts and sizes.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "datasets/coco_dataset.h"
#include "datasets/image_io.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::temp_path;
using sar::test::stderr_of;
using sar::test::error_of;

namespace {

const std::string kFixtures = "tests/data/datasets/";

std::string fixture(const std::string& name) { return kFixtures + name; }

std::string shared(const std::string& relative) { return *test::shared_data_dir() + "/" + relative; }

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<int64_t> annotation_ids(const KeypointDataset& data) {
  std::vector<int64_t> ids;
  for (const PersonRecord& p : data.people) ids.push_back(p.annotation_id);
  return ids;
}

std::array<uint8_t, 3> pixel(const Image& image, int y, int x) {
  const size_t at = (size_t(y) * image.width + x) * 3;
  return {image.rgb[at], image.rgb[at + 1], image.rgb[at + 2]};
}

}  // namespace

// ---- image_io ----

TEST_CASE("image_io: a JPEG decodes to RGB of its size") {
  Image image = decode_image(fixture("images/tiny.jpg"));
  REQUIRE(image.width == 24);
  REQUIRE(image.height == 16);
  REQUIRE(image.rgb.size() == 24 * 16 * 3);
  // The gradient R = 10 x, G = 15 y, B = 128, within JPEG's loss.
  for (int y : {0, 7, 15})
    for (int x : {0, 11, 23}) {
      const auto p = pixel(image, y, x);
      CHECK(std::abs(p[0] - 10 * x) <= 12);
      CHECK(std::abs(p[1] - 15 * y) <= 12);
      CHECK(std::abs(p[2] - 128) <= 12);
    }
}

TEST_CASE("image_io: grayscale, gray+alpha and RGBA PNGs become RGB exactly") {
  for (const char* name : {"images/gray.png", "images/gray_alpha.png"}) {
    Image image = decode_image(fixture(name));
    REQUIRE(image.width == 4);
    REQUIRE(image.height == 3);
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) {
        const uint8_t v = uint8_t(20 * (3 * y + x) + 5);
        CHECK(pixel(image, y, x) == std::array<uint8_t, 3>{v, v, v});
      }
  }
  Image rgba = decode_image(fixture("images/rgba.png"));
  REQUIRE(rgba.width == 4);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) CHECK(pixel(rgba, y, x) == std::array<uint8_t, 3>{uint8_t(60 * x), uint8_t(80 * y), 7});
}

TEST_CASE("image_io: write_png round trip replaces the file atomically") {
  Image image;
  image.height = 5;
  image.width = 7;
  for (int i = 0; i < 5 * 7 * 3; ++i) image.rgb.push_back(uint8_t(i * 37 % 256));
  const std::string path = temp_path("round_trip.png");
  write_png(path, image);
  Image other = image;
  other.rgb[0] ^= 0xff;
  write_png(path, other);  // over an existing file
  Image back = decode_image(path);
  CHECK(back.height == 5);
  CHECK(back.width == 7);
  CHECK(back.rgb == other.rgb);
  CHECK(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK) != 0);  // no temporary left
  std::remove(path.c_str());
}

TEST_CASE("image_io: write_png refuses a wrong-sized image and an unwritable folder") {
  Image image;
  image.height = 2;
  image.width = 3;
  image.rgb.assign(17, 0);
  CHECK(error_of([&] { write_png(temp_path("x.png"), image); }) ==
        "write_png: " + temp_path("x.png") + ": a 2x3 RGB image needs 18 bytes, got 17");
  image.rgb.assign(18, 0);
  CHECK(has(error_of([&] { write_png("/nonexistent-folder/x.png", image); }),
            "/nonexistent-folder/x.png: cannot write /nonexistent-folder/x.png.tmp."));
}

TEST_CASE("image_io: a missing file says so") {
  CHECK(error_of([] { decode_image(fixture("images/absent.jpg")); }) ==
        "tests/data/datasets/images/absent.jpg: cannot open (No such file or directory)");
}

TEST_CASE("image_io: a truncated JPEG is refused with stb's reason") {
  CHECK(error_of([] { decode_image(fixture("images/truncated.jpg")); }) ==
        "tests/data/datasets/images/truncated.jpg: cannot decode: expected marker (truncated or corrupt?)");
}

TEST_CASE("image_io: a PNG whose chunk fails its CRC is refused") {
  const std::string message = error_of([] { decode_image(fixture("images/bad_crc.png")); });
  CHECK(has(message, "tests/data/datasets/images/bad_crc.png: cannot decode: PNG chunk 'IDAT' at byte 33 fails its "
                     "CRC check (stored 0x"));
  CHECK(has(message, "): the file is corrupt"));
}

TEST_CASE("image_io: a truncated PNG is refused") {
  CHECK(has(error_of([] { decode_image(fixture("images/truncated.png")); }),
            "tests/data/datasets/images/truncated.png: cannot decode: PNG chunk 'IDAT' at byte 33 needs "));
  // Cut 2 bytes after the signature: not even a chunk header, so no IEND either.
  std::ifstream in(fixture("images/rgba.png"), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  CHECK(error_of([&] { decode_image_memory(bytes.data(), 10, "rgba[:10]"); }) ==
        "rgba[:10]: cannot decode: PNG ends at byte 10 before its IEND chunk (truncated?)");
}

TEST_CASE("image_io: bytes that are no image, and no bytes") {
  const std::string text = "hello, not an image";
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  CHECK(error_of([&] { decode_image_memory(bytes, text.size(), "note.txt"); }) ==
        "note.txt: cannot decode: unknown image type (only JPEG and PNG are read)");
  CHECK(error_of([] { decode_image_memory(nullptr, 0, "empty.jpg"); }) ==
        "empty.jpg: cannot decode: the file is empty");
}

// ---- COCO keypoints: the hand-made file ----

TEST_CASE("coco: tiny file under the default options (SAR_SPEC 4 filters)") {
  const KeypointDataset data = load_coco_keypoints(fixture("tiny_coco.json"), "images/root");
  // 1 kept; 2 crowd; 3 no keypoints; 4 clipped; 5 clipped to nothing; 6 another category;
  // 7 zero width; 8 kept.
  CHECK(annotation_ids(data) == std::vector<int64_t>{1, 4, 8});
  CHECK(data.skipped == 0);
  CHECK(data.image_root == "images/root");
  REQUIRE(data.images.size() == 3);
  CHECK(data.images[2].id == 12);
  CHECK(data.images[2].file_name == "c.jpg");
  CHECK(data.images[2].width == 30);

  const PersonRecord& first = data.people[0];
  CHECK(first.image_id == 10);
  CHECK(first.image_path == "a.jpg");
  CHECK(image_file(data.image_root, first.image_path) == "images/root/a.jpg");
  CHECK(first.image_width == 100);
  CHECK(first.image_height == 80);
  CHECK(first.bbox == std::array<float, 4>{10, 20, 30, 40});
  CHECK(first.keypoints == std::vector<float>{20, 25, 2, 15, 40, 1, 35.5, 40, 2, 18, 58, 2, 32, 59, 2});
  CHECK(first.area == doctest::Approx(600.5));
  CHECK(first.score == 1.f);
  // [-5, 30, 20, 25] in a 50 x 40 image: corners clipped into [0, 49] x [0, 39].
  CHECK(data.people[1].bbox == std::array<float, 4>{0, 30, 15, 9});

  const DatasetMeta& meta = data.meta;
  CHECK(meta.name == "tiny_coco");
  CHECK(meta.keypoint_names == std::vector<std::string>{"nose", "left_wrist", "right_wrist", "l_foot", "r_foot"});
  CHECK(meta.skeleton == std::vector<std::pair<int, int>>{{0, 1}, {0, 2}, {3, 4}});
  CHECK(meta.flip_index == std::vector<int>{0, 2, 1, 4, 3});
  CHECK(meta.sigmas == std::vector<float>{.026f, .062f, .062f, kDefaultSigma, kDefaultSigma});
  CHECK(meta.upper_body == std::vector<int>{0, 1, 2});
}

TEST_CASE("coco: tiny file with every filter off keeps all but the zero-width box") {
  CocoLoadOptions options;
  options.drop_crowd = false;
  options.min_keypoints = 0;
  options.clip_boxes = false;
  const KeypointDataset data = load_coco_keypoints(fixture("tiny_coco.json"), "", options);
  CHECK(annotation_ids(data) == std::vector<int64_t>{1, 2, 3, 4, 5, 8});
  CHECK(data.people[3].bbox == std::array<float, 4>{-5, 30, 20, 25});
  CHECK(image_file("", data.people[0].image_path) == "a.jpg");
}

TEST_CASE("coco: category_id picks the category, else the only one with keypoints") {
  CocoLoadOptions options;
  options.category_id = 7;
  CHECK(load_coco_keypoints(fixture("tiny_coco.json"), "", options).people.size() == 3);
  options.category_id = 2;
  CHECK(error_of([&] { load_coco_keypoints(fixture("tiny_coco.json"), "", options); }) ==
        "tests/data/datasets/tiny_coco.json: categories[0] has no \"keypoints\"");
}

// ---- COCO keypoints: refusals, and skip_bad ----

TEST_CASE("coco: malformed JSON names the byte, even under skip_bad") {
  CocoLoadOptions skip;
  skip.skip_bad = true;
  const std::string message = error_of([&] { load_coco_keypoints(fixture("truncated.json"), "", skip); });
  CHECK(has(message, "tests/data/datasets/truncated.json: not valid JSON (at byte 276): "));
  CHECK(has(message, "unexpected end of input"));
}

TEST_CASE("coco: a file without annotations or images is refused") {
  CHECK(error_of([] { load_coco_keypoints(fixture("no_annotations.json"), ""); }) ==
        "tests/data/datasets/no_annotations.json: no \"annotations\" array at the top level; is this a keypoint "
        "annotation file?");
  CHECK(error_of([] { load_coco_keypoints(fixture("no_images.json"), ""); }) ==
        "tests/data/datasets/no_images.json: no \"images\" array at the top level; is this a COCO keypoint "
        "annotation file?");
  CHECK(error_of([] { load_coco_keypoints(fixture("absent.json"), ""); }) ==
        "tests/data/datasets/absent.json: cannot open (No such file or directory)");
}

TEST_CASE("coco: each bad annotation is refused by name, or skipped and counted") {
  struct Case {
    const char* file;
    const char* message;
  };
  const Case cases[] = {
      {"wrong_keypoint_count.json", "annotations[1].keypoints has 50 values, expected 51 = 3 x 17"},
      {"negative_box.json", "annotations[1].bbox [10,10,-4,20] has a negative size (w = -4, h = 20)"},
      {"unknown_image.json", "annotations[1].image_id 99 is not in \"images\""},
      {"duplicate_annotation_id.json", "annotations[1].id 1 repeats annotations[0]"},
      {"duplicate_image_id.json", "images[1].id 1 repeats images[0]"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    const std::string path = fixture(c.file);
    CHECK(error_of([&] { load_coco_keypoints(path, ""); }) == path + ": " + c.message);
    CocoLoadOptions skip;
    skip.skip_bad = true;
    KeypointDataset data;
    const std::string printed = stderr_of([&] { data = load_coco_keypoints(path, "", skip); });
    CHECK(printed == "skipped: " + path + ": " + c.message + "\n");
    CHECK(data.skipped == 1);
    CHECK(annotation_ids(data) == std::vector<int64_t>{1});
  }
}

TEST_CASE("coco: skip_bad skips every kind of bad entry, one stderr line each") {
  CocoLoadOptions skip;
  skip.skip_bad = true;
  KeypointDataset data;
  const std::string path = fixture("many_faults.json");
  const std::string printed = stderr_of([&] { data = load_coco_keypoints(path, "", skip); });
  CHECK(annotation_ids(data) == std::vector<int64_t>{1, 9});
  CHECK(data.images.size() == 1);
  CHECK(data.skipped == 12);
  const std::string expected[] = {
      "images[1].width must be a positive size, got -3",
      "images[2].id 1 repeats images[0]",
      "images[3] has no \"file_name\"",
      "annotations[1].keypoints has 5 values, expected 6 = 3 x 2",
      "annotations[2].bbox [4,4,20,-30] has a negative size (w = 20, h = -30)",
      "annotations[3].image_id 2 is not in \"images\"",
      "annotations[4].id 1 repeats annotations[0]",
      "annotations[5].keypoints[2] (the v of keypoint 0) must be 0, 1 or 2, got 3",
      "annotations[6] has no \"bbox\"",
      "annotations[7].keypoints[1] must be a finite number, got \"a\"",
      "annotations[8].iscrowd must be 0 or 1, got 2",
      "annotations[9] must be an object, got [1,2,3]",
  };
  std::string lines;
  for (const std::string& e : expected) lines += "skipped: " + path + ": " + e + "\n";
  CHECK(printed == lines);
}

TEST_CASE("datasets: flip_index_from_names pairs sides by prefix or suffix") {
  CHECK(flip_index_from_names({"head", "left_hand", "right_hand", "knee_l", "knee_r", "r_toe", "l_toe"}) ==
        std::vector<int>{0, 2, 1, 4, 3, 6, 5});
  CHECK(error_of([] { flip_index_from_names({"nose", "left_eye"}); }) ==
        "flip_index_from_names: keypoint 1 \"left_eye\" has no \"right_eye\" to swap with under a horizontal flip");
  CHECK(upper_body_from_names({"left_ankle", "upper_neck", "thorax", "pelvis", "head_top"}) ==
        std::vector<int>{1, 2, 4});
}

TEST_CASE("datasets: image_file joins the root and a relative path") {
  CHECK(image_file("data/images", "a.jpg") == "data/images/a.jpg");
  CHECK(image_file("data/images/", "a.jpg") == "data/images/a.jpg");
  CHECK(image_file("data/images", "/abs/a.jpg") == "/abs/a.jpg");
}

// ---- detections ----

TEST_CASE("detections: boxes on the data set's images, also those without people") {
  const KeypointDataset gt = load_coco_keypoints(fixture("tiny_coco.json"), "root");
  const KeypointDataset dets = load_detections(fixture("tiny_dets.json"), gt);
  // [2] is another category, [3] has zero width.
  REQUIRE(dets.people.size() == 3);
  CHECK(dets.skipped == 0);
  CHECK(dets.image_root == "root");
  CHECK(dets.meta.keypoint_names == gt.meta.keypoint_names);
  CHECK(dets.images.size() == 3);
  const PersonRecord& second = dets.people[1];
  CHECK(second.image_id == 12);  // no ground-truth person is kept on image 12
  CHECK(second.image_path == "c.jpg");
  CHECK(second.image_width == 30);
  CHECK(second.bbox == std::array<float, 4>{1, 2, 3, 4});
  CHECK(second.score == doctest::Approx(0.3));
  CHECK(second.annotation_id == -1);
  CHECK(second.keypoints == std::vector<float>(15, 0.f));
  DetectionLoadOptions options;
  options.min_score = 0.05f;
  CHECK(load_detections(fixture("tiny_dets.json"), gt, options).people.size() == 2);
}

TEST_CASE("detections: bad entries are refused by index, or skipped and counted") {
  const KeypointDataset gt = load_coco_keypoints(fixture("tiny_coco.json"), "");
  const std::string path = fixture("bad_dets.json");
  CHECK(error_of([&] { load_detections(path, gt); }) == path + ": [1].image_id 99 is not an image of the data set");
  DetectionLoadOptions skip;
  skip.skip_bad = true;
  KeypointDataset dets;
  const std::string printed = stderr_of([&] { dets = load_detections(path, gt, skip); });
  CHECK(dets.people.size() == 1);
  CHECK(dets.skipped == 3);
  CHECK(has(printed, path + ": [2].bbox [0,0,-1,3] has a negative size (w = -1, h = 3)\n"));
  CHECK(has(printed, path + ": [3] has no \"score\"\n"));
  CHECK(error_of([&] { load_detections(fixture("tiny_coco.json"), gt); }) ==
        fixture("tiny_coco.json") + ": a detection results file must be a JSON array of {image_id, bbox, score, "
        "category_id}");
}

TEST_CASE("detections: another data set's file: boxes off the image refused, the skipped listed up to 20") {
  const KeypointDataset gt = load_coco_keypoints(fixture("tiny_coco.json"), "");
  // image 11 is 50x40: a box starting at x = 60 misses it; then 30 entries of an unknown image
  nlohmann::json dets = nlohmann::json::array();
  dets.push_back({{"image_id", 11}, {"category_id", 1}, {"bbox", {60, 5, 10, 10}}, {"score", 0.9}});
  for (int i = 0; i < 30; ++i)
    dets.push_back({{"image_id", 500 + i}, {"category_id", 1}, {"bbox", {1, 1, 5, 5}}, {"score", 0.9}});
  const std::string path = temp_path("foreign_dets.json");
  std::ofstream(path) << dets.dump();
  CHECK(error_of([&] { load_detections(path, gt); }) ==
        path + ": [0].bbox [60, 5, 10, 10] lies outside image 11 (50x40)");
  DetectionLoadOptions skip;
  skip.skip_bad = true;
  KeypointDataset loaded;
  const std::string printed = stderr_of([&] { loaded = load_detections(path, gt, skip); });
  CHECK(loaded.skipped == 31);
  CHECK(loaded.people.empty());
  size_t listed = 0;
  const std::string line = "skipped: " + path;
  for (size_t at = printed.find(line); at != std::string::npos; at = printed.find(line, at + 1)) ++listed;
  CHECK(listed == 20);
  CHECK(has(printed, "skipped: more than 20 entries; the others are counted, not listed\n"));
}

// ---- MPII ----

TEST_CASE("mpii: joints and centre to 0-based pixels, the box from centre and scale") {
  const KeypointDataset data = load_mpii_json(fixture("tiny_mpii.json"), "mpii/images");
  REQUIRE(data.people.size() == 2);  // the third entry has no labelled joint
  CHECK(data.images.size() == 2);    // and its image is the first one's
  CHECK(data.images[1].id == 2);
  CHECK(data.images[1].file_name == "000000002.jpg");
  const PersonRecord& first = data.people[0];
  CHECK(first.image_id == 1);
  CHECK(first.image_path == "000000001.jpg");
  CHECK(first.image_width == 0);
  for (int k = 0; k < 16; ++k) {
    CHECK(first.keypoints[3 * k] == float(10 + 2 * k));
    CHECK(first.keypoints[3 * k + 1] == float(20 + 3 * k));
    CHECK(first.keypoints[3 * k + 2] == 2.f);
  }
  // scale 1: a 200 px square around (101 - 1, 201 + 15 - 1).
  CHECK(first.bbox == std::array<float, 4>{0, 115, 200, 200});
  const PersonRecord& second = data.people[1];
  CHECK(second.keypoints[0] == 0.f);  // joint 0 not labelled
  CHECK(second.keypoints[2] == 0.f);
  CHECK(second.keypoints[3 * 5 + 2] == 0.f);
  CHECK(second.bbox == std::array<float, 4>{0, 17.5f, 100, 100});

  const DatasetMeta& meta = data.meta;
  CHECK(meta.name == "mpii");
  CHECK(meta.num_keypoints() == 16);
  CHECK(meta.flip_index == std::vector<int>{5, 4, 3, 2, 1, 0, 6, 7, 8, 9, 15, 14, 13, 12, 11, 10});
  CHECK(meta.upper_body == std::vector<int>{7, 8, 9, 10, 11, 12, 13, 14, 15});
  CHECK(meta.skeleton.size() == 15);
  MpiiLoadOptions all;
  all.min_keypoints = 0;
  CHECK(load_mpii_json(fixture("tiny_mpii.json"), "", all).people.size() == 3);
}

TEST_CASE("mpii: bad entries are refused by index, or skipped and counted") {
  const std::string path = fixture("bad_mpii.json");
  CHECK(has(error_of([&] { load_mpii_json(path, ""); }), path + ": [1].joints must hold 16 [x, y] pairs, got "));
  MpiiLoadOptions skip;
  skip.skip_bad = true;
  KeypointDataset data;
  const std::string printed = stderr_of([&] { data = load_mpii_json(path, "", skip); });
  CHECK(data.people.size() == 1);
  CHECK(data.skipped == 3);
  CHECK(has(printed, path + ": [2].scale must be positive (the person's height / 200 px), got 0\n"));
  CHECK(has(printed, path + ": [3].image \"frame.jpg\" is not named by a number as MPII's images are"));
}

// ---- COCO-WholeBody ----

TEST_CASE("coco_wholebody: a part of the wrong length is refused by field") {
  const std::string path = fixture("bad_wholebody.json");
  CHECK(error_of([&] { load_coco_wholebody(path, ""); }) ==
        path + ": annotations[0].face_kpts has 3 values, expected 204 = 3 x 68");
}

SHARED_DATA_TEST_CASE("coco_wholebody: mmpose fixture in the official order (body, foot, face, left, right hand)") {
  CocoLoadOptions all;
  all.min_keypoints = 0;
  const KeypointDataset data = load_coco_wholebody(shared("mmpose_fixtures/coco/test_coco_wholebody.json"), "", all);
  REQUIRE(data.people.size() == 14);
  CHECK(load_coco_wholebody(shared("mmpose_fixtures/coco/test_coco_wholebody.json"), "").people.size() == 12);
  // mmpose's flattened copy of the same annotations holds the 133 keypoints concatenated.
  std::ifstream in(shared("mmpose_fixtures/coco/test_keypoint_partition_metric.json"));
  const nlohmann::json flat = nlohmann::json::parse(in);
  REQUIRE(flat["annotations"].size() == 14);
  for (size_t i = 0; i < 14; ++i) {
    CAPTURE(i);
    CHECK(data.people[i].annotation_id == flat["annotations"][i]["id"].get<int64_t>());
    CHECK(data.people[i].keypoints == flat["annotations"][i]["keypoints"].get<std::vector<float>>());
  }
  const DatasetMeta& meta = data.meta;
  REQUIRE(meta.num_keypoints() == 133);
  REQUIRE(meta.sigmas.size() == 133);
  CHECK(meta.sigmas[17] == .068f);   // the first foot sigma
  CHECK(meta.sigmas[23] == .042f);   // the first face sigma
  CHECK(meta.sigmas[132] == .031f);  // the last right-hand sigma
  CHECK(meta.keypoint_names[17] == "left_big_toe");
  CHECK(meta.keypoint_names[23] == "face-0");
  CHECK(meta.keypoint_names[91] == "left_hand_root");
  CHECK(meta.keypoint_names[132] == "right_pinky_finger4");
  for (int k = 0; k < 133; ++k) CHECK(meta.flip_index[meta.flip_index[k]] == k);  // an involution
  CHECK(meta.flip_index[17] == 20);    // left_big_toe <-> right_big_toe
  CHECK(meta.flip_index[23] == 39);    // face-0 <-> face-16
  CHECK(meta.flip_index[23 + 30] == 23 + 30);  // nose tip stays
  CHECK(meta.flip_index[91] == 112);   // left_hand_root <-> right_hand_root
  CHECK(meta.upper_body == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

SHARED_DATA_TEST_CASE("coco_wholebody: the evaluation fixture loads 26 people on 5 images") {
  CocoLoadOptions all;
  all.min_keypoints = 0;
  const KeypointDataset data = load_coco_wholebody(shared("coco_wholebody_eval/example_gt.json"), "", all);
  CHECK(data.people.size() == 26);
  CHECK(data.images.size() == 5);
  CHECK(load_coco_wholebody(shared("coco_wholebody_eval/example_gt.json"), "").people.size() == 24);
}

// ---- real data sets ----

SHARED_DATA_TEST_CASE("coco: coco_mini train2017, 172 annotations, 86 kept for training") {
  const std::string json = shared("coco_mini/annotations/person_keypoints_train2017.json");
  const KeypointDataset data = load_coco_keypoints(json, shared("coco_mini/train2017"));
  CHECK(data.people.size() == 86);
  CHECK(data.images.size() == 80);
  CHECK(data.skipped == 0);
  CHECK(data.meta.num_keypoints() == 17);
  CHECK(data.meta.flip_index == std::vector<int>{0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15});
  CHECK(data.meta.sigmas == std::vector<float>{.026f, .025f, .025f, .035f, .035f, .079f, .079f, .072f, .072f, .062f,
                                               .062f, .107f, .107f, .087f, .087f, .089f, .089f});
  CHECK(data.meta.upper_body == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(data.meta.skeleton.size() == 19);
  CHECK(data.meta.skeleton[0] == std::pair<int, int>{15, 13});
  int labelled = 0;
  for (const PersonRecord& p : data.people)
    for (size_t j = 2; j < p.keypoints.size(); j += 3) labelled += p.keypoints[j] > 0;
  CHECK(labelled == 800);
  CocoLoadOptions all;
  all.drop_crowd = false;
  all.min_keypoints = 0;
  CHECK(load_coco_keypoints(json, "", all).people.size() == 172);
}

SHARED_DATA_TEST_CASE("datasets: lspet val, 1000 people, 14 keypoints, flip pairs from the names") {
  const KeypointDataset data =
      load_coco_keypoints(shared("lspet/annotations/lspet_val.json"), shared("lspet/images"));
  CHECK(data.people.size() == 1000);
  const DatasetMeta& meta = data.meta;
  REQUIRE(meta.num_keypoints() == 14);
  // right ankle, knee, hip / left hip, knee, ankle / right wrist, elbow, shoulder / left ... / neck, head top
  CHECK(meta.flip_index == std::vector<int>{5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13});
  CHECK(meta.upper_body == std::vector<int>{6, 7, 8, 9, 10, 11, 12, 13});
  CHECK(meta.sigmas[0] == .089f);
  CHECK(meta.sigmas[13] == .079f);
  CHECK(meta.skeleton.size() == 15);
  for (const PersonRecord& p : data.people) {
    REQUIRE(p.keypoints.size() == 42);
    CHECK(p.bbox[0] + p.bbox[2] <= p.image_width - 1 + 1e-3f);  // clipped into the image
  }
}

SHARED_DATA_TEST_CASE("coco: mmpose val2017 fixture, 14 people on 4 images, and its detections") {
  const std::string root = shared("mmpose_fixtures/coco");
  const KeypointDataset data = load_coco_keypoints(root + "/test_coco.json", root);
  CHECK(data.people.size() == 12);  // two have no labelled keypoint
  CocoLoadOptions all;
  all.min_keypoints = 0;
  const KeypointDataset everyone = load_coco_keypoints(root + "/test_coco.json", root, all);
  CHECK(everyone.people.size() == 14);
  const KeypointDataset dets = load_detections(root + "/test_coco_det_AP_H_56.json", everyone);
  CHECK(dets.people.size() == 118);
  std::set<std::string> files;
  for (const PersonRecord& p : dets.people) files.insert(p.image_path);
  CHECK(files.size() == 4);
}

SHARED_DATA_TEST_CASE("datasets: crowdpose, fixture and official val annotations") {
  const std::string root = shared("mmpose_fixtures/crowdpose");
  KeypointDataset fixture_data;
  const std::string printed =
      stderr_of([&] { fixture_data = load_coco_keypoints(root + "/test_crowdpose.json", root); });
  CHECK(has(printed, "skeleton[0] = [16,14] names a keypoint outside 1..14; the skeleton is ignored"));
  CHECK(fixture_data.people.size() == 4);
  const DatasetMeta& meta = fixture_data.meta;
  CHECK(meta.skeleton.empty());
  CHECK(meta.flip_index == std::vector<int>{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 12, 13});
  // The official CrowdPose sigmas (crowdposetools/cocoeval.py).
  CHECK(meta.sigmas == std::vector<float>{.079f, .079f, .072f, .072f, .062f, .062f, .107f, .107f, .087f, .087f,
                                          .089f, .089f, .079f, .079f});
  CHECK(meta.upper_body == std::vector<int>{0, 1, 2, 3, 4, 5, 12, 13});
  CHECK(load_detections(root + "/test_crowdpose_det_AP_40.json", fixture_data).people.size() == 6);

  KeypointDataset val;
  stderr_of([&] { val = load_coco_keypoints(shared("crowdpose_val_annotations/crowdpose_val.json"), ""); });
  CHECK(val.images.size() == 2000);
  CHECK(val.people.size() == 7962);  // of 8527: 106 crowd, the rest without a labelled keypoint
  CocoLoadOptions all;
  all.drop_crowd = false;
  all.min_keypoints = 0;
  stderr_of([&] {
    CHECK(load_coco_keypoints(shared("crowdpose_val_annotations/crowdpose_val.json"), "", all).people.size() == 8527);
  });
}

SHARED_DATA_TEST_CASE("datasets: ochuman fixture, 5 people on 3 images") {
  const std::string root = shared("mmpose_fixtures/ochuman");
  const KeypointDataset data = load_coco_keypoints(root + "/test_ochuman.json", root);
  CHECK(data.people.size() == 5);
  CHECK(data.images.size() == 3);
}

SHARED_DATA_TEST_CASE("mpii: mmpose fixture, 5 people whose joints fall on their images") {
  const std::string root = shared("mmpose_fixtures/mpii");
  const KeypointDataset data = load_mpii_json(root + "/test_mpii.json", root);
  REQUIRE(data.people.size() == 5);
  const PersonRecord& first = data.people[0];
  CHECK(first.image_id == 5808361);
  // center (966, 340), scale 4.718488: side 943.6976 around (965, 340 + 70.77732 - 1).
  CHECK(first.bbox[0] == doctest::Approx(965 - 943.6976 / 2));
  CHECK(first.bbox[1] == doctest::Approx(409.77732 - 943.6976 / 2));
  CHECK(first.bbox[2] == doctest::Approx(943.6976));
  for (const PersonRecord& p : data.people) {
    const Image image = decode_image(image_file(data.image_root, p.image_path));
    for (size_t j = 0; j < p.keypoints.size(); j += 3)
      if (p.keypoints[j + 2] > 0) {
        CHECK(p.keypoints[j] >= 0);
        CHECK(p.keypoints[j] <= image.width - 1);
        CHECK(p.keypoints[j + 1] >= 0);
        CHECK(p.keypoints[j + 1] <= image.height - 1);
      }
  }
}

SHARED_DATA_TEST_CASE("image_io: real JPEGs and PNGs decode to the sizes their json gives") {
  std::vector<std::pair<std::string, std::string>> sets = {
      {"mmpose_fixtures/coco/test_coco.json", "mmpose_fixtures/coco"},
      {"mmpose_fixtures/crowdpose/test_crowdpose.json", "mmpose_fixtures/crowdpose"},
      {"mmpose_fixtures/ochuman/test_ochuman.json", "mmpose_fixtures/ochuman"},
      {"lspet/annotations/lspet_val.json", "lspet/images"},
      {"coco_mini/annotations/person_keypoints_train2017.json", "coco_mini/train2017"},
  };
  int decoded = 0;
  for (const auto& [json, folder] : sets) {
    KeypointDataset data;
    stderr_of([&] { data = load_coco_keypoints(shared(json), shared(folder)); });  // CrowdPose's skeleton warning
    for (size_t i = 0; i < std::min<size_t>(data.images.size(), 4); ++i) {
      const ImageRecord& record = data.images[i];
      CAPTURE(record.file_name);
      const Image image = decode_image(image_file(data.image_root, record.file_name));
      CHECK(image.width == record.width);
      CHECK(image.height == record.height);
      CHECK(image.rgb.size() == size_t(image.width) * image.height * 3);
      ++decoded;
    }
  }
  CHECK(decoded == 17);
  // 300-W's json has no keypoint names to load by, so its image sizes are read directly.
  std::ifstream in(shared("mmpose_fixtures/300w/test_300w.json"));
  // Named: a range-for over parse(in)["images"] would walk a temporary destroyed before the loop.
  const nlohmann::json w300 = nlohmann::json::parse(in);
  for (const nlohmann::json& record : w300["images"]) {
    const Image image = decode_image(shared("mmpose_fixtures/300w/" + record["file_name"].get<std::string>()));
    CHECK(image.width == record["width"].get<int>());
    CHECK(image.height == record["height"].get<int>());
  }
}
