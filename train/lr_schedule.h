// lr_schedule.h: the learning rate at each optimizer step (SAR_SPEC.md §4 and mmengine's
// LinearLR + MultiStepLR / CosineAnnealingLR as the official configs chain them).
//
//   warmup  steps [0, warmup_iters): factor rises linearly from warmup_factor to 1:
//           f = warmup_factor + (1 - warmup_factor) * step / warmup_iters
//   step    lr * gamma^(number of milestones <= epoch)              (MultiStepLR, by epoch)
//   cosine  eta_min + (lr - eta_min) (1 + cos(pi * epoch / epochs)) / 2, eta_min = 0 (by epoch)
//   lr(step, epoch) = base(epoch) * warmup factor(step)
// `step` counts optimizer steps from 0 across epochs, `epoch` from 0.
#pragma once

#include <string>
#include <vector>

namespace sar {

struct LrScheduleConfig {
  double lr = 5e-4;
  std::string kind = "step";  // step | cosine
  std::vector<int> milestones{170, 200};
  double gamma = 0.1;
  int epochs = 210;           // cosine's period
  int warmup_iters = 500;     // 0: no warmup
  double warmup_factor = 0.001;
};

// Throws for an unknown kind, a non-positive lr, or milestones not increasing.
void check_lr_schedule(const LrScheduleConfig& config);
double learning_rate(const LrScheduleConfig& config, int64_t step, int epoch);

}  // namespace sar
