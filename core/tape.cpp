#include "core/tape.h"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

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

void Tape::record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn backward) {
  if (!g_grad_enabled) return;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return;
  for (const Tensor& t : outputs) {
    t.impl().requires_grad = true;
    t.impl().is_leaf = false;
  }
  if (trace_enabled())
    std::fprintf(stderr, "[tape] #%zu %-14s %-4s %s -> %s\n", nodes_.size(), name,
                 device_name(outputs.at(0).device()), shapes_of(inputs).c_str(), shapes_of(outputs).c_str());
  nodes_.push_back(Node{name, inputs, outputs, std::move(backward)});
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
  std::unordered_map<TensorImpl*, Tensor> grads;  // gradients of non-leaf tensors still to be consumed
  Tensor loss_grad = seed.defined() ? seed : Tensor::ones_like(loss);
  SAR_CHECK(loss_grad.shape() == loss.shape(), "backward: seed shape ", loss_grad.shape(), " != loss shape ",
            loss.shape());
  if (loss.is_leaf()) {
    Tensor g = loss.grad();
    accumulate(g, loss_grad);
    loss.set_grad(g);
  } else {
    grads[loss.impl_ptr()] = loss_grad;
  }

  for (auto node = nodes_.rbegin(); node != nodes_.rend(); ++node) {
    // 1. gather the gradients of this node's outputs; skip nodes the loss does not reach
    TensorList douts;
    bool reached = false;
    for (const Tensor& out : node->outputs) {
      auto it = grads.find(out.impl_ptr());
      reached = reached || it != grads.end();
      douts.push_back(it != grads.end() ? it->second : Tensor());
    }
    if (reached) {
      for (size_t i = 0; i < douts.size(); ++i)
        if (!douts[i].defined()) douts[i] = Tensor::zeros_like(node->outputs[i]);
      // 2. run the op's backward
      TensorList dins = node->backward(douts);
      SAR_CHECK(dins.size() == node->inputs.size(), "backward of '", node->name, "': returned ", dins.size(),
                " gradients for ", node->inputs.size(), " inputs");
      // 3. sum each input's gradient into its slot
      for (size_t i = 0; i < dins.size(); ++i) {
        const Tensor& in = node->inputs[i];
        if (!dins[i].defined() || !in.defined() || !in.requires_grad()) continue;
        SAR_CHECK(dins[i].shape() == in.shape(), "backward of '", node->name, "': gradient of input ", i,
                  " has shape ", dins[i].shape(), ", the input has ", in.shape());
        if (in.is_leaf()) {
          // A leaf keeps its gradient across steps: never alias a tensor someone else holds.
          Tensor g = in.grad();
          if (!g.defined() && !dins[i].is_sole_owner()) g = dins[i].clone();
          else accumulate(g, dins[i]);
          in.set_grad(g);
        } else {
          accumulate(grads[in.impl_ptr()], dins[i]);
        }
      }
      for (const Tensor& out : node->outputs) grads.erase(out.impl_ptr());
    }
    // 4. free what the node saved: its activations are not needed any more
    node->backward = nullptr;
    node->inputs.clear();
    node->outputs.clear();
  }
  nodes_.clear();
}

}  // namespace sar
