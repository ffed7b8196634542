// The batch loader (datasets/loader.h): shapes and targets, determinism across thread counts,
// shuffling, drop_last, exceptions from workers, and the skip_bad rule on a broken JPEG.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/device.h"
#include "datasets/image_io.h"
#include "datasets/loader.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

std::shared_ptr<SampleSource> synthetic_source(size_t n) {
  SyntheticConfig config;
  config.num_samples = n;
  config.image_h = config.image_w = 64;
  config.seed = 1;
  return std::make_shared<SyntheticSource>(config);
}

LoaderConfig small_config(int workers) {
  LoaderConfig config;
  config.batch_size = 4;
  config.workers = workers;
  config.prefetch = 2;
  config.seed = 42;
  config.crop.input_h = 64;
  config.crop.input_w = 48;
  config.crop.map_h = 16;
  config.crop.map_w = 12;
  config.crop.sigma = 1.0;
  return config;
}

std::vector<Batch> epoch_batches(Loader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  Batch batch;
  while (loader.next(&batch)) batches.push_back(batch);
  return batches;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

std::vector<size_t> all_indices(const std::vector<Batch>& batches) {
  std::vector<size_t> out;
  for (const Batch& b : batches) out.insert(out.end(), b.indices.begin(), b.indices.end());
  return out;
}

// Throws from get() for one index: std::runtime_error (a bug) or sar::Error (unreadable).
class FailingSource : public SampleSource {
 public:
  FailingSource(std::shared_ptr<SampleSource> inner, size_t bad, bool sar_error)
      : inner_(std::move(inner)), bad_(bad), sar_error_(sar_error) {}
  size_t size() const override { return inner_->size(); }
  const DatasetMeta& meta() const override { return inner_->meta(); }
  void get(size_t index, Image* image, PersonRecord* person) const override {
    if (index == bad_ && sar_error_) SAR_THROW("sample ", index, " is unreadable");
    if (index == bad_) throw std::runtime_error("worker bug at " + std::to_string(index));
    inner_->get(index, image, person);
  }

 private:
  std::shared_ptr<SampleSource> inner_;
  size_t bad_;
  bool sar_error_;
};

}  // namespace

TEST_CASE("loader: batch shapes, and targets equal the crops make_crop gives for (seed, epoch * n + position)") {
  auto source = synthetic_source(10);
  LoaderConfig config = small_config(2);
  Loader loader(source, config);
  std::vector<Batch> batches = epoch_batches(loader, 1);
  REQUIRE(batches.size() == 2);  // 10 samples, batches of 4, drop_last
  const Batch& b = batches[1];
  CHECK(b.images.shape() == Shape({4, 3, 64, 48}));
  CHECK(b.targets.xy.shape() == Shape({4, 15, 2}));
  CHECK(b.targets.weight.shape() == Shape({4, 15}));
  CHECK(b.targets.heatmaps.shape() == Shape({4, 15, 16, 12}));
  REQUIRE(b.samples.size() == 4);
  REQUIRE(b.indices.size() == 4);
  for (int k = 0; k < 4; ++k) {
    const size_t position = 4 + k;
    Image image;
    PersonRecord person;
    source->get(b.indices[k], &image, &person);
    const CropSample s = make_crop(image, person, source->meta(), config.crop, config.seed, 1 * 10 + position);
    CHECK(std::memcmp(b.images.data<float>() + k * 3 * 64 * 48, s.image.data(), s.image.size() * 4) == 0);
    CHECK(std::memcmp(b.targets.xy.data<float>() + k * 30, s.keypoints.data(), 30 * 4) == 0);
    CHECK(std::memcmp(b.targets.weight.data<float>() + k * 15, s.weight.data(), 15 * 4) == 0);
    CHECK(std::memcmp(b.targets.heatmaps.data<float>() + k * 15 * 16 * 12, s.heatmaps.data(), s.heatmaps.size() * 4) ==
          0);
    CHECK(b.samples[k].keypoints == s.keypoints);
    CHECK(b.samples[k].to_crop == s.to_crop);
    CHECK(b.samples[k].image.empty());
    CHECK(b.samples[k].heatmaps.empty());
    CHECK(b.samples[k].image_id == int64_t(b.indices[k]));
  }

  config.crop.with_heatmaps = false;
  Loader no_maps(source, config);
  CHECK_FALSE(epoch_batches(no_maps, 0)[0].targets.heatmaps.defined());
}

