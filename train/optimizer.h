// optimizer.h: Adam and SGD with momentum, as PyTorch's torch.optim.Adam / SGD compute them
// (the defaults of the official recipe: Adam, lr 5e-4, betas 0.9/0.999, eps 1e-8, no weight
// decay; SAR_SPEC.md §4), and the global gradient-norm clip.
//
//   Adam  g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//         p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)       (t = step, from 1)
//   SGD   g += wd p;  buf = g at the first step, else momentum buf + g;  p -= lr buf
// eps is added after dividing by sqrt(1 - b2^t), as PyTorch's (non-fused) Adam does; the
// operations and their order are PyTorch 1.13's (core/optim_math.h), so float64 agrees to rounding.
// SGD's buffer starts at zero, which makes the first step's momentum * 0 + g that same g.
//
// Each update is one fused pass over a parameter (CPU: core/cpu/optim.cpp, CUDA: cuda/optim.cu),
// in the parameter's dtype and on its device; the state tensors (m, v or buf) live beside it.
// Parameters whose grad() is undefined (not reached by backward) are skipped, as PyTorch does,
// and their step count does not advance (Adam keeps one count per parameter, as PyTorch).
// The optimizer holds the parameter handles it was given: build it after the model's to(device)
// (which replaces the module's tensors); Module::load_state copies in place and is safe either way.
#pragma once

#include <string>

#include "layers/module.h"

namespace sar {

struct OptimizerConfig {
  std::string name = "adam";  // adam | sgd (the learning rate is step()'s: the schedule's value)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double momentum = 0.9;
  double weight_decay = 0;
};

class Optimizer {
 public:
  // Takes the parameters (handles sharing their storage: updates are seen by the module).
  // Throws for an unknown name, a non-positive eps, betas or momentum outside [0, 1), weight_decay < 0.
  Optimizer(const OptimizerConfig& config, NamedTensors params);

  // One update of every parameter with a gradient, at learning rate `lr` (the schedule's value).
  void step(double lr);

  // The state, for checkpoints: "<param>.exp_avg", "<param>.exp_avg_sq", "<param>.step" (Adam;
  // step as a 0-dim int64 tensor) or "<param>.momentum_buffer" (SGD), on the CPU. load_state
  // refuses (naming the tensor) a state whose names or shapes do not match these parameters.
  NamedTensors state() const;
  void load_state(const NamedTensors& state);

  const NamedTensors& params() const { return params_; }

 private:
  OptimizerConfig config_;
  NamedTensors params_;
  // per parameter (same order as params_): Adam's moments m (exp_avg) and v (exp_avg_sq) and
  // its step count; SGD keeps its momentum buffer in first_moment_ (second_moment_ undefined)
  std::vector<Tensor> first_moment_, second_moment_;
  std::vector<int64_t> steps_;
};

// The L2 norm of all gradients together (parameters without one count as zero), in double.
double global_grad_norm(const NamedTensors& params);

// Scales every gradient by coef = max_norm / (norm + 1e-6) when coef < 1, i.e. when the global
// norm exceeds max_norm - 1e-6 (torch.nn.utils.clip_grad_norm_, which multiplies by min(coef, 1)).
// Returns the norm before clipping. A NaN or Inf norm leaves the gradients as they are (PyTorch
// would turn them all into NaN): the caller's guard sees the returned norm or first_non_finite_grad.
double clip_grad_norm(const NamedTensors& params, double max_norm);

// The first parameter (in order) whose gradient holds a NaN or Inf, or "" when all are finite:
// the training loop's guard names it. It tests each gradient's sum of squares in double, so a
// float32 gradient is never called non-finite for being large; a float64 one above ~1e154 would be.
// global_grad_norm, clip_grad_norm and this one copy from the GPU once per call, not per parameter.
std::string first_non_finite_grad(const NamedTensors& params);

}  // namespace sar
