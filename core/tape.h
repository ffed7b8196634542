// tape.h: reverse-mode automatic differentiation as a Wengert list.
//
// Every op whose inputs require grad appends one Node {inputs, outputs, backward} to the
// thread's tape. Tape::backward(loss) walks the nodes in reverse: each node receives the
// gradients of its outputs and returns one gradient per input, which are summed into the
// inputs' gradients (so a tensor used twice, or a diamond graph, gets the sum of its
// paths). Leaves (parameters, gradcheck inputs) keep the sum in .grad(); intermediate
// gradients live only until their producer's node has run, and a node drops its saved
// activations as soon as it has run. backward() empties the tape; one step, one tape.
//
// Memory: a node keeps of its inputs and outputs only what routing needs (TensorRef: an id,
// shape, dtype, device), never their data; the data an op's backward needs is what its closure
// captured. So an activation lives exactly as long as some backward needs it: ReLU's output but
// not its input, nothing of a residual add, and so on.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace sar {

using TensorList = std::vector<Tensor>;

// Receives d(loss)/d(output) for every output (zeros for an output the loss does not
// reach) and returns d(loss)/d(input) per input: an undefined Tensor where an input needs
// no gradient. The closure captures what it saved from the forward pass.
using BackwardFn = std::function<TensorList(const TensorList& douts)>;

// A tensor as a node remembers it: enough to route its gradient, not its data.
struct TensorRef {
  uint64_t id = 0;      // TensorImpl::id, the gradient's key
  Shape shape;
  DType dtype = DType::F32;
  Device device = Device::CPU;
  bool needs_grad = false;  // an input that requires grad (at record time)
  Tensor leaf;              // the tensor itself, for a leaf that requires grad: its .grad() is set
  explicit TensorRef(const Tensor& t);
};

struct Node {
  std::string name;   // the op: "matmul", "conv2d", ...
  std::vector<TensorRef> inputs;   // undefined inputs have id 0
  std::vector<TensorRef> outputs;
  BackwardFn backward;
  uint64_t profile_id = 0;  // the OpProfile that timed its forward (core/op_profile.h), 0 if none,
  size_t profile_row = 0;   // and its row there, where the backward time goes too
};

class Tape {
 public:
  // Appends a node when grad mode is on and some input requires grad; then marks the
  // outputs as requiring grad. Otherwise does nothing (and the closure is dropped).
  void record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn backward);

  // Seeds d(loss)/d(loss) = 1 (loss must have one element, or give `seed` of its shape),
  // runs every node in reverse, accumulates into the leaves' .grad(), and empties the tape.
  void backward(const Tensor& loss, const Tensor& seed = Tensor());

  void clear() { nodes_.clear(); }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<Node> nodes_;
};

Tape& tape();  // this thread's tape

// Convenience: tape().backward(loss).
inline void backward(const Tensor& loss) { tape().backward(loss); }

bool grad_enabled();

// Turns recording off for its scope (evaluation, optimizer updates, gradient checks).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

}  // namespace sar
