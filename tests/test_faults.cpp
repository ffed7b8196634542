// Faults a long training run meets, tried for real: kill -9 in the middle of a checkpoint write,
// Ctrl-C and SIGTERM, a disk too small or full, unreadable images in the data set. Each leaves the run recoverable
// and says what happened (the README's reliability table lists them with the tests that try them).
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/atomic_write.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "tests/test_util.h"
#include "train/stop_signals.h"

using namespace sar;
using sar::test::coco_dataset_options;
using sar::test::error_of;
using sar::test::kTinyRun;
using sar::test::run_sar;
using sar::test::temp_dir;
using sar::test::write_coco_dataset;

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `sar train ...` started in the background (output to log), so that the test can kill it.
pid_t start_sar(const std::vector<std::string>& args, const std::string& log) {
  const char* bin = std::getenv("SAR_BIN");
  std::vector<std::string> argv_strings{bin ? bin : "build/sar"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits (up to a minute) until `ready` holds or the child exits; true when `ready` held.
bool wait_for(pid_t child, const std::function<bool()>& ready) {
  for (int i = 0; i < 6000; ++i) {
    if (ready()) return true;
    int status;
    if (::waitpid(child, &status, WNOHANG) == child) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// A small tmpfs mounted for the scope (root only); mounted() is false where that is refused.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, const char* size) : dir_(dir) {
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, (std::string("size=") + size).c_str()) == 0;
    error_ = errno;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  int error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  int error_ = 0;
};

// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN): decided when the tests are
// registered, so that where it may not the case is reported skipped, not passed. A folder of its
// own: the test folder's statics may not be made yet at registration.
bool can_mount_tmpfs() {
  char dir[] = "/tmp/sar_mount_probe_XXXXXX";
  if (!::mkdtemp(dir)) return false;
  const bool can = SmallDisk(dir, "1m").mounted();
  ::rmdir(dir);
  return can;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

TEST_CASE("fault: kill -9 during checkpoint writes always leaves a loadable checkpoint, and resume goes on") {
  // A checkpoint every step (ResNet-18 + Adam: ~135 MB each, so a run spends most of its time
  // writing them); the run is killed 6 times, 3 of them while the temporary file of a write
  // exists, i.e. certainly mid-write. After each kill the last checkpoint must load whole, and
  // the resumed run must remove the partial file and go on past the step it had reached.
  const std::string dir = temp_dir("kill9");
  const std::string run = dir + "/run", last = run + "/checkpoints/last.safetensors";
  const std::string log = dir + "/log.txt";
  const std::vector<std::string> fresh =
      words("train --config configs/synthetic_demo.json --device cpu --out " + run + kTinyRun +
            " --set train.epochs=1000 --set train.eval_every=1000 --set train.checkpoint_every_steps=1");
  int64_t last_step = -1;
  int mid_write_kills = 0;
  for (int round = 0; round < 6; ++round) {
    const pid_t child = start_sar(round == 0 ? fresh : words("train --resume " + run), log);
    const std::string tmp = last + ".tmp." + std::to_string(child);
    const bool mid_write = round % 2 == 0;
    // Mid-write rounds wait until a checkpoint exists and this process is writing the next
    // one (its temporary file exists); the others pause for a time that lands anywhere in the
    // start-up, step and write cycle.
    const bool ready = mid_write ? wait_for(child, [&] { return exists(last) && exists(tmp); })
                                 : wait_for(child, [&] { return exists(last); });
    INFO(read_text(log));
    REQUIRE(ready);
    if (!mid_write) std::this_thread::sleep_for(std::chrono::milliseconds(150 + 170 * round));
    ::kill(child, SIGKILL);
    int status;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    mid_write_kills += exists(tmp);

    const auto checkpoint = load_safetensors(last);  // reads every tensor: a torn file throws
    CHECK(checkpoint.size() > 100);
    const int64_t step = std::stoll(read_safetensors_index(last).metadata.at("step"));
    CHECK(step >= last_step);
    last_step = step;
  }
  CHECK(mid_write_kills >= 3);

  // The resume after the last kill cleans up and continues.
  const auto resumed = run_sar("train --resume " + run + " --stop-at-step " + std::to_string(last_step + 1));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.output.find("resuming " + run + " at step " + std::to_string(last_step)) != std::string::npos);
  CHECK(std::stoll(read_safetensors_index(last).metadata.at("step")) == last_step + 1);
  CHECK(remove_abandoned_temporaries(run + "/checkpoints") == 0);  // the resumes removed them all
  CHECK(read_text(log).find("partial file(s) left in " + run + " by an interrupted write") != std::string::npos);
}

TEST_CASE("fault: SIGTERM stops training after the step with a checkpoint; resumed, the run ends bit-identical") {
  const std::string dir = temp_dir("sigterm");
  const std::string run = dir + "/run", log = dir + "/log.txt";
  // 100 batches an epoch, so that the signal lands mid-epoch; a log row every step.
  const std::string options = " --config configs/synthetic_demo.json --device cpu" + kTinyRun +
                              " --set data.synthetic.train_samples=400 --set train.epochs=1000"
                              " --set train.eval_every=1000 --set train.log_every=1";
  const pid_t child = start_sar(words("train --out " + run + options), log);
  // A header and 3 rows: step 3 is done.
  const bool ready = wait_for(child, [&] {
    const std::string rows = read_text(run + "/train_log.csv");
    return std::count(rows.begin(), rows.end(), '\n') >= 4;
  });
  INFO(read_text(log));
  REQUIRE(ready);
  ::kill(child, SIGTERM);
  int status;
  ::waitpid(child, &status, 0);
  const std::string output = read_text(log);
  INFO(output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(output.find("sar: SIGTERM: stopping after this step and saving a checkpoint") != std::string::npos);
  CHECK(output.find("continue with: sar train --resume " + run + "\n") != std::string::npos);
  const std::string last = "/checkpoints/last.safetensors";
  const int64_t step = std::stoll(read_safetensors_index(run + last).metadata.at("step"));
  CHECK(step >= 3);
  CHECK(output.find("stopped at step " + std::to_string(step) + " by SIGTERM; saved " + run + last) !=
        std::string::npos);

  // Two steps more after the resume, and the checkpoint is byte for byte that of a run never stopped.
  const std::string until = " --stop-at-step " + std::to_string(step + 2);
  const auto resumed = run_sar("train --resume " + run + " --deterministic" + until);
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  const auto straight = run_sar("train --out " + dir + "/straight" + options + until);
  INFO(straight.output);
  CHECK(straight.exit_code == 0);
  CHECK(read_text(run + last) == read_text(dir + "/straight" + last));
}

TEST_CASE("fault: kill -9 during an evaluation loses no training; resumed, the run redoes it and ends bit-identical") {
  const std::string dir = temp_dir("kill_eval");
  const std::string run = dir + "/run", log = dir + "/log.txt", last = "/checkpoints/last.safetensors";
  // Two epochs of two steps, each followed by an evaluation of 600 people (a window to kill in).
  const std::string options = " --config configs/synthetic_demo.json --device cpu" + kTinyRun +
                              " --set data.synthetic.val_samples=600 --set train.epochs=2 --set train.eval_every=1";
  const pid_t child = start_sar(words("train --out " + run + options), log);
  // The checkpoint written before epoch 1's evaluation says that evaluation is under way.
  const bool evaluating = wait_for(child, [&] {
    if (!exists(run + last)) return false;
    const auto metadata = read_safetensors_index(run + last).metadata;
    return metadata.count("pending_eval") && metadata.at("pending_eval") == "0";
  });
  INFO(read_text(log));
  REQUIRE(evaluating);
  ::kill(child, SIGKILL);
  int status;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  CHECK(read_safetensors_index(run + last).metadata.at("step") == "2");  // epoch 1's training is kept

  const auto resumed = run_sar("train --resume " + run + " --deterministic");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  const auto straight = run_sar("train --out " + dir + "/straight" + options);
  INFO(straight.output);
  CHECK(straight.exit_code == 0);
  for (const std::string& name : {last, std::string("/checkpoints/best.safetensors"), std::string("/eval_log.csv"),
                                 std::string("/train_log.csv")}) {
    INFO(name);
    CHECK(read_text(run + name) == read_text(dir + "/straight" + name));
  }
  const std::string eval_rows = read_text(run + "/eval_log.csv");
  CHECK(std::count(eval_rows.begin(), eval_rows.end(), '\n') == 3);  // a header and one row per evaluation
}

TEST_CASE("fault: the stop signals' handler catches one signal; the next one of its kind has the default action") {
  struct sigaction before;
  ::sigaction(SIGINT, nullptr, &before);
  {
    const StopSignals signals;
    CHECK(signals.received() == 0);
    CHECK(error_of([] { StopSignals twice; }).find("already installed") != std::string::npos);
    ::raise(SIGINT);  // caught: the flag is set, the process goes on
    CHECK(signals.received() == SIGINT);
    struct sigaction now;
    ::sigaction(SIGINT, nullptr, &now);
    CHECK((now.sa_handler == SIG_DFL));  // a second Ctrl-C would end the process
    ::sigaction(SIGTERM, nullptr, &now);
    CHECK((now.sa_handler != SIG_DFL));  // SIGTERM is still caught
  }
  struct sigaction after;
  ::sigaction(SIGINT, nullptr, &after);
  CHECK((after.sa_handler == before.sa_handler));  // put back as it was
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGHUP) == "signal " + std::to_string(SIGHUP));
}

TEST_CASE("fault: abandoned temporary files are removed, those of a live writer kept") {
  const std::string dir = temp_dir("abandoned");
  const std::string dead = dir + "/last.safetensors.tmp.999999999", alive = dir + "/x.json.tmp." +
                                                                      std::to_string(::getpid());
  std::ofstream(dead) << "partial";
  std::ofstream(alive) << "being written";
  std::ofstream(dir + "/notes.tmp.txt") << "not ours";
  CHECK(remove_abandoned_temporaries(dir) == 1);
  CHECK_FALSE(exists(dead));
  CHECK(exists(alive));
  CHECK(exists(dir + "/notes.tmp.txt"));
}

TEST_CASE("fault: a disk too small for the checkpoints is refused before training; a full disk fails a write cleanly" *
          doctest::test_suite("mount") * doctest::skip(!can_mount_tmpfs())) {
  const std::string dir = temp_dir("small_disk");
  SmallDisk disk(dir, "4m");
  REQUIRE_MESSAGE(disk.mounted(), "mounting a 4 MiB tmpfs failed: ", std::strerror(disk.error()));
  // ResNet-18's checkpoints need ~200 MB: refused at once, naming the folder and both sizes.
  const auto train = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + dir + "/run" + kTinyRun);
  INFO(train.output);
  CHECK(train.exit_code == 1);
  CHECK(train.output.find(dir + "/run: its disk has ") != std::string::npos);
  CHECK(train.output.find("free; this run's checkpoints need about ") != std::string::npos);
  CHECK_FALSE(exists(dir + "/run/checkpoints/last.safetensors"));

  // A write that runs out of space mid-way: an error that says so, the old file intact, no
  // temporary file left behind.
  write_text_atomically(dir + "/config.json", "{\"old\": true}");
  const std::string big(8 << 20, 'x');
  CHECK(error_of([&] { write_text_atomically(dir + "/config.json", big); })
            .find(dir + "/config.json: write failed (No space left on device); is the disk full?") !=
        std::string::npos);
  CHECK(read_text(dir + "/config.json") == "{\"old\": true}");
  CHECK(remove_abandoned_temporaries(dir) == 0);
}

