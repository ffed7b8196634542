// lr_schedule.h: the learning rate at each optimizer step (SAR_SPEC.md §4 and mmengine's
// LinearLR + MultiStepLR / CosineAnnealingLR as the official configs chain them).
//
//   warmup  steps [0, warmup_iters): factor rises linearly from warmup_factor to 1, reaching 1 at
//           step warmup_iters - 1 (mmengine's LinearLR(begin=0, end=warmup_iters) divides by
//           end - begin - 1, unlike torch's LinearLR):
//           f = warmup_factor + (1 - warmup_factor) * min(step, warmup_iters - 1) / (warmup_iters - 1)
//   step    lr * gamma^(number of milestones <= epoch)              (MultiStepLR, by epoch)
//   cosine  eta_min + (lr - eta_min) (1 + cos(pi * e / epochs)) / 2, eta_min = 0, e = min(epoch,
//           epochs - 1) (by epoch; mmengine's scheduler stops at end = epochs, so the value holds)
//   lr(step, epoch) = base(epoch) * warmup factor(step)
// `step` counts optimizer steps from 0 across epochs, `epoch` from 0: the rate that step uses, as
// mmengine's runner (schedulers built before step 0, iteration ones stepped after each step, epoch
// ones after each epoch) leaves it in the param group. mmengine chains multiplications; this is the
// closed form, equal to rounding (tests/data/optim/lr_schedule.safetensors).
#pragma once

#include <cstdint>
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

// Throws for an unknown kind, a non-positive lr or gamma, milestones not increasing, epochs < 1,
// warmup_iters of 1 (mmengine would hold warmup_factor forever) or warmup_factor outside [0, 1].
void check_lr_schedule(const LrScheduleConfig& config);
double learning_rate(const LrScheduleConfig& config, int64_t step, int epoch);

}  // namespace sar
