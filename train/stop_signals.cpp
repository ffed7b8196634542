// stop_signals.cpp: see stop_signals.h.
#include "train/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "core/error.h"

namespace sar {

namespace {

volatile sig_atomic_t g_received = 0;
bool g_installed = false;
struct sigaction g_previous[2];
const int kSignals[2] = {SIGINT, SIGTERM};

// Async-signal-safe: sets the flag and writes a fixed line with write(2). SA_RESETHAND has already
// put the default action back, so the next signal of this kind ends the process.
void on_stop_signal(int signal) {
  g_received = signal;
  const char* text = signal == SIGINT
                         ? "\nsar: SIGINT: stopping after this step and saving a checkpoint (again to quit at once)\n"
                         : "\nsar: SIGTERM: stopping after this step and saving a checkpoint (again to quit at once)\n";
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

}  // namespace

StopSignals::StopSignals() {
  SAR_CHECK(!g_installed, "StopSignals: already installed (one at a time)");
  g_received = 0;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;  // one catch per signal; reads and writes carry on
  for (int i = 0; i < 2; ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);
  g_installed = true;
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 2; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
  g_received = 0;
  g_installed = false;
}

int StopSignals::received() const { return g_received; }

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace sar
