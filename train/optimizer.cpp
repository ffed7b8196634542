// optimizer.cpp: Adam and SGD with momentum over named parameters (train/optimizer.h): one fused
// kernel call per parameter on its device (core/cpu/optim.cpp, cuda/optim.cu), the state for
// checkpoints, and the global gradient norm, its clip and the non-finite guard.
#include "train/optimizer.h"

#include <cmath>
#include <map>
#include <set>

#include "core/cpu/kernels_cpu.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_util.h"
#include "core/tape.h"
#include "cuda/kernels_cuda.h"

namespace sar {

namespace {

bool is_adam(const OptimizerConfig& c) { return c.name == "adam"; }

void check_config(const OptimizerConfig& c) {
  SAR_CHECK(c.name == "adam" || c.name == "sgd", "optimizer: name must be adam or sgd, got '", c.name, "'");
  SAR_CHECK(c.weight_decay >= 0, "optimizer: weight_decay must be >= 0, got ", c.weight_decay);
  if (is_adam(c)) {
    SAR_CHECK(c.eps > 0, "optimizer: eps must be > 0, got ", c.eps);
    SAR_CHECK(c.beta1 >= 0 && c.beta1 < 1, "optimizer: beta1 must be in [0, 1), got ", c.beta1);
    SAR_CHECK(c.beta2 >= 0 && c.beta2 < 1, "optimizer: beta2 must be in [0, 1), got ", c.beta2);
  } else {
    SAR_CHECK(c.momentum >= 0 && c.momentum < 1, "optimizer: momentum must be in [0, 1), got ", c.momentum);
  }
}

// Step t's scalars (t from 1), in double as PyTorch's Python code computes them, then in T.
template <typename T>
AdamCoefficients<T> adam_coefficients(const OptimizerConfig& c, double lr, int64_t t) {
  const double bc1 = 1 - std::pow(c.beta1, double(t)), bc2 = 1 - std::pow(c.beta2, double(t));
  return {T(c.beta1), T(1 - c.beta1), T(c.beta2), T(1 - c.beta2), T(lr / bc1), T(std::sqrt(bc2)), T(c.eps),
          T(c.weight_decay)};
}

template <typename T>
SgdCoefficients<T> sgd_coefficients(const OptimizerConfig& c, double lr) {
  return {T(lr), T(c.momentum), T(c.weight_decay)};
}

// One parameter's update, on its device and in its dtype. second is undefined for SGD.
void update(const OptimizerConfig& c, double lr, int64_t t, const Tensor& p, const Tensor& first,
            const Tensor& second, const Tensor& g) {
  if (p.is_cuda()) {
    if (is_adam(c)) {
      SAR_ON_CUDA("adam update", adam_update_cuda(p.data<float>(), first.data<float>(), second.data<float>(),
                                                   g.data<float>(), p.numel(), adam_coefficients<float>(c, lr, t)));
    } else {
      SAR_ON_CUDA("sgd update", sgd_update_cuda(p.data<float>(), first.data<float>(), g.data<float>(), p.numel(),
                                                 sgd_coefficients<float>(c, lr)));
    }
    return;
  }
  dispatch_float(p.dtype(), "optimizer update", [&](auto zero) {
    using T = decltype(zero);
    if (is_adam(c)) {
      adam_update_cpu<T>(p.data<T>(), first.data<T>(), second.data<T>(), g.data<T>(), p.numel(),
                         adam_coefficients<T>(c, lr, t));
    } else {
      sgd_update_cpu<T>(p.data<T>(), first.data<T>(), g.data<T>(), p.numel(), sgd_coefficients<T>(c, lr));
    }
  });
}

// A copy on the CPU that later steps do not change.
Tensor host_copy(const Tensor& t) { return t.is_cuda() ? t.to(Device::CPU) : t.clone(); }

// What load_state expects of one state tensor, and where its values go.
struct StateSlot {
  std::string name;
  Shape shape;
  Tensor moment;              // exp_avg / exp_avg_sq / momentum_buffer; undefined for a step count
  int64_t* step = nullptr;    // the step count's slot
};

// Each parameter's sum of squared gradient entries (0 without a gradient), in double. The CUDA
// sums land in one device array, so all of them come back in one copy.
std::vector<double> grad_sum_squares(const NamedTensors& params) {
  std::vector<double> sums(params.size(), 0.0);
  Tensor device_sums;  // [P] float64 on the device, filled only where a CUDA gradient exists
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor g = params[i].second.grad();
    if (!g.defined()) continue;
    if (g.is_cuda()) {
      check_cuda_float32(g, "grad norm", params[i].first.c_str());
      if (!device_sums.defined()) device_sums = Tensor::empty(Shape{int64_t(params.size())}, DType::F64, Device::CUDA);
      SAR_ON_CUDA("grad norm", sum_squares_cuda(device_sums.data<double>() + i, g.data<float>(), g.numel()));
    } else {
      dispatch_float(g.dtype(), "grad norm", [&](auto zero) {
        using T = decltype(zero);
        sum_squares_cpu<T>(&sums[i], g.data<T>(), g.numel());
      });
    }
  }
  if (device_sums.defined()) {
    const std::vector<double> from_device = device_sums.to_vector();
    for (size_t i = 0; i < params.size(); ++i) {
      const Tensor g = params[i].second.grad();
      if (g.defined() && g.is_cuda()) sums[i] = from_device[i];
    }
  }
  return sums;
}

}  // namespace