TEST_CASE("loader: the same seed gives identical batches with 1 and 3 threads") {
  auto source = synthetic_source(18);
  Loader one(source, small_config(1)), three(source, small_config(3));
  for (int64_t epoch : {0, 3}) {
    std::vector<Batch> a = epoch_batches(one, epoch), b = epoch_batches(three, epoch);
    REQUIRE(a.size() == 4);
    REQUIRE(b.size() == a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].indices == b[i].indices);
      CHECK(same_values(a[i].images, b[i].images));
      CHECK(same_values(a[i].targets.xy, b[i].targets.xy));
      CHECK(same_values(a[i].targets.weight, b[i].targets.weight));
      CHECK(same_values(a[i].targets.heatmaps, b[i].targets.heatmaps));
    }
  }
  // A different seed augments differently.
  LoaderConfig other = small_config(1);
  other.seed = 43;
  other.shuffle = false;
  LoaderConfig same = small_config(1);
  same.shuffle = false;
  Loader x(source, other), y(source, same);
  CHECK_FALSE(same_values(epoch_batches(x, 0)[0].images, epoch_batches(y, 0)[0].images));
}

TEST_CASE("loader: each epoch is a permutation, a different one every epoch; no shuffle keeps the order") {
  auto source = synthetic_source(9);
  LoaderConfig config = small_config(2);
  config.drop_last = false;
  Loader loader(source, config);
  std::vector<size_t> e0 = all_indices(epoch_batches(loader, 0)), e1 = all_indices(epoch_batches(loader, 1));
  std::vector<size_t> sorted0 = e0, sorted1 = e1, identity = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  std::sort(sorted0.begin(), sorted0.end());
  std::sort(sorted1.begin(), sorted1.end());
  CHECK(sorted0 == identity);
  CHECK(sorted1 == identity);
  CHECK(e0 != e1);
  CHECK(e0 != identity);
  CHECK(all_indices(epoch_batches(loader, 0)) == e0);  // epoch 0 again: the same order

  config.shuffle = false;
  Loader in_order(source, config);
  CHECK(all_indices(epoch_batches(in_order, 5)) == identity);
}

TEST_CASE("loader: an epoch started at a later batch gives that batch and the rest unchanged (resume)") {
  auto source = synthetic_source(10);
  Loader loader(source, small_config(2));
  const std::vector<Batch> full = epoch_batches(loader, 1);
  REQUIRE(full.size() == 2);
  loader.start_epoch(1, 1);
  Batch batch;
  REQUIRE(loader.next(&batch));
  CHECK(batch.indices == full[1].indices);
  CHECK(same_values(batch.images, full[1].images));
  CHECK(same_values(batch.targets.xy, full[1].targets.xy));
  CHECK_FALSE(loader.next(&batch));
  loader.start_epoch(1, 2);  // past the last batch: an empty epoch
  CHECK_FALSE(loader.next(&batch));
  CHECK_THROWS_WITH(loader.start_epoch(1, 3), doctest::Contains("past the 2 batches"));
}

TEST_CASE("loader: drop_last drops the incomplete batch, otherwise it comes last") {
  auto source = synthetic_source(10);
  LoaderConfig config = small_config(2);
  Loader dropping(source, config);
  CHECK(dropping.batches_per_epoch() == 2);
  CHECK(epoch_batches(dropping, 0).size() == 2);
  config.drop_last = false;
  Loader keeping(source, config);
  CHECK(keeping.batches_per_epoch() == 3);
  std::vector<Batch> batches = epoch_batches(keeping, 0);
  REQUIRE(batches.size() == 3);
  CHECK(batches[2].images.shape() == Shape({2, 3, 64, 48}));
  CHECK(batches[2].targets.xy.shape() == Shape({2, 15, 2}));
  Batch after;
  CHECK_FALSE(keeping.next(&after));  // still over
}

