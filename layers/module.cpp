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

void Module::load_state(const NamedTensors& state) {
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) given[name] = &t;
  std::set<std::string> used;
  auto assign = [&](const std::string& name, const Slot& s) {
    Tensor* slot = s.tensor;
    auto it = given.find(name);
    SAR_CHECK(it != given.end(), "load_state: missing tensor '", name, "' (shape ", slot->shape(), ")");
    const Tensor& src = *it->second;
    SAR_CHECK(src.shape() == slot->shape(), "load_state: tensor '", name, "' has shape ", src.shape(),
              ", the model expects ", slot->shape());
    slot->copy_(src);
    used.insert(name);
  };
  visit(true, "", assign);
  visit(false, "", assign);
  for (const auto& [name, t] : given)
    SAR_CHECK(used.count(name), "load_state: unexpected tensor '", name, "' (shape ", t->shape(),
              "): the model has no such parameter or buffer");
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
