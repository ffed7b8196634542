// The progress line: its plain (log file) form, the epoch and run ETA, and durations for people.
#include <chrono>
#include <thread>

#include "tests/test_util.h"
#include "train/progress.h"

using namespace sar;
using sar::test::stderr_of;

TEST_CASE("progress: a log line every N batches with the epoch's and the run's ETA, and an epoch summary") {
  const std::string printed = stderr_of([] {
    ProgressLine line(/*tty=*/false, /*every=*/2);
    line.start_epoch(1, 3, 4);  // the second of 3 epochs, 4 batches each
    for (int64_t b = 0; b < 4; ++b) line.step(b, 0.5, 1e-3, 8);
    line.end_epoch();
  });
  CHECK(printed.find("epoch 2/3  2/4  loss 0.5000  lr 1.00e-03  ") != std::string::npos);
  CHECK(printed.find("epoch 2/3  4/4  ") != std::string::npos);
  CHECK(printed.find("epoch 2/3  1/4") != std::string::npos);  // the epoch's first batch, then every second
  CHECK(printed.find("epoch 2/3  3/4") == std::string::npos);
  CHECK(printed.find("ETA 0:00, run 0:00") != std::string::npos);
  CHECK(printed.find("epoch 2/3 done: 4 batches, mean loss 0.5000") != std::string::npos);
}

TEST_CASE("progress: a step limit ends the run's ETA early") {
  // 1000 epochs of 100 batches at 5 ms would be "run 8:20"; the run has 3 batches left.
  const std::string printed = stderr_of([] {
    ProgressLine line(/*tty=*/false, /*every=*/1);
    line.start_epoch(0, 1000, 100, 0, /*run_left=*/3);
    for (int64_t b = 0; b < 3; ++b) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      line.step(b, 0.5, 1e-3, 8);
    }
  });
  CHECK(printed.find("3/100  loss 0.5000  lr 1.00e-03  ") != std::string::npos);
  CHECK(printed.find("ETA 0:00, run 0:00") != std::string::npos);
  CHECK(printed.find("run 8:") == std::string::npos);
}

TEST_CASE("progress: a log gets a line whenever line_seconds have passed, whatever `every` says") {
  const std::string printed = stderr_of([] {
    ProgressLine line(/*tty=*/false, /*every=*/1000, /*quiet=*/false, /*line_seconds=*/0);
    line.start_epoch(0, 1, 5);
    for (int64_t b = 0; b < 5; ++b) line.step(b, 0.5, 1e-3, 8);
  });
  for (const char* batch : {"1/5", "2/5", "3/5", "4/5", "5/5"}) CHECK(printed.find(batch) != std::string::npos);
}

TEST_CASE("progress: durations read as m:ss or h:mm:ss") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(59.6) == "1:00");
  CHECK(format_duration(3599) == "59:59");
  CHECK(format_duration(3600 * 25 + 61) == "25:01:01");
  CHECK(format_duration(-5) == "0:00");
}
