// infer_command.cpp: `sar infer` (train/run_commands.h): one person in one image, its predicted
// skeleton drawn on the image, and with --maps the confidence map of every keypoint over the
// crop (the paper's Figure 3).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/draw.h"
#include "datasets/image_io.h"
#include "eval/inference.h"
#include "eval/visualize.h"
#include "train/arg_parser.h"
#include "train/command_setup.h"
#include "train/run_commands.h"
#include "train/run_pngs.h"

namespace sar {

namespace {

const char* kInferUsage =
    "usage: sar infer [--config FILE.json] --checkpoint CK.safetensors --image IMG [--bbox x,y,w,h]\n"
    "                 --out OUT.png [--maps] [--no-flip] [--set key=value ...] [--device D] [--json]\n"
    "\n"
    "  Predicts the keypoints of the person in box x,y,w,h (image pixels; default: the whole\n"
    "  image), draws the skeleton, each keypoint's score and the --bbox on the image into OUT.png\n"
    "  (a whole factor larger where its short side is under 384 pixels) and prints the keypoints\n"
    "  (name, x, y, score, in the image's own pixels).\n"
    "  --maps   also writes OUT_maps.png: each keypoint's confidence map over the crop the\n"
    "           network saw (SAR: the selector's c_t = sigmoid(s_t); heatmap heads: heatmaps)\n"
    "  --json   one JSON object on the last line: {\"names\": [...], \"keypoints\": [[x, y, score], ...]}\n"
    "  The checkpoint's config (or --config) names the data set, whose keypoints, skeleton and\n"
    "  flip pairs are used.\n";

constexpr int kMinDrawnSide = 384;  // the drawn image's short side, at least (a whole factor)

std::string maps_path_for(const std::string& out) {
  const size_t dot = out.rfind('.');
  const size_t slash = out.rfind('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? out.substr(0, dot) : out) + "_maps.png";
}

}  // namespace

int infer_main(int argc, char** argv) {
  std::string config_path, checkpoint, image_path, bbox_text, out, device_spec = "auto";
  std::vector<std::string> overrides;
  bool maps = false, flip = true, as_json = false;
  ArgParser args("sar infer", kInferUsage);
  args.value("--config", &config_path);
  args.value("--checkpoint", &checkpoint);
  args.value("--image", &image_path);
  args.value("--bbox", &bbox_text);
  args.value("--out", &out);
  args.flag("--maps", &maps);
  args.toggle("flip", &flip);
  args.repeated("--set", &overrides);
  args.value("--device", &device_spec);
  args.flag("--json", &as_json);
  if (!args.parse(argc, argv)) return 0;
  args.require("--checkpoint");
  args.require("--image");
  args.require("--out");
  check_png_output_path("sar infer", out, {checkpoint, config_path, image_path});
  if (maps) check_png_output_path("sar infer", maps_path_for(out), {checkpoint, config_path, image_path});
  if (args.given("--no-flip")) overrides.push_back("eval.flip=false");

  const RunConfig config = command_config("sar infer", config_path, checkpoint, overrides);
  note_input_size("sar infer", config, config_path, checkpoint);
  const DatasetMeta meta = open_split(config, Split::Val)->meta();
  const Image image = decode_image(image_path);
  std::array<float, 4> box{0, 0, float(image.width), float(image.height)};
  if (!bbox_text.empty()) {
    char end = 0;
    SAR_CHECK(std::sscanf(bbox_text.c_str(), "%f,%f,%f,%f%c", &box[0], &box[1], &box[2], &box[3], &end) == 4 &&
                  std::isfinite(box[0]) && std::isfinite(box[1]) && std::isfinite(box[2]) &&
                  std::isfinite(box[3]) && box[2] > 0 && box[3] > 0,
              "sar infer --bbox: expected x,y,w,h, finite numbers with w, h > 0, got '", bbox_text, "'");
    // A box that misses the image holds nothing to find (the crop would be all border).
    SAR_CHECK(box[0] < image.width && box[1] < image.height && box[0] + box[2] > 0 && box[1] + box[3] > 0,
              "sar infer --bbox ", bbox_text, ": the box lies outside the ", image.width, "x", image.height, " image");
  }

  KeypointDataset one;
  one.meta = meta;
  one.images.push_back(ImageRecord{1, image_path, image.width, image.height});
  PersonRecord person;
  person.image_path = image_path;
  person.image_id = 1;
  person.bbox = box;
  person.keypoints.assign(size_t(3 * meta.num_keypoints()), 0.f);
  person.image_width = image.width;
  person.image_height = image.height;
  one.people.push_back(person);
  const KeypointSource source(std::move(one));

  const Device device = command_device(device_spec);
  auto model = trained_model(config, meta, checkpoint, device);
  SAR_CHECK(!maps || model->head().has_confidence_maps(), "sar infer --maps: the ", config.model.head,
            " head has no confidence maps (SAR's and the heatmap heads' have)");
  InferenceOptions options;
  options.flip = config.eval.flip;
  options.batch_size = 1;
  options.workers = 1;
  options.keep_maps = maps;
  options.device = device;
  const TopdownConfig crop = crop_config(config, Split::Val, model->feature_stride(), false);
  const PersonPrediction p = predict_people(*model, source, crop, options).at(0);

  // A small image is drawn enlarged (its short side to at least 384 pixels), so that the score
  // labels do not cover the person; the box the crop came from is drawn too, when one was given.
  const int factor = std::max(1, (kMinDrawnSide + std::min(image.height, image.width) - 1) /
                                     std::min(image.height, image.width));
  const auto drawn = [factor](double v) { return float((v + 0.5) * factor - 0.5); };
  Image canvas = upscale(image, factor);
  std::vector<double> keypoints = p.keypoints;
  for (size_t k = 0; k + 2 < keypoints.size(); k += 3) {
    keypoints[k] = drawn(keypoints[k]);
    keypoints[k + 1] = drawn(keypoints[k + 1]);
  }
  if (!bbox_text.empty()) {
    const float x0 = drawn(box[0]), y0 = drawn(box[1]), x1 = drawn(box[0] + box[2]), y1 = drawn(box[1] + box[3]);
    const Rgb white{255, 255, 255};
    for (const auto& [ax, ay, bx, by] : {std::array<float, 4>{x0, y0, x1, y0}, {x1, y0, x1, y1}, {x1, y1, x0, y1},
                                        {x0, y1, x0, y0}})
      draw_line(&canvas, ax, ay, bx, by, 0.8f, white, 0.8f);
  }
  draw_pose(&canvas, keypoints, meta, 0.0, /*label_scores=*/true);
  write_png(out, canvas);
  std::printf("%-16s %9s %9s %7s\n", "keypoint", "x", "y", "score");
  for (int k = 0; k < meta.num_keypoints(); ++k)
    std::printf("%-16s %9.2f %9.2f %7.3f\n", meta.keypoint_names[size_t(k)].c_str(), p.keypoints[size_t(3 * k)],
                p.keypoints[size_t(3 * k + 1)], p.keypoints[size_t(3 * k + 2)]);
  std::printf("wrote %s", out.c_str());
  if (maps) {
    const std::string maps_out = maps_path_for(out);
    write_png(maps_out, confidence_grid(drawn_crop(p.crop, crop), p.maps, meta, 5));
    std::printf(" and %s", maps_out.c_str());
  }
  std::printf("\n");
  if (as_json) {
    std::printf("{\"names\": [");
    for (int k = 0; k < meta.num_keypoints(); ++k) std::printf("%s\"%s\"", k ? ", " : "", meta.keypoint_names[size_t(k)].c_str());
    std::printf("], \"keypoints\": [");
    for (int k = 0; k < meta.num_keypoints(); ++k)
      std::printf("%s[%.17g, %.17g, %.17g]", k ? ", " : "", p.keypoints[size_t(3 * k)], p.keypoints[size_t(3 * k + 1)],
                  p.keypoints[size_t(3 * k + 2)]);
    std::printf("]}\n");
  }
  return 0;
}

}  // namespace sar