TEST_CASE("fault: unreadable images train on under skip_bad, counted in the log and the report") {
  const std::string dir = temp_dir("bad_images");
  write_coco_dataset(dir, 8);
  std::ofstream(dir + "/img2.png", std::ios::trunc) << "not a png";
  std::ofstream(dir + "/img5.png", std::ios::trunc) << "\x89PNG\r\n\x1a\n truncated";
  const std::string options = coco_dataset_options(dir) + " --set train.epochs=1";

  const auto train = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + dir + "/run" + options);
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  CHECK(train.output.find("2 of 8 training samples are unreadable (warned above) and were replaced") !=
        std::string::npos);
  CHECK(train.output.find("img2.png") != std::string::npos);
  CHECK(train.output.find("img5.png") != std::string::npos);
  CHECK(read_text(dir + "/run/report.md").find("- 2 unreadable training samples skipped (data.skip_bad") !=
        std::string::npos);
  // The evaluation (train and val are the same files here) leaves them out and says so.
  CHECK(train.output.find("2 of 8 val people are in unreadable images (data.skip_bad): not predicted, so they count "
                          "as missed") != std::string::npos);

  const auto strict = run_sar("train --config configs/synthetic_demo.json --device cpu --out " + dir + "/strict" +
                              options + " --set data.skip_bad=false");
  INFO(strict.output);
  CHECK(strict.exit_code == 1);
  CHECK((strict.output.find("img2.png") != std::string::npos || strict.output.find("img5.png") != std::string::npos));
}