TEST_CASE("loader: a worker's exception is re-thrown by next() at its batch") {
  LoaderConfig config = small_config(3);
  config.shuffle = false;
  SUBCASE("a bug (std::runtime_error) propagates even with skip_bad") {
    Loader loader(std::make_shared<FailingSource>(synthetic_source(16), 9, false), config);
    loader.start_epoch(0);
    Batch batch;
    CHECK(loader.next(&batch));  // positions 0-3
    CHECK(loader.next(&batch));  // 4-7
    CHECK_THROWS_WITH(loader.next(&batch), "worker bug at 9");
    CHECK_THROWS_WITH(loader.next(&batch), "worker bug at 9");  // until a new epoch
    loader.start_epoch(0);
    CHECK(loader.next(&batch));
  }
  SUBCASE("an unreadable sample without skip_bad") {
    config.skip_bad = false;
    Loader loader(std::make_shared<FailingSource>(synthetic_source(16), 2, true), config);
    loader.start_epoch(0);
    Batch batch;
    CHECK_THROWS_WITH(loader.next(&batch), doctest::Contains("sample 2 is unreadable"));
  }
  Loader loader(synthetic_source(8), config);
  Batch batch;
  CHECK_THROWS_WITH(loader.next(&batch), doctest::Contains("call start_epoch"));
  config.batch_size = 0;
  CHECK_THROWS_WITH(Loader(synthetic_source(8), config), doctest::Contains("batch_size, workers and prefetch"));
}

namespace {
// One person (two eyes) per image file of tests/data/loader, in the order given.
KeypointDataset people_on_files(const std::vector<std::string>& files) {
  KeypointDataset data;
  data.meta.name = "loader-test";
  data.meta.keypoint_names = {"left_eye", "right_eye"};
  data.meta.flip_index = {1, 0};
  data.meta.sigmas = {0.025f, 0.025f};
  data.image_root = "tests/data/loader";
  for (const std::string& file : files) {
    PersonRecord p;
    p.image_path = file;
    p.image_id = int64_t(data.people.size());
    p.bbox = {4, 4, 20, 14};
    p.keypoints = {10, 10, 2, 18, 10, 2};
    data.people.push_back(p);
  }
  return data;
}
}  // namespace

TEST_CASE("loader: skip_bad replaces a broken JPEG with the next readable sample, the same way every time") {
  // Four people on real files: good.png, truncated.jpg (half a JPEG), good.jpg, a missing file.
  const KeypointDataset data = people_on_files({"good.png", "truncated.jpg", "good.jpg", "missing.jpg"});
  auto source = std::make_shared<KeypointSource>(data);
  LoaderConfig config = small_config(1);
  config.shuffle = false;
  config.drop_last = false;
  config.crop.train = false;
  Loader loader(source, config);
  std::vector<Batch> batches = epoch_batches(loader, 0);
  REQUIRE(batches.size() == 1);
  // Position 1 (truncated) takes index 2; position 3 (missing) wraps around to index 0.
  CHECK(batches[0].indices == std::vector<size_t>{0, 2, 2, 0});
  CHECK(loader.replaced() == 2);
  CHECK(same_values(batches[0].images.view_rows(1, 2), batches[0].images.view_rows(2, 3)));

  config.workers = 3;
  Loader threaded(source, config);
  std::vector<Batch> again = epoch_batches(threaded, 0);
  CHECK(again[0].indices == batches[0].indices);
  CHECK(same_values(again[0].images, batches[0].images));
  epoch_batches(threaded, 1);
  CHECK(threaded.replaced() == 4);  // counted per replacement, every epoch

  config.skip_bad = false;
  Loader strict(source, config);
  strict.start_epoch(0);
  Batch batch;
  CHECK_THROWS_WITH(strict.next(&batch), doctest::Contains("truncated.jpg"));
}