Optimizer::Optimizer(const OptimizerConfig& config, NamedTensors params) : config_(config), params_(std::move(params)) {
  check_config(config_);
  std::set<std::string> names;
  for (const auto& [name, p] : params_) {
    SAR_CHECK(names.insert(name).second, "optimizer: parameter '", name, "' is given twice");
    check_float(p, "optimizer", name.c_str());
    if (p.is_cuda()) check_cuda_float32(p, "optimizer", name.c_str());
    // the state starts at zero: Adam's moments as PyTorch's, and SGD's buffer as the first
    // step's clone of the gradient (momentum * 0 + g, core/optim_math.h)
    first_moment_.push_back(Tensor::zeros_like(p));
    second_moment_.push_back(is_adam(config_) ? Tensor::zeros_like(p) : Tensor());
    steps_.push_back(0);
  }
}

void Optimizer::step(double lr) {
  SAR_CHECK(std::isfinite(lr) && lr >= 0, "optimizer step: lr must be finite and >= 0, got ", lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [name, p] = params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;  // not reached by backward: no update, no step counted
    SAR_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(), "optimizer step: the ",
              "gradient of '", name, "' is ", g.shape(), " ", dtype_name(g.dtype()), " on ", device_name(g.device()),
              ", its parameter ", p.shape(), " ", dtype_name(p.dtype()), " on ", device_name(p.device()));
    ++steps_[i];
    update(config_, lr, steps_[i], p, first_moment_[i], second_moment_[i], g);
  }
}

NamedTensors Optimizer::state() const {
  NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    if (is_adam(config_)) {
      out.emplace_back(name + ".exp_avg", host_copy(first_moment_[i]));
      out.emplace_back(name + ".exp_avg_sq", host_copy(second_moment_[i]));
      out.emplace_back(name + ".step", Tensor::from_vector({double(steps_[i])}, Shape(), DType::I64));
    } else {
      out.emplace_back(name + ".momentum_buffer", host_copy(first_moment_[i]));
    }
  }
  return out;
}

void Optimizer::load_state(const NamedTensors& state) {
  // the slots this optimizer's state() would give, in its order
  std::vector<StateSlot> slots;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [name, p] = params_[i];
    if (is_adam(config_)) {
      slots.push_back({name + ".exp_avg", p.shape(), first_moment_[i]});
      slots.push_back({name + ".exp_avg_sq", p.shape(), second_moment_[i]});
      slots.push_back({name + ".step", Shape(), Tensor(), &steps_[i]});
    } else {
      slots.push_back({name + ".momentum_buffer", p.shape(), first_moment_[i]});
    }
  }
  std::map<std::string, Tensor> given;
  for (const auto& [name, t] : state) {
    SAR_CHECK(given.emplace(name, t).second, "optimizer state: tensor '", name, "' is given twice");
  }
  // check everything before changing anything, so a refused state leaves the optimizer as it was
  for (const StateSlot& slot : slots) {
    auto it = given.find(slot.name);
    SAR_CHECK(it != given.end(), "optimizer state: missing tensor '", slot.name, "' (", config_.name,
              " state of these parameters)");
    SAR_CHECK(it->second.shape() == slot.shape, "optimizer state: tensor '", slot.name, "' must be ", slot.shape,
              ", got ", it->second.shape());
    if (slot.step) {
      const double t = it->second.item();
      SAR_CHECK(t >= 0 && t == std::floor(t), "optimizer state: tensor '", slot.name,
                "' must be a whole number >= 0, got ", t);
    } else {
      check_float(it->second, "optimizer state", slot.name.c_str());
    }
  }
  if (given.size() != slots.size()) {
    std::set<std::string> expected;
    for (const StateSlot& slot : slots) expected.insert(slot.name);
    for (const auto& [name, t] : given)
      SAR_CHECK(expected.count(name), "optimizer state: unexpected tensor '", name, "' (not in the ", config_.name,
                " state of these parameters)");
  }
  for (StateSlot& slot : slots) {
    const Tensor& t = given.at(slot.name);
    if (slot.step) *slot.step = static_cast<int64_t>(t.item());
    else slot.moment.copy_(t);
  }
}

double global_grad_norm(const NamedTensors& params) {
  double total = 0;
  for (double s : grad_sum_squares(params)) total += s;
  return std::sqrt(total);
}

double clip_grad_norm(const NamedTensors& params, double max_norm) {
  SAR_CHECK(max_norm > 0, "clip_grad_norm: max_norm must be > 0, got ", max_norm);
  const double norm = global_grad_norm(params);
  const double coef = max_norm / (norm + 1e-6);
  if (!std::isfinite(norm) || coef >= 1) return norm;
  NoGrad no_grad;
  for (const auto& [name, p] : params) {
    const Tensor g = p.grad();
    if (g.defined()) p.set_grad(mul(g, coef));
  }
  return norm;
}

std::string first_non_finite_grad(const NamedTensors& params) {
  const std::vector<double> sums = grad_sum_squares(params);
  for (size_t i = 0; i < params.size(); ++i)
    if (!std::isfinite(sums[i])) return params[i].first;
  return "";
}

}  // namespace sar
