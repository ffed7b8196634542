// flop_counter.cpp: the thread's current FlopCount (core/flop_counter.h) and the ops' count_macs.
#include "core/flop_counter.h"

namespace sar {

const char* const kConvTransposeLabel = "conv_transpose2d";
const char* const kDeconvFullKernelLabel = "conv_transpose2d (full kernel per output pixel)";

static thread_local FlopCount* g_current = nullptr;

FlopCount::FlopCount() : previous_(g_current) { g_current = this; }
FlopCount::~FlopCount() { g_current = previous_; }

double FlopCount::sum_except(const char* label) const {
  double sum = 0;
  for (const auto& [name, macs] : macs_)
    if (name != label) sum += macs;
  return sum;
}

double FlopCount::total() const { return sum_except(kDeconvFullKernelLabel); }
double FlopCount::total_full_kernel() const { return sum_except(kConvTransposeLabel); }

void count_macs(const char* label, double macs) {
  if (g_current) g_current->macs_[label] += macs;
}

}  // namespace sar
