// data_commands.cpp: `sar data show` (train/data_commands.h): the loader's crops as one PNG.
#include "train/data_commands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/error.h"
#include "datasets/image_io.h"
#include "datasets/loader.h"
#include "eval/visualize.h"
#include "train/arg_parser.h"
#include "train/command_setup.h"
#include "train/run_config.h"

namespace sar {

namespace {

const char* kShowUsage =
    "usage: sar data show [--dataset synthetic|coco] [--json FILE --images DIR] [--input 256x192]\n"
    "                     [--count 16] [--seed 0] [--train] --out grid.png\n"
    "       sar data show --config FILE.json [--set key=value ...] [--count 16] [--seed 0] [--train]\n"
    "                     --out grid.png\n"
    "  Writes a grid of the loader's input crops, de-normalized, with each supervised keypoint as a\n"
    "  disc (left keypoints in cool colours, right ones in warm) and the skeleton between them: what\n"
    "  the network sees.\n"
    "  --config: a run config's data set, split (val, or train with --train), input size and\n"
    "  augmentation (data.augment), as sar train would crop them; any data set it reads (mpii too).\n"
    "  The crops are the first --count samples of the seed's shuffled order; without --train they\n"
    "  are evaluation crops (box + padding only), with it training crops (flip, half-body, shift,\n"
    "  scale, rotation), augmented as the loader does for that seed and epoch 0.\n"
    "  --dataset synthetic (default): the built-in stick figures (datasets/synthetic.h), 256x256;\n"
    "  --dataset coco: a COCO-format keypoint json (--json) and its image folder (--images).\n";

const char* kDataUsage =
    "usage: sar data <command>\n"
    "  show [--help]   a PNG grid of the loader's input crops with keypoints and skeleton\n";

// Crop k of the batch as 8-bit RGB with its supervised keypoints (weight > 0) and the limbs
// between them; unsupervised keypoints get no position, so draw_pose leaves them out.
Image annotated_crop(const Batch& batch, int64_t k, const TopdownConfig& crop, const DatasetMeta& meta) {
  const int J = meta.num_keypoints();
  const float* xy = batch.targets.xy.data<float>() + k * J * 2;  // [J, 2]
  const float* weight = batch.targets.weight.data<float>() + k * J;
  std::vector<double> keypoints(3 * size_t(J), std::nan(""));  // (x, y, score)
  for (int j = 0; j < J; ++j)
    if (weight[j] > 0) {
      keypoints[3 * j] = xy[2 * j];
      keypoints[3 * j + 1] = xy[2 * j + 1];
      keypoints[3 * j + 2] = 1;
    }
  const float* image = batch.images.data<float>() + k * 3 * crop.input_h * crop.input_w;  // [3, H, W]
  Image out = crop_to_image(image, crop.input_h, crop.input_w, crop);
  draw_pose(&out, keypoints, meta, 0.5, false);
  return out;
}

int show_main(int argc, char** argv) {
  std::string dataset = "synthetic", json, images, out, input, config_path;
  std::vector<std::string> overrides;
  int count = 16, seed = 0;
  bool train = false;
  ArgParser args("sar data show", kShowUsage);
  args.value("--config", &config_path);
  args.repeated("--set", &overrides);
  args.value("--dataset", &dataset);
  args.value("--json", &json);
  args.value("--images", &images);
  args.value("--input", &input);
  args.value("--count", &count, 1);
  args.value("--seed", &seed, 0);
  args.flag("--train", &train);
  args.value("--out", &out);
  if (!args.parse(argc, argv)) return 0;
  args.require("--out");
  check_png_output_path("sar data show", out, {json});
  LoaderConfig config;
  config.crop.train = train;
  SAR_CHECK(input.empty() || std::sscanf(input.c_str(), "%dx%d", &config.crop.input_h, &config.crop.input_w) == 2,
            "sar data show --input: expected HxW, e.g. 256x192, got '", input, "'");
  SAR_CHECK(count <= 1024, "sar data show --count: expected 1 to 1024, got ", count);
  SAR_CHECK(config.crop.input_h >= 8 && config.crop.input_w >= 8 && config.crop.input_h <= 4096 &&
                config.crop.input_w <= 4096,
            "sar data show --input: expected 8x8 to 4096x4096, got ", config.crop.input_h, "x", config.crop.input_w);
  SAR_CHECK(dataset == "coco" || (json.empty() && images.empty()),
            "sar data show: --json and --images read a COCO data set: add --dataset coco");
  SAR_CHECK(config_path.empty() || !(args.given("--dataset") || args.given("--json") || args.given("--input")),
            "sar data show --config: the config names the data set and the input size; change them with --set, ",
            "not --dataset, --json, --images or --input");
  SAR_CHECK(!config_path.empty() || overrides.empty(), "sar data show: --set needs --config");

  std::shared_ptr<SampleSource> source;
  if (!config_path.empty()) {  // as sar train crops: its stride decides which keypoints are supervised
    const RunConfig run = load_run_config(config_path, overrides);
    const Split split = train ? Split::Train : Split::Val;
    source = open_split(run, split);
    Generator gen(run.seed);
    const PoseModel model(model_config(run, source->meta().num_keypoints()), gen);
    config.crop = crop_config(run, split, model.feature_stride(), false);
  } else if (dataset == "synthetic") {
    source = std::make_shared<SyntheticSource>(SyntheticConfig{});
  } else if (dataset == "coco") {
    SAR_CHECK(!json.empty() && !images.empty(), "sar data show --dataset coco: needs --json FILE and --images DIR");
    // Checked here once: the loader would warn about every sample's image instead.
    SAR_CHECK(std::filesystem::is_directory(images), "sar data show --images ", images, ": is not a folder");
    CocoLoadOptions options;
    options.skip_bad = true;
    source = std::make_shared<KeypointSource>(load_coco_keypoints(json, images, options));
  } else {
    SAR_THROW("sar data show --dataset: expected synthetic or coco, got '", dataset, "'");
  }

  config.batch_size = count;
  config.workers = 1;  // one batch is all it shows: nothing to prefetch
  config.prefetch = 1;
  config.drop_last = false;
  config.seed = uint64_t(seed);
  if (config_path.empty()) {  // crop_config set them from the run's
    config.crop.aspect = double(config.crop.input_w) / config.crop.input_h;
    config.crop.map_h = std::max(1, config.crop.input_h / 4);
    config.crop.map_w = std::max(1, config.crop.input_w / 4);
  }
  config.crop.with_heatmaps = false;
  Loader loader(source, config);
  loader.start_epoch(0);
  Batch batch;
  SAR_CHECK(loader.next(&batch), "sar data show: the loader gave no batch");

  const DatasetMeta& meta = source->meta();
  std::vector<Image> tiles;
  for (int64_t k = 0; k < int64_t(batch.samples.size()); ++k) {
    tiles.push_back(annotated_crop(batch, k, config.crop, meta));
    const float* weight = batch.targets.weight.data<float>() + k * meta.num_keypoints();
    const int supervised = int(std::count_if(weight, weight + meta.num_keypoints(), [](float w) { return w > 0; }));
    std::printf("crop %2lld: sample %zu (image %lld)%s, %d of %d keypoints supervised\n", (long long)k,
                batch.indices[k], (long long)batch.samples[k].image_id, batch.samples[k].flipped ? ", flipped" : "",
                supervised, meta.num_keypoints());
  }
  const int columns = int(std::ceil(std::sqrt(double(tiles.size()))));
  write_png(out, tile_images(tiles, columns, 4, Rgb{48, 48, 48}));
  std::printf("%s: %zu %s crops of %dx%d from %s (%zu samples), seed %llu\n", out.c_str(), tiles.size(),
              config.crop.train ? "training" : "evaluation", config.crop.input_h, config.crop.input_w,
              meta.name.c_str(), source->size(), (unsigned long long)seed);
  return 0;
}

}  // namespace

int data_main(int argc, char** argv) {
  if (argc == 0 || std::string(argv[0]) == "--help" || std::string(argv[0]) == "-h") {
    std::fputs(kDataUsage, stdout);
    return argc == 0 ? 2 : 0;
  }
  if (std::string(argv[0]) == "show") return show_main(argc - 1, argv + 1);
  SAR_THROW("sar data: unknown command '", argv[0], "'; expected show (see sar data --help)");
}

}  // namespace sar
