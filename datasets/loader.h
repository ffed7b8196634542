// loader.h: batches for training and evaluation. A SampleSource hands out (image, person)
// pairs; the Loader crops each with make_crop (datasets/topdown.h) on N worker threads that
// prefetch whole batches into a bounded queue, and returns them in order as tensors.
//
// Determinism: a batch depends only on (source, config, epoch), never on the thread count or
// on timing:
//   order      epoch e visits the source indices sorted by the key philox(e << 32 | i), drawn
//              with a key of its own derived from config.seed (ties by index); 0..n-1 unshuffled
//   crop       the sample at position p of epoch e is make_crop(..., seed, e * n + p)
//   batches    batch b holds positions [b B, b B + B); a worker builds one whole batch, and
//              next() hands them out in order whatever order they finish in
// skip_bad: source.get() throwing sar::Error means the sample cannot be read (a missing or
// corrupt image). With skip_bad, position p then takes the next source index in the epoch's
// order, p + 1, p + 2, ... (wrapping), that can be read, keeping position p's crop counter, so
// the replacement is the same on every run. Each unreadable index is warned about once on
// stderr (the first 20; the others only counted), remembered (not decoded again), and each
// replacement is counted in replaced().
// Without skip_bad, or for any other exception (in make_crop, a bug), the error is re-thrown by
// next() at the batch where it happened.
//
// Device: batches are built in CPU memory, pinned (page-locked) when config.device is CUDA; next()
// queues their copies with Tensor::to_nonblocking on the caller's thread (the one CUDA stream
// stays on one thread) and returns without waiting for them: the training step's kernels, queued
// on the same stream, run after the copies. A freed pinned block is reused only once its copy is
// done (cuda/pinned_memory.cu), so workers never overwrite a batch still being copied.
// Threads: each worker runs its OpenMP regions (the crop warp) on one thread: the workers are
// the parallelism, and N workers use N cores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "datasets/coco_dataset.h"
#include "datasets/sample.h"
#include "datasets/synthetic.h"
#include "datasets/topdown.h"
#include "layers/heads/keypoint_targets.h"

namespace sar {

// Where samples come from. get() is called from several worker threads at once.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual size_t size() const = 0;
  virtual const DatasetMeta& meta() const = 0;
  // Sample `index` (< size()): its decoded image and its person. Throws sar::Error when the
  // sample cannot be read (the loader's skip_bad rule replaces it).
  virtual void get(size_t index, Image* image, PersonRecord* person) const = 0;
};

// The built-in stick figures (datasets/synthetic.h).
class SyntheticSource : public SampleSource {
 public:
  explicit SyntheticSource(const SyntheticConfig& config) : data_(config) {}
  size_t size() const override { return data_.size(); }
  const DatasetMeta& meta() const override { return data_.meta(); }
  void get(size_t index, Image* image, PersonRecord* person) const override { data_.get(index, image, person); }

 private:
  SyntheticDataset data_;
};

// An annotation file's people (datasets/coco_dataset.h), each with its image decoded from
// image_file(image_root, image_path) on every get() (images are not cached).
class KeypointSource : public SampleSource {
 public:
  explicit KeypointSource(KeypointDataset data) : data_(std::move(data)) {}
  size_t size() const override { return data_.people.size(); }
  const DatasetMeta& meta() const override { return data_.meta; }
  void get(size_t index, Image* image, PersonRecord* person) const override;
  const KeypointDataset& dataset() const { return data_; }

 private:
  KeypointDataset data_;
};

struct LoaderConfig {
  int batch_size = 32;
  int workers = 2;          // threads building batches
  int prefetch = 4;         // batches finished or in progress ahead of next(), at most (the queue bound)
  bool shuffle = true;      // a new order every epoch (see the top of this file)
  bool drop_last = true;    // drop the last, incomplete batch of an epoch
  bool skip_bad = true;     // replace unreadable samples (see the top of this file)
  // What the warning about an unreadable sample says becomes of it (inference drops the stand-ins).
  std::string unreadable_fate = "the next one in the epoch's order is used";
  uint64_t seed = 0;        // the order and every crop's augmentation
  Device device = Device::CPU;
  TopdownConfig crop;       // crop size, augmentation, map size and whether to make heatmaps
};

struct Batch {
  Tensor images;                    // [N, 3, input_h, input_w] float32, normalized by crop.mean / crop.std
  KeypointTargets targets;          // xy [N, J, 2] crop pixels, weight [N, J], heatmaps [N, J, map_h, map_w]
                                    // (heatmaps only when crop.with_heatmaps; otherwise undefined)
  std::vector<CropSample> samples;  // N: each crop's transform, flip, box, ids; its image and heatmaps emptied
  std::vector<size_t> indices;      // N: the source index each row was cut from (after skip_bad)
};

class Loader {
 public:
  // Throws sar::Error for an empty source or a batch_size, workers or prefetch below 1.
  Loader(std::shared_ptr<const SampleSource> source, const LoaderConfig& config);
  ~Loader();  // stops the workers and joins them
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts epoch `epoch` (>= 0; any epoch, in any order, again and again) at batch
  // `first_batch` (a resumed run skips the batches it already trained on, without building
  // them: each batch is a function of (seed, epoch, position) alone): the workers begin
  // prefetching it. An epoch still running is abandoned first.
  void start_epoch(int64_t epoch, size_t first_batch = 0);
  // The next batch of the current epoch, or false when the epoch is over. Re-throws an
  // exception from the worker that built this batch (and again on every later call until
  // start_epoch). Throws sar::Error when no epoch was started.
  bool next(Batch* batch);

  size_t batches_per_epoch() const;
  int64_t replaced() const { return replaced_; }  // samples replaced under skip_bad, all epochs so far
  size_t unreadable() const;                       // distinct source samples found unreadable so far

 private:
  struct Result {
    Batch batch;
    std::exception_ptr error;
  };
  void stop_workers();
  void work();
  Batch make_batch(size_t b);
  size_t read_sample(size_t position, Image* image, PersonRecord* person);

  std::shared_ptr<const SampleSource> source_;
  LoaderConfig config_;
  int64_t epoch_ = -1;               // -1 until start_epoch
  std::vector<size_t> order_;        // [n] this epoch's source indices; fixed while workers run
  std::vector<std::thread> workers_;

  mutable std::mutex mutex_;         // guards everything below except replaced_
  std::condition_variable ready_;    // a batch finished (next() waits)
  std::condition_variable space_;    // next() took a batch, or stop (workers wait)
  bool stop_ = false;
  bool failed_ = false;              // a worker threw: no new batches are started
  size_t next_job_ = 0;              // the next batch a worker will build
  size_t next_out_ = 0;              // the next batch next() returns
  std::map<size_t, Result> done_;    // finished batches, waiting for their turn
  std::exception_ptr failure_;       // re-thrown by next() until the next start_epoch
  std::set<size_t> bad_;             // source indices known to be unreadable
  std::atomic<int64_t> replaced_{0};
};

}  // namespace sar
