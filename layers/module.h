// module.h: the base of every layer and model: named parameters and buffers, children,
// train/eval mode, device moves, and state as (name, tensor) pairs for safetensors.
//
// Names follow PyTorch/torchvision, so weights move between the two by name:
//   conv1.weight, bn1.running_mean, layer1.0.downsample.1.weight
// A subclass keeps its tensors and children as members and registers them once in its
// constructor; the base stores pointers to those members, so to(device) and load_state
// replace them in place. Modules are therefore neither copyable nor movable.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace sar {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using NamedShapes = std::vector<std::pair<std::string, Shape>>;

// How a state matched a module, by name: what load_state copied and what it could not.
struct LoadReport {
  struct Mismatch {
    std::string name;
    Shape given, expected;  // the state's shape, the module's shape
  };
  std::vector<std::string> loaded;   // copied, in the module's order
  NamedShapes missing;               // in the module, not in the state (the module's shapes)
  NamedShapes unexpected;            // in the state, not in the module (the state's shapes)
  std::vector<Mismatch> mismatched;  // in both, with different shapes (not copied)

  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // "missing tensor 'a' (shape [2]) and 3 more missing; unexpected tensor ...": the first of each
  // kind by name, and how many more; empty when complete.
  std::string describe() const;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  NamedTensors named_parameters() const;  // trainable, requires_grad
  NamedTensors named_buffers() const;     // state that is not trained (BN running statistics)
  NamedTensors state() const;             // parameters then buffers: what a checkpoint holds
  std::vector<Tensor> parameters() const;

  // Copies values into the registered tensors by name (converting dtype, keeping device).
  // Strict: every name must match in both directions and every shape must agree, else it
  // throws before copying anything, naming the first missing, unexpected and mis-shaped
  // tensor and how many more there are.
  void load_state(const NamedTensors& state);
  // allow_partial: copies every tensor whose name and shape match and reports the rest
  // (a torchvision backbone into a pose model: head.* missing, fc.* unexpected).
  // Without allow_partial it is the strict load above and returns a complete report.
  LoadReport load_state(const NamedTensors& state, bool allow_partial);

  void train(bool on = true);  // this module and all children
  void eval() { train(false); }
  bool training() const { return training_; }

  void to(Device device);  // moves every parameter and buffer (parameters stay leaves)
  void to(DType dtype);    // converts every floating-point parameter and buffer
  void zero_grad();
  int64_t parameter_count() const;

 protected:
  // Registration, called from subclass constructors with pointers to their members.
  void register_parameter(const std::string& name, Tensor* t);  // sets requires_grad
  // host: bookkeeping that no kernel reads (BN's num_batches_tracked) stays on the CPU
  // through to(device), so updating it never waits for the GPU.
  void register_buffer(const std::string& name, Tensor* t, bool host = false);
  void register_module(const std::string& name, Module* child);

 private:
  struct Slot {
    std::string name;
    Tensor* tensor;
    bool host = false;
  };
  std::vector<Slot> parameters_, buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;

  // Visits every parameter (params) or buffer slot: f(full dotted name, const Slot&).
  template <typename F>
  void visit(bool params, const std::string& prefix, F&& f) const;
};

// A module with one tensor in and one out: what Sequential chains (convs, norms, pools).
class Layer : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

// Runs its layers in order; they are named "0", "1", ... as in torch.nn.Sequential, so a
// ResNet downsample branch gives "downsample.0.weight" and "downsample.1.running_mean".
class Sequential : public Layer {
 public:
  Sequential() = default;
  Sequential& add(std::unique_ptr<Layer> layer);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }
  Layer& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace sar
