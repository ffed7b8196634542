// stop_signals.h: Ctrl-C (SIGINT) and SIGTERM, what job schedulers send before they kill a job,
// during `sar train`. The first one asks the run to stop after the step under way and save a
// checkpoint to resume from (train/trainer.cpp); a second one ends the process at once, as if
// there were no handler (for a step or an evaluation that takes too long to wait for).
//
//   StopSignals signals;                  // handlers installed for this scope
//   ... if (signals.received()) { save; return; }
#pragma once

#include <string>

namespace sar {

class StopSignals {
 public:
  StopSignals();   // installs the handlers (one StopSignals at a time)
  ~StopSignals();  // puts the previous handlers back and forgets any signal received
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  int received() const;  // the signal that asked to stop (SIGINT or SIGTERM), 0 while none has
};

std::string signal_name(int signal);  // "SIGINT", "SIGTERM", else "signal N"

}  // namespace sar
