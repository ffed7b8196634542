// module.cpp: Module's named parameters and buffers, state loading with its report, mode and device
// moves, zero_grad, and Sequential.
#include "layers/module.h"

#include <map>
#include <set>

namespace sar {

template <typename F>
void Module::visit(bool params, const std::string& prefix, F&& f) const {
  for (const Slot& s : params ? parameters_ : buffers_) f(prefix + s.name, s);
  for (const auto& [name, child] : children_) child->visit(params, prefix + name + ".", f);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  visit(true, "", [&](const std::string& name, const Slot& s) { out.emplace_back(name, *s.tensor); });
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  visit(false, "", [&](const std::string& name, const Slot& s) { out.emplace_back(name, *s.tensor); });
  return out;
}

NamedTensors Module::state() const {
  NamedTensors out = named_parameters();
  for (auto& b : named_buffers()) out.push_back(b);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::string LoadReport::describe() const {
  std::string out;
  auto part = [&](size_t count, const std::string& first, const char* kind) {
    out += (out.empty() ? "" : "; ") + first;
    if (count > 1) out += cat(" and ", count - 1, " more ", kind);
  };
  if (!missing.empty())
    part(missing.size(), cat("missing tensor '", missing[0].first, "' (shape ", missing[0].second, ")"), "missing");
  if (!unexpected.empty())
    part(unexpected.size(),
         cat("unexpected tensor '", unexpected[0].first, "' (shape ", unexpected[0].second, ", not in the model)"),
         "unexpected");
  if (!mismatched.empty())
    part(mismatched.size(),
         cat("tensor '", mismatched[0].name, "' has shape ", mismatched[0].given, ", the model expects ",
             mismatched[0].expected),
         "with another shape");
  return out;
}

void Module::load_state(const NamedTensors& state) { load_state(state, false); }

LoadReport Module::load_state(const NamedTensors& state, bool allow_partial) {
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) given[name] = &t;
  // Match every slot first, so a strict load that fails has changed nothing.
  LoadReport report;
  std::vector<std::pair<Tensor*, const Tensor*>> copies;  // (slot, source)
  std::set<std::string> seen;
  auto match = [&](const std::string& name, const Slot& s) {
    auto it = given.find(name);
    if (it == given.end()) {
      report.missing.emplace_back(name, s.tensor->shape());
      return;
    }
    seen.insert(name);
    const Tensor& src = *it->second;
    if (src.shape() != s.tensor->shape()) {
      report.mismatched.push_back({name, src.shape(), s.tensor->shape()});
      return;
    }
    report.loaded.push_back(name);
    copies.emplace_back(s.tensor, &src);
  };
  visit(true, "", match);
  visit(false, "", match);
  for (const auto& [name, t] : state)
    if (!seen.count(name)) report.unexpected.emplace_back(name, t.shape());
  SAR_CHECK(allow_partial || report.complete(), "load_state: ", report.describe(),
            " (strict load: nothing was copied; a partial load copies what matches)");
  for (auto& [slot, src] : copies) slot->copy_(*src);
  return report;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to(Device device) {
  visit(true, "", [&](const std::string&, const Slot& s) { *s.tensor = s.tensor->to(device).set_requires_grad(); });
  visit(false, "", [&](const std::string&, const Slot& s) {
    if (!s.host) *s.tensor = s.tensor->to(device);
  });
}

void Module::to(DType dtype) {
  auto convert = [&](const std::string&, const Slot& s) {
    Tensor* t = s.tensor;
    if (is_floating(t->dtype())) {
      bool grad = t->requires_grad();
      *t = t->to(dtype);
      if (grad) t->set_requires_grad();
    }
  };
  visit(true, "", convert);
  visit(false, "", convert);
}

void Module::zero_grad() {
  visit(true, "", [](const std::string&, const Slot& s) { s.tensor->zero_grad(); });
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  visit(true, "", [&](const std::string&, const Slot& s) { n += s.tensor->numel(); });
  return n;
}

void Module::register_parameter(const std::string& name, Tensor* t) {
  SAR_CHECK(t->defined(), "register_parameter: '", name, "' is undefined");
  t->set_requires_grad();
  parameters_.push_back({name, t});
}

void Module::register_buffer(const std::string& name, Tensor* t, bool host) {
  SAR_CHECK(t->defined(), "register_buffer: '", name, "' is undefined");
  buffers_.push_back({name, t, host});
}

void Module::register_module(const std::string& name, Module* child) { children_.emplace_back(name, child); }

Sequential& Sequential::add(std::unique_ptr<Layer> layer) {
  register_module(std::to_string(layers_.size()), layer.get());
  layers_.push_back(std::move(layer));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& layer : layers_) y = layer->forward(y);
  return y;
}

}  // namespace sar