TEST_CASE("loader: a wrong image folder lists the first 20 unreadable samples, then only counts them") {
  std::vector<std::string> files;  // 29 missing files, then one that reads
  for (int i = 0; i < 29; ++i) files.push_back("missing" + std::to_string(i) + ".jpg");
  files.push_back("good.png");
  const KeypointDataset data = people_on_files(files);
  LoaderConfig config = small_config(1);
  config.shuffle = false;
  config.crop.train = false;
  Loader loader(std::make_shared<KeypointSource>(data), config);
  const std::string printed = test::stderr_of([&] { epoch_batches(loader, 0); });
  size_t listed = 0;
  for (size_t at = printed.find("cannot be read; the next"); at != std::string::npos;
       at = printed.find("cannot be read; the next", at + 1))
    ++listed;
  CHECK(listed == 20);
  CHECK(printed.find("more than 20 samples cannot be read; the others are counted, not listed") != std::string::npos);
  CHECK(loader.replaced() > 20);
}

TEST_CASE("sar data show --config: a run config's data set, input size and augmentation") {
  const std::string path = test::temp_path("data_show_config.png");
  const test::CliResult r = test::run_sar("data show --config configs/synthetic_demo.json --set model.input=[32,64] "
                                          "--count 3 --train --out " + path);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("3 training crops of 32x64 from synthetic (2000 samples)") != std::string::npos);
  const Image grid = decode_image(path);
  CHECK(grid.width > 64);
  const test::CliResult mixed =
      test::run_sar("data show --config configs/synthetic_demo.json --input 64x64 --out " + path);
  CHECK(mixed.exit_code == 1);
  CHECK(mixed.output.find("sar data show --config: the config names the data set and the input size") !=
        std::string::npos);
  const test::CliResult orphan = test::run_sar("data show --set seed=1 --out " + path);
  CHECK(orphan.exit_code == 1);
  CHECK(orphan.output.find("sar data show: --set needs --config") != std::string::npos);
}

TEST_CASE("sar data show: writes a grid of the crops") {
  const char* bin = std::getenv("SAR_BIN");  // make test sets it
  const std::string path = test::temp_path("data_show.png");
  const std::string cmd = std::string(bin ? bin : "build/sar") +
                          " data show --count 5 --input 64x48 --train --out " + path + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const Image grid = decode_image(path);
  std::remove(path.c_str());
  CHECK(grid.width == 3 * 48 + 4 * 4);  // 3 columns and 2 rows of tiles, 4-pixel gaps
  CHECK(grid.height == 2 * 64 + 3 * 4);
}

CUDA_TEST_CASE("loader: batches on CUDA hold the CPU batch's values (float32, cuda)") {
  auto source = synthetic_source(8);
  LoaderConfig config = small_config(2);
  Loader on_cpu(source, config);
  config.device = Device::CUDA;
  Loader on_cuda(source, config);
  const AllocatorStats pinned_before = pinned_allocator_stats();
  const Batch a = epoch_batches(on_cpu, 0)[1], b = epoch_batches(on_cuda, 0)[1];
  CHECK(pinned_allocator_stats().raw_allocs > pinned_before.raw_allocs);  // built in pinned memory
  CHECK(b.images.is_cuda());
  CHECK(b.targets.xy.is_cuda());
  CHECK(b.targets.weight.is_cuda());
  CHECK(b.targets.heatmaps.is_cuda());
  CHECK(same_values(a.images, b.images.to(Device::CPU)));
  CHECK(same_values(a.targets.xy, b.targets.xy.to(Device::CPU)));
  CHECK(same_values(a.targets.weight, b.targets.weight.to(Device::CPU)));
  CHECK(same_values(a.targets.heatmaps, b.targets.heatmaps.to(Device::CPU)));
}

CUDA_TEST_CASE("loader: pinned batch buffers are reused epoch after epoch and all given back (float32, cuda)") {
  auto source = synthetic_source(16);
  LoaderConfig config = small_config(2);
  config.device = Device::CUDA;
  const AllocatorStats before = pinned_allocator_stats();
  {
    Loader loader(source, config);
    for (int64_t epoch = 0; epoch < 3; ++epoch) CHECK(epoch_batches(loader, epoch).size() == 4);
  }
  device_synchronize(Device::CUDA);  // the last copies are done: their blocks may be reclaimed
  const AllocatorStats after = pinned_allocator_stats();
  CHECK(after.cache_hits > before.cache_hits);
  CHECK(after.bytes_in_use == before.bytes_in_use);  // no block left behind
}
