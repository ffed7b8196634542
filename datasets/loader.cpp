// loader.cpp: the threaded, prefetching, deterministic batch loader (datasets/loader.h).
#include "datasets/loader.h"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "core/philox.h"
#include "datasets/image_io.h"

namespace sar {

namespace {

// The shuffle's Philox key is the seed plus this constant, so its draws never coincide with
// make_crop's, which are keyed by the seed itself.
constexpr uint64_t kShuffleKey = 0x9E3779B97F4A7C15ull;
// Unreadable samples listed on stderr one by one; past this many (a wrong image folder makes
// every sample one), they are only counted, so the log keeps its other lines in sight.
constexpr size_t kListedUnreadable = 20;

// make_crop takes sample counters below 2^40 (datasets/topdown.h).
constexpr uint64_t kMaxCounter = uint64_t(1) << 40;

}  // namespace

void KeypointSource::get(size_t index, Image* image, PersonRecord* person) const {
  SAR_CHECK(index < size(), "KeypointSource: index ", index, " out of range for ", size(), " people");
  const PersonRecord& p = data_.people[index];
  *image = decode_image(image_file(data_.image_root, p.image_path));
  *person = p;
}

Loader::Loader(std::shared_ptr<const SampleSource> source, const LoaderConfig& config)
    : source_(std::move(source)), config_(config) {
  SAR_CHECK(source_ && source_->size() > 0, "Loader: the sample source is empty");
  SAR_CHECK(config.batch_size >= 1 && config.workers >= 1 && config.prefetch >= 1,
            "Loader: batch_size, workers and prefetch must be at least 1, got ", config.batch_size, ", ",
            config.workers, " and ", config.prefetch);
}

Loader::~Loader() { stop_workers(); }

size_t Loader::batches_per_epoch() const {
  const size_t n = source_->size(), B = size_t(config_.batch_size);
  return config_.drop_last ? n / B : (n + B - 1) / B;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  space_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void Loader::start_epoch(int64_t epoch, size_t first_batch) {
  const uint64_t n = source_->size();
  SAR_CHECK(epoch >= 0 && uint64_t(epoch) < kMaxCounter / n, "Loader::start_epoch: epoch must be in [0, 2^40 / ", n,
            "), got ", epoch);
  SAR_CHECK(first_batch <= batches_per_epoch(), "Loader::start_epoch: first_batch ", first_batch, " is past the ",
            batches_per_epoch(), " batches of an epoch");
  stop_workers();
  epoch_ = epoch;
  order_.resize(n);
  for (size_t i = 0; i < n; ++i) order_[i] = i;
  if (config_.shuffle) {
    // A random key per index, then a sort: a permutation any thread count reproduces.
    std::vector<std::pair<uint64_t, size_t>> keyed(n);
    for (size_t i = 0; i < n; ++i) {
      const Philox4 r = philox4x32_10((uint64_t(epoch) << 32) | i, config_.seed + kShuffleKey);
      keyed[i] = {(uint64_t(r.v[0]) << 32) | r.v[1], i};
    }
    std::sort(keyed.begin(), keyed.end());
    for (size_t i = 0; i < n; ++i) order_[i] = keyed[i].second;
  }
  stop_ = false;
  failed_ = false;
  next_job_ = next_out_ = first_batch;
  done_.clear();
  failure_ = nullptr;
  for (int w = 0; w < config_.workers; ++w) workers_.emplace_back([this] { work(); });
}

void Loader::work() {
  omp_set_num_threads(1);  // this thread's OpenMP regions run serially: the workers are the parallelism
  const size_t batches = batches_per_epoch();
  for (;;) {
    size_t b;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] {
        return stop_ || failed_ || next_job_ >= batches || next_job_ < next_out_ + config_.prefetch;
      });
      if (stop_ || failed_ || next_job_ >= batches) return;
      b = next_job_++;
    }
    Result result;
    try {
      result.batch = make_batch(b);
    } catch (...) {
      result.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Batches before b were taken already and still arrive; later ones are not started.
      if (result.error) failed_ = true;
      done_[b] = std::move(result);
    }
    ready_.notify_all();
  }
}

