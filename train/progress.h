// progress.h: what a long run shows while it works. On a terminal, one line redrawn in place:
//   epoch 3/8  [########............]  120/250  loss 0.1234  lr 1.00e-03  45.2 img/s  ETA 1:23, run 12:41
// (ETA: the epoch's end; run: the run's end at this epoch's pace, evaluations not counted).
// Elsewhere (a log file, CI), a plain line every `every` batches, after the first batch of an
// epoch, at least once a minute, and at the end of each epoch, so logs stay short but a slow
// model (seconds a batch) still shows it is alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sar {

class ProgressLine {
 public:
  // tty: redraw in place (stderr is a terminal), else print every `every` batches and whenever
  // line_seconds have passed since the last line; quiet: nothing.
  ProgressLine(bool tty, int every, bool quiet = false, int line_seconds = 60)
      : tty_(tty), quiet_(quiet), every_(every < 1 ? 1 : every), line_seconds_(line_seconds) {}

  // Starts an epoch of `batches` batches (first = the batch a resumed run starts at). run_left:
  // the batches the whole run has left from `first` on, where a step limit ends it early (-1:
  // it runs to the end of its last epoch).
  void start_epoch(int epoch, int epochs, int64_t batches, int64_t first = 0, int64_t run_left = -1);
  // After batch `batch` (0-based) of the epoch: its loss, the lr used and the images it held.
  void step(int64_t batch, double loss, double lr, int64_t images);
  void end_epoch();  // finishes the line (tty) or prints the epoch's summary
  // A message that must not be overwritten by the bar (evaluation results, checkpoints).
  void message(const std::string& text);

 private:
  using Clock = std::chrono::steady_clock;
  void print(int64_t batch);

  bool tty_, quiet_;
  int every_, line_seconds_;
  int epoch_ = 0, epochs_ = 0;
  int64_t batches_ = 0, first_ = 0, run_left_ = -1, done_ = 0, images_ = 0;
  double loss_ = 0, loss_sum_ = 0, lr_ = 0;
  Clock::time_point start_, last_line_;  // the epoch's start; the last plain line printed
  bool line_open_ = false;
};

// "1:23", "1:02:03": a duration for people.
std::string format_duration(double seconds);

}  // namespace sar
