// Every layer op against PyTorch: fixtures written by tools/make_layer_fixtures.py hold
// inputs, weights, outputs and the gradients of sum(r * output), in float64. Our CPU ops
// must match them to 1e-10; our CUDA ops (float32) to ~1e-4 relative.
#include <map>
#include <nlohmann/json.hpp>

#include "core/ops/batch_norm.h"
#include "core/ops/conv.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/pooling.h"
#include "core/ops/reduce.h"
#include "core/ops/upsample.h"
#include "core/safetensors.h"
#include "core/tape.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;
using json = nlohmann::json;

namespace {

// The tensors of one case by short name ("x", "weight", "grad_x", "out", "r"), and its settings.
struct Case {
  std::string name;
  json settings;
  std::map<std::string, Tensor> t;
  bool has(const std::string& k) const { return t.count(k) > 0; }
};

std::vector<Case> load_cases(const std::string& layer) {
  std::string path = "tests/data/layers/" + layer + ".safetensors";
  std::map<std::string, std::string> metadata;
  auto tensors = load_safetensors(path, &metadata);
  std::vector<Case> cases;
  for (const auto& [name, settings] : metadata) {
    Case c{name, json::parse(settings), {}};
    for (const auto& [full, tensor] : tensors)
      if (full.rfind(name + ".", 0) == 0) c.t[full.substr(name.size() + 1)] = tensor;
    cases.push_back(c);
  }
  REQUIRE_MESSAGE(!cases.empty(), path, ": no cases");
  return cases;
}

// The op under test: gets the case (for settings and non-differentiable tensors) and the
// differentiable inputs by name, already on the device and dtype being tested.
using LayerFn = std::function<Tensor(const Case&, std::map<std::string, Tensor>&)>;

// Runs one case on `device` in `dtype`: inputs are the tensors that have a "grad_" twin.
void check_case(const std::string& layer, const Case& c, const LayerFn& fn, Device device, DType dtype, double atol,
                double rtol) {
  const std::string where = layer + " " + c.name + " (" + device_name(device) + ")";
  std::map<std::string, Tensor> inputs;
  for (const auto& [k, v] : c.t)
    if (c.has("grad_" + k)) inputs[k] = v.to(dtype).to(device).set_requires_grad();
  Tensor out = fn(c, inputs);
  test::check_close(where + ": output", c.t.at("out"), out, atol, rtol);
  backward(sum(mul(out, c.t.at("r").to(dtype).to(device))));
  for (const auto& [k, v] : inputs) {
    REQUIRE_MESSAGE(v.grad().defined(), where, ": no gradient for ", k);
    test::check_close(where + ": grad_" + k, c.t.at("grad_" + k), v.grad(), atol, rtol);
  }
}

void check_layer_cpu(const std::string& layer, const LayerFn& fn) {
  for (const Case& c : load_cases(layer)) check_case(layer, c, fn, Device::CPU, DType::F64, 1e-10, 1e-10);
}

void check_layer_cuda(const std::string& layer, const LayerFn& fn) {
  for (const Case& c : load_cases(layer)) check_case(layer, c, fn, Device::CUDA, DType::F32, 1e-4, 1e-4);
}

Tensor optional(std::map<std::string, Tensor>& in, const std::string& k) { return in.count(k) ? in[k] : Tensor(); }

// ---- the ops, called as each fixture's settings say ----

Tensor run_conv2d(const Case& c, std::map<std::string, Tensor>& in) {
  Conv2dOptions o;
  o.stride_h = o.stride_w = c.settings["stride"];
  o.pad_h = o.pad_w = c.settings["padding"];
  o.dilation_h = o.dilation_w = c.settings["dilation"];
  return conv2d(in["x"], in["weight"], optional(in, "bias"), o);
}

Tensor run_conv_transpose2d(const Case& c, std::map<std::string, Tensor>& in) {
  ConvTranspose2dOptions o;
  o.stride_h = o.stride_w = c.settings["stride"];
  o.pad_h = o.pad_w = c.settings["padding"];
  o.output_pad_h = o.output_pad_w = c.settings["output_padding"];
  o.dilation_h = o.dilation_w = c.settings["dilation"];
  return conv_transpose2d(in["x"], in["weight"], optional(in, "bias"), o);
}

// Also checks the running statistics after the update (PyTorch's unbiased variance).
Tensor run_batch_norm2d(const Case& c, std::map<std::string, Tensor>& in) {
  const Tensor& x = in["x"];
  Tensor mean = c.t.at("running_mean").to(x.dtype()).to(x.device());
  Tensor var = c.t.at("running_var").to(x.dtype()).to(x.device());
  Tensor out = batch_norm2d(x, in["weight"], in["bias"], mean, var, c.settings["training"].get<bool>(),
                            c.settings["momentum"].get<double>(), c.settings["eps"].get<double>());
  double tol = x.dtype() == DType::F64 ? 1e-12 : 1e-5;
  test::check_close(c.name + ": running_mean", c.t.at("running_mean_after"), mean, tol, tol);
  test::check_close(c.name + ": running_var", c.t.at("running_var_after"), var, tol, tol);
  return out;
}

Tensor run_max_pool2d(const Case& c, std::map<std::string, Tensor>& in) {
  return max_pool2d(in["x"], c.settings["kernel"], c.settings["stride"], c.settings["padding"]);
}

Tensor run_adaptive_avg_pool2d(const Case&, std::map<std::string, Tensor>& in) {
  return adaptive_avg_pool2d_1x1(in["x"]);
}

Tensor run_upsample_nearest2d(const Case& c, std::map<std::string, Tensor>& in) {
  return upsample_nearest2d(in["x"], c.settings["scale"]);
}

Tensor run_upsample_bilinear2d(const Case& c, std::map<std::string, Tensor>& in) {
  return upsample_bilinear2d(in["x"], c.settings["out_h"], c.settings["out_w"], c.settings["align_corners"]);
}

Tensor run_linear(const Case&, std::map<std::string, Tensor>& in) {
  return matmul(in["x"], in["weight"], false, true) + in["bias"];
}

const std::vector<std::pair<std::string, LayerFn>> kLayers = {
    {"conv2d", run_conv2d},
    {"conv_transpose2d", run_conv_transpose2d},
    {"batch_norm2d", run_batch_norm2d},
    {"max_pool2d", run_max_pool2d},
    {"adaptive_avg_pool2d", run_adaptive_avg_pool2d},
    {"upsample_nearest2d", run_upsample_nearest2d},
    {"upsample_bilinear2d", run_upsample_bilinear2d},
    {"linear", run_linear},
};

}  // namespace

TEST_CASE("layers: every op matches the PyTorch fixtures to 1e-10 (float64, cpu)") {
  for (const auto& [layer, fn] : kLayers) {
    INFO("layer ", layer);
    check_layer_cpu(layer, fn);
  }
}

CUDA_TEST_CASE("layers: every op matches the PyTorch fixtures to 1e-4 (float32, cuda)") {
  for (const auto& [layer, fn] : kLayers) {
    INFO("layer ", layer);
    check_layer_cuda(layer, fn);
  }
}
