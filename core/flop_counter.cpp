// flop_counter.cpp: the thread's current FlopCount (core/flop_counter.h) and the ops' count_macs.
#include "core/flop_counter.h"

namespace sar {

const char* const kDeconvFullKernelLabel = "conv_transpose2d (full kernel per output pixel)";

static thread_local FlopCount* g_current = nullptr;

FlopCount::FlopCount() : previous_(g_current) { g_current = this; }
FlopCount::~FlopCount() { g_current = previous_; }

double FlopCount::total() const {
  double sum = 0;
  for (const auto& [label, macs] : macs_)
    if (label != kDeconvFullKernelLabel) sum += macs;
  return sum;
}

void count_macs(const char* label, double macs) {
  if (g_current) g_current->macs_[label] += macs;
}

}  // namespace sar