bool Loader::next(Batch* batch) {
  SAR_CHECK(epoch_ >= 0, "Loader::next: no epoch started; call start_epoch(epoch) first");
  if (failure_) std::rethrow_exception(failure_);
  if (next_out_ >= batches_per_epoch()) return false;
  Result result;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return done_.count(next_out_) > 0; });
    auto it = done_.find(next_out_);
    result = std::move(it->second);
    done_.erase(it);
    ++next_out_;
  }
  space_.notify_all();
  if (result.error) {
    failure_ = result.error;
    std::rethrow_exception(failure_);
  }
  *batch = std::move(result.batch);
  if (config_.device != Device::CPU) {  // the host tensors are freed here, their blocks reused after the copies
    batch->images = batch->images.to_nonblocking(config_.device);
    batch->targets.xy = batch->targets.xy.to_nonblocking(config_.device);
    batch->targets.weight = batch->targets.weight.to_nonblocking(config_.device);
    if (batch->targets.heatmaps.defined())
      batch->targets.heatmaps = batch->targets.heatmaps.to_nonblocking(config_.device);
  }
  return true;
}

size_t Loader::unreadable() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bad_.size();
}

// The sample for `position`: order_[position], or under skip_bad the first readable index after
// it in the epoch's order (see the skip rule in loader.h). Returns the source index used.
size_t Loader::read_sample(size_t position, Image* image, PersonRecord* person) {
  const size_t n = order_.size();
  for (size_t step = 0; step < n; ++step) {
    const size_t index = order_[(position + step) % n];
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bad_.count(index)) continue;
    }
    try {
      source_->get(index, image, person);
    } catch (const Error& e) {
      if (!config_.skip_bad) throw;
      std::lock_guard<std::mutex> lock(mutex_);
      const bool new_bad = bad_.insert(index).second;  // two workers may both have tried it
      if (new_bad && bad_.size() <= kListedUnreadable)
        std::fprintf(stderr, "loader: warning: sample %zu cannot be read; %s: %s\n", index,
                     config_.unreadable_fate.c_str(), e.what());
      if (new_bad && bad_.size() == kListedUnreadable + 1)
        std::fprintf(stderr, "loader: warning: more than %zu samples cannot be read; the others are counted, not "
                     "listed\n", kListedUnreadable);
      continue;
    }
    if (step > 0) ++replaced_;
    return index;
  }
  SAR_THROW("Loader: none of the ", n, " samples can be read (the first failures are listed on stderr; is the image ",
            "folder the right one?)");
}

Batch Loader::make_batch(size_t b) {
  const TopdownConfig& crop = config_.crop;
  const DatasetMeta& meta = source_->meta();
  const size_t n = order_.size(), first = b * size_t(config_.batch_size);
  const int64_t N = int64_t(std::min(size_t(config_.batch_size), n - first)), J = meta.num_keypoints();
  const int64_t pixels = 3 * int64_t(crop.input_h) * crop.input_w, cells = int64_t(crop.map_h) * crop.map_w;
  // Batches bound for the GPU are built in pinned memory, so next() can queue their copy and return.
  auto host_tensor = [&](const Shape& shape) {
    return config_.device == Device::CUDA ? Tensor::empty_pinned(shape) : Tensor::empty(shape);
  };
  Batch batch;
  batch.images = host_tensor({N, 3, crop.input_h, crop.input_w});
  batch.targets.xy = host_tensor({N, J, 2});
  batch.targets.weight = host_tensor({N, J});
  if (crop.with_heatmaps) batch.targets.heatmaps = host_tensor({N, J, crop.map_h, crop.map_w});
  for (int64_t k = 0; k < N; ++k) {
    const size_t position = first + size_t(k);
    Image image;
    PersonRecord person;
    batch.indices.push_back(read_sample(position, &image, &person));
    CropSample s = make_crop(image, person, meta, crop, config_.seed, uint64_t(epoch_) * n + position);
    std::memcpy(batch.images.data<float>() + k * pixels, s.image.data(), sizeof(float) * pixels);
    std::memcpy(batch.targets.xy.data<float>() + k * J * 2, s.keypoints.data(), sizeof(float) * J * 2);
    std::memcpy(batch.targets.weight.data<float>() + k * J, s.weight.data(), sizeof(float) * J);
    if (crop.with_heatmaps)
      std::memcpy(batch.targets.heatmaps.data<float>() + k * J * cells, s.heatmaps.data(), sizeof(float) * J * cells);
    s.image = {};  // the pixels live in batch.images now
    s.heatmaps = {};
    batch.samples.push_back(std::move(s));
  }
  return batch;
}

}  // namespace sar
