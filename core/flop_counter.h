// flop_counter.h: counts the multiply-adds (MACs) of the ops that dominate a network's cost,
// for `sar info --model`. While a FlopCount is alive on a thread, conv2d, conv_transpose2d and
// matmul report their work to it; otherwise counting costs one branch per op.
//
// A transposed conv is counted twice, under two labels:
//   "conv_transpose2d"              its real work: every input pixel times the whole kernel
//   "conv_transpose2d (full kernel per output pixel)"
//                                   the convention of counters that treat it as a dense conv on
//                                   its output (stride^2 times the real work for stride 2 with a
//                                   4x4 kernel): the paper's 9.7 G for its deconv models
// total() sums the real work only; total_full_kernel() the same with each transposed conv
// charged the second way (the two agree for a network without one).
#pragma once

#include <map>
#include <string>

namespace sar {

extern const char* const kConvTransposeLabel;     // "conv_transpose2d"
extern const char* const kDeconvFullKernelLabel;  // "conv_transpose2d (full kernel per output pixel)"

class FlopCount {
 public:
  FlopCount();
  ~FlopCount();
  FlopCount(const FlopCount&) = delete;
  FlopCount& operator=(const FlopCount&) = delete;

  const std::map<std::string, double>& macs() const { return macs_; }  // by op label
  double total() const;  // real multiply-adds of every op
  double total_full_kernel() const;

 private:
  double sum_except(const char* label) const;  // every op's count but the one under `label`
  friend void count_macs(const char* label, double macs);
  std::map<std::string, double> macs_;
  FlopCount* previous_;
};

// Called by the ops; adds to the innermost open FlopCount of this thread, if any.
void count_macs(const char* label, double macs);

}  // namespace sar
