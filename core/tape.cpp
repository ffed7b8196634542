// tape.cpp: the Wengert list of core/tape.h: recording, and backward's reverse walk.
#include "core/tape.h"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "core/op_profile.h"
#include "core/ops/elementwise.h"

namespace sar {

static thread_local bool g_grad_enabled = true;

bool grad_enabled() { return g_grad_enabled; }
NoGrad::NoGrad() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGrad::~NoGrad() { g_grad_enabled = previous_; }

Tape& tape() {
  static thread_local Tape t;
  return t;
}

// SAR_TRACE=1 prints every recorded node: name, device and shapes.
static bool trace_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("SAR_TRACE");
    return v && v[0] && v[0] != '0';
  }();
  return on;
}

static std::string shapes_of(const TensorList& ts) {
  std::string s;
  for (const Tensor& t : ts) s += (s.empty() ? "" : " ") + (t.defined() ? t.shape().str() : "-");
  return s;
}

TensorRef::TensorRef(const Tensor& t) {
  if (!t.defined()) return;
  id = t.id();
  shape = t.shape();
  dtype = t.dtype();
  device = t.device();
  needs_grad = t.requires_grad();
  if (needs_grad && t.is_leaf()) leaf = t;
}

static std::vector<TensorRef> refs_of(const TensorList& ts) { return std::vector<TensorRef>(ts.begin(), ts.end()); }

void Tape::record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn backward) {
  if (!g_grad_enabled) return;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return;
  for (const Tensor& t : outputs) {
    t.impl().requires_grad = true;
    t.impl().is_leaf = false;
  }
  OpProfile* profile = active_op_profile();
  const std::string input_shapes = trace_enabled() || profile ? shapes_of(inputs) : std::string();
  const Device device = outputs.at(0).device();
  if (trace_enabled())
    std::fprintf(stderr, "[tape] #%zu %-14s %-4s %s -> %s\n", nodes_.size(), name, device_name(device),
                 input_shapes.c_str(), shapes_of(outputs).c_str());
  nodes_.push_back(Node{name, refs_of(inputs), refs_of(outputs), std::move(backward)});
  if (profile) {
    nodes_.back().profile_id = profile->id();
    nodes_.back().profile_row = profile->forward(name, input_shapes, device);
  }
}

// sum += g, out of place: g may be shared with other gradients (add's backward returns
// the same tensor for both inputs), so it is never written to.
static void accumulate(Tensor& sum, const Tensor& g) {
  if (!sum.defined()) sum = g;
  else sum = add(sum, g);
}

void Tape::backward(const Tensor& loss, const Tensor& seed) {
  SAR_CHECK(loss.requires_grad(), "backward: the loss does not require grad (no input of it requires grad, or it ",
            "was computed under NoGrad)");
  SAR_CHECK(seed.defined() || loss.numel() == 1, "backward: the loss must have one element, got shape ",
            loss.shape(), "; reduce it (sum, mean) or pass a seed gradient");
  NoGrad no_grad;  // gradient computations are not themselves recorded
  std::unordered_map<uint64_t, Tensor> grads;  // gradients of non-leaf tensors still to be consumed
  Tensor loss_grad = seed.defined() ? seed : Tensor::ones_like(loss);
  SAR_CHECK(loss_grad.shape() == loss.shape(), "backward: seed shape ", loss_grad.shape(), " != loss shape ",
            loss.shape());
  if (loss.is_leaf()) {
    Tensor g = loss.grad();
    accumulate(g, loss_grad);
    loss.set_grad(g);
  } else {
    grads[loss.id()] = loss_grad;
  }

  OpProfile* profile = active_op_profile();
  auto clock = profile ? profile_clock(loss.device()) : std::chrono::steady_clock::time_point();
  for (auto node = nodes_.rbegin(); node != nodes_.rend(); ++node) {
    // 1. gather the gradients of this node's outputs; skip nodes the loss does not reach
    TensorList douts;
    bool reached = false;
    for (const TensorRef& out : node->outputs) {
      auto it = grads.find(out.id);
      reached = reached || it != grads.end();
      douts.push_back(it != grads.end() ? it->second : Tensor());
    }
    if (reached) {
      for (size_t i = 0; i < douts.size(); ++i) {
        const TensorRef& out = node->outputs[i];
        if (!douts[i].defined()) douts[i] = Tensor::zeros(out.shape, out.dtype, out.device);
      }
      // 2. run the op's backward
      TensorList dins = node->backward(douts);
      SAR_CHECK(dins.size() == node->inputs.size(), "backward of '", node->name, "': returned ", dins.size(),
                " gradients for ", node->inputs.size(), " inputs");
      // 3. sum each input's gradient into its slot
      for (size_t i = 0; i < dins.size(); ++i) {
        const TensorRef& in = node->inputs[i];
        if (!dins[i].defined() || !in.needs_grad) continue;
        SAR_CHECK(dins[i].shape() == in.shape, "backward of '", node->name, "': gradient of input ", i,
                  " has shape ", dins[i].shape(), ", the input has ", in.shape);
        if (in.leaf.defined()) {
          // A leaf keeps its gradient across steps: never alias a tensor someone else holds.
          Tensor g = in.leaf.grad();
          if (!g.defined() && !dins[i].is_sole_owner()) g = dins[i].clone();
          else accumulate(g, dins[i]);
          in.leaf.set_grad(g);
        } else {
          accumulate(grads[in.id], dins[i]);
        }
      }
      for (const TensorRef& out : node->outputs) grads.erase(out.id);
      if (profile) {  // a node recorded before the profile began is timed but not counted
        const auto now = profile_clock(node->outputs.at(0).device);
        if (node->profile_id == profile->id())
          profile->backward(node->profile_row, std::chrono::duration<double, std::milli>(now - clock).count());
        clock = now;
      }
    }
    // 4. free what the node saved: its activations are not needed any more
    node->backward = nullptr;
    node->inputs.clear();
    node->outputs.clear();
  }
  nodes_.clear();
}

}  // namespace sar
