// lr_schedule.cpp: the learning rate of train/lr_schedule.h in closed form: what mmengine's
// chained LinearLR (by iteration) and MultiStepLR / CosineAnnealingLR (by epoch) leave in the
// optimizer's param group for that step, without replaying the chain.
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace sar {

void check_lr_schedule(const LrScheduleConfig& c) {
  SAR_CHECK(c.kind == "step" || c.kind == "cosine", "lr schedule: kind must be step or cosine, got '", c.kind, "'");
  SAR_CHECK(c.lr > 0, "lr schedule: lr must be > 0, got ", c.lr);
  SAR_CHECK(c.gamma > 0, "lr schedule: gamma must be > 0, got ", c.gamma);
  for (size_t i = 0; i < c.milestones.size(); ++i) {
    SAR_CHECK(c.milestones[i] >= 0, "lr schedule: milestones must be >= 0, got ", c.milestones[i]);
    SAR_CHECK(i == 0 || c.milestones[i] > c.milestones[i - 1], "lr schedule: milestones must increase, got ",
              c.milestones[i - 1], " then ", c.milestones[i]);
  }
  SAR_CHECK(c.epochs >= 1, "lr schedule: epochs must be >= 1, got ", c.epochs);
  // mmengine's LinearLR with end = 1 never leaves its start factor (it is updated at step 0 only)
  SAR_CHECK(c.warmup_iters == 0 || c.warmup_iters >= 2, "lr schedule: warmup_iters must be 0 (none) or >= 2, got ",
            c.warmup_iters);
  SAR_CHECK(c.warmup_factor >= 0 && c.warmup_factor <= 1, "lr schedule: warmup_factor must be in [0, 1], got ",
            c.warmup_factor);
}

double learning_rate(const LrScheduleConfig& c, int64_t step, int epoch) {
  SAR_CHECK(step >= 0 && epoch >= 0, "learning_rate: step and epoch must be >= 0, got ", step, " and ", epoch);
  double base = c.lr;
  if (c.kind == "step") {
    for (int milestone : c.milestones)
      if (milestone <= epoch) base *= c.gamma;
  } else {
    // mmengine stops updating at end = epochs, so the last epoch's value holds after it
    const int e = std::min(epoch, c.epochs - 1);
    base *= (1 + std::cos(M_PI * e / c.epochs)) / 2;
  }
  if (c.warmup_iters == 0) return base;
  // LinearLR's factor reaches 1 at its last step, end - begin - 1 = warmup_iters - 1
  const int64_t last = c.warmup_iters - 1;
  const double progress = double(std::min(step, last)) / double(last);
  return base * (c.warmup_factor + (1 - c.warmup_factor) * progress);
}

}  // namespace sar
