// progress.cpp: see progress.h.
#include "train/progress.h"

#include <algorithm>
#include <cstdio>

namespace sar {

std::string format_duration(double seconds) {
  const long s = std::max(0L, long(seconds + 0.5));
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

void ProgressLine::start_epoch(int epoch, int epochs, int64_t batches, int64_t first, int64_t run_left) {
  epoch_ = epoch;
  epochs_ = epochs;
  batches_ = batches;
  first_ = first;
  run_left_ = run_left;
  done_ = images_ = 0;
  loss_sum_ = 0;
  start_ = last_line_ = Clock::now();
}

void ProgressLine::step(int64_t batch, double loss, double lr, int64_t images) {
  loss_ = loss;
  lr_ = lr;
  loss_sum_ += loss;
  images_ += images;
  ++done_;
  const auto now = Clock::now();
  const bool due = (batch + 1) % every_ == 0 || done_ == 1 || now - last_line_ >= std::chrono::seconds(line_seconds_);
  if (quiet_ || !(tty_ || due)) return;
  last_line_ = now;
  print(batch);
}

void ProgressLine::print(int64_t batch) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = seconds > 0 ? images_ / seconds : 0;
  const double per_step = done_ > 0 ? seconds / double(done_) : 0;
  int64_t epoch_left = batches_ - 1 - batch, run_left = epoch_left + int64_t(epochs_ - 1 - epoch_) * batches_;
  if (run_left_ >= 0) {  // a step limit ends the run first
    run_left = std::min(run_left, std::max<int64_t>(0, run_left_ - (batch + 1 - first_)));
    epoch_left = std::min(epoch_left, run_left);
  }
  char text[256];
  const int n = std::snprintf(text, sizeof text, "epoch %d/%d  ", epoch_ + 1, epochs_);
  std::string bar;
  if (tty_) {
    constexpr int kWidth = 20;
    const int filled = batches_ > 0 ? int(kWidth * (batch + 1) / batches_) : kWidth;
    bar = "[" + std::string(size_t(filled), '#') + std::string(size_t(kWidth - filled), '.') + "]  ";
  }
  std::snprintf(text + n, sizeof text - size_t(n), "%s%lld/%lld  loss %.4f  lr %.2e  %.1f img/s  ETA %s, run %s",
                bar.c_str(), (long long)(batch + 1), (long long)batches_, loss_, lr_, rate,
                format_duration(per_step * double(epoch_left)).c_str(),
                format_duration(per_step * double(run_left)).c_str());
  if (tty_) std::fprintf(stderr, "\r%s\033[K", text);
  else std::fprintf(stderr, "%s\n", text);
  std::fflush(stderr);
  line_open_ = tty_;
}

void ProgressLine::end_epoch() {
  if (quiet_ || done_ == 0) return;  // a resume at the epoch's end trained none of it here
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  if (line_open_) std::fputc('\n', stderr);
  line_open_ = false;
  std::fprintf(stderr, "epoch %d/%d done: %lld batches, mean loss %.4f, %.1f img/s, %s\n", epoch_ + 1, epochs_,
               (long long)done_, done_ ? loss_sum_ / double(done_) : 0.0, seconds > 0 ? images_ / seconds : 0.0,
               format_duration(seconds).c_str());
  std::fflush(stderr);
}

void ProgressLine::message(const std::string& text) {
  if (quiet_) return;
  if (line_open_) std::fputc('\n', stderr);
  line_open_ = false;
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace sar
