// op_profile.h: where a training step's time goes, op by op (`sar bench model --profile`).
//
// While an OpProfile is active on a thread, that thread's tape times what it records and runs:
//   forward   an op records itself after it has run, so its time is the wall time since the
//             previous record on this thread, or since start_pass(): the op's own work plus
//             whatever ran just before it without being recorded (glue code, and ops that record
//             nothing: under NoGrad, or with no input that requires grad, such as work on the
//             targets).
//   backward  the node's backward function and the summing of the gradients it returns (plus
//             the freeing of the nodes before it and the skipping of nodes the loss does not
//             reach).
// Rows are keyed by op name and input shapes, so the five stride-1 3x3 convs of ResNet-50's
// layer3 add up in one row (convs that differ only in stride or padding would share one too).
// On CUDA the device is synchronized at every timestamp, so each kernel counts to its own op;
// that slows the step, so compare profiles with profiles, and a step's speed with
// `sar bench model` without --profile. Other work is timed by hand with add().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace sar {

struct OpTimes {
  std::string op;      // "conv2d", "batch_norm2d", ...; or what add() named
  std::string shapes;  // the op's input shapes, "[8, 64, 64, 48] [64, 64, 3, 3]"
  int64_t calls = 0;   // forward calls
  double forward_ms = 0, backward_ms = 0;
  double total_ms() const { return forward_ms + backward_ms; }
};

class OpProfile {
 public:
  // Makes this profile the calling thread's active one until destruction (one at a time).
  OpProfile();
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  // The next recorded op's forward time counts from now (call before each forward pass).
  void start_pass(Device device);
  // Called by Tape::record after an op ran (shapes: its inputs'): its forward time; returns its
  // row for backward().
  size_t forward(const char* op, const std::string& shapes, Device device);
  // Called by Tape::backward for each node it ran: `ms` of backward time to the node's row.
  void backward(size_t row, double ms) { rows_[row].backward_ms += ms; }
  // Time spent outside the tape (an optimizer step), as a row of its own.
  void add(const std::string& what, double forward_ms);

  const std::vector<OpTimes>& rows() const { return rows_; }
  // Never reused, never 0: a tape node remembers which profile timed its forward by this, so a
  // node left from a destroyed profile is never booked to a later one at the same address.
  uint64_t id() const { return id_; }

  // Two tables, per step (the totals divided by `steps`): time by op name, then the `top`
  // costliest rows by op name and shapes, each with its share of the profiled total.
  std::string tables(int steps, int top) const;

 private:
  uint64_t id_;
  std::vector<OpTimes> rows_;
  std::map<std::string, size_t> row_of_;  // op + "|" + shapes -> index in rows_
  std::chrono::steady_clock::time_point last_;
  size_t row(const std::string& op, const std::string& shapes);
};

// The calling thread's active profile, or null (the tape's only cost when profiling is off).
OpProfile* active_op_profile();

// Now, after the device's queued work is done: the profile's clock.
std::chrono::steady_clock::time_point profile_clock(Device device);

}  // namespace sar
