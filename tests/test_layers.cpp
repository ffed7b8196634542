// The layer modules together: torchvision names, BN bookkeeping, and a float64 gradient
// check of a whole tiny network (conv -> BN -> relu -> maxpool -> deconv -> upsample -> pool -> linear).
#include "core/ops/reduce.h"
#include "core/ops/shape_ops.h"
#include "core/tape.h"
#include "layers/batch_norm2d.h"
#include "layers/conv.h"
#include "layers/linear.h"
#include "layers/pooling.h"
#include "layers/upsample.h"
#include "core/gradcheck.h"
#include "tests/parity.h"
#include "tests/test_util.h"

using namespace sar;

namespace {

// Names as a torchvision-style stem: conv1, bn1; then a deconv head and a classifier.
struct TinyNet : Module {
  Conv2d conv1;
  BatchNorm2d bn1;
  ReLU relu;
  MaxPool2d pool{3, 2, 1};
  ConvTranspose2d deconv;
  std::unique_ptr<Upsample> up = Upsample::nearest(2);
  AdaptiveAvgPool2d1x1 gap;
  Linear fc;

  explicit TinyNet(Generator& gen)
      : conv1(2, 3, 3, 1, 1, false, gen), bn1(3), deconv(3, 4, 4, 2, 1, 0, true, gen), fc(4, 2, true, gen) {
    register_module("conv1", &conv1);
    register_module("bn1", &bn1);
    register_module("deconv", &deconv);
    register_module("fc", &fc);
  }

  Tensor forward(const Tensor& x) {
    Tensor h = pool(relu(bn1(conv1(x))));  // [N, 3, H/2, W/2]
    h = (*up)(deconv(h));                  // [N, 4, 2H, 2W]
    return fc(reshape(gap(h), {h.size(0), h.size(1)}));  // [N, 2]
  }
};

}  // namespace

TEST_CASE("layers: torchvision parameter and buffer names") {
  Generator gen(1);
  TinyNet net(gen);
  std::vector<std::string> names;
  for (auto& [n, t] : net.state()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "deconv.weight", "deconv.bias",
                                          "fc.weight", "fc.bias", "bn1.running_mean", "bn1.running_var",
                                          "bn1.num_batches_tracked"});
  CHECK(net.deconv.weight.shape() == Shape{3, 4, 4, 4});  // [Cin, Cout, k, k] as PyTorch
}

TEST_CASE("layers: BatchNorm2d counts training batches and freezes statistics in eval") {
  BatchNorm2d bn(2);
  Generator gen(2);
  Tensor x = randn({4, 2, 3, 3}, gen, DType::F32, Device::CPU, 5.0, 2.0);
  bn(x);
  bn(x);
  CHECK(bn.num_batches_tracked.item() == 2.0);
  CHECK(bn.running_mean.to_vector()[0] > 0.5);  // moved toward the batch mean (about 5)
  std::vector<double> frozen = bn.running_mean.to_vector();
  bn.eval();
  bn(x);
  CHECK(bn.num_batches_tracked.item() == 2.0);
  CHECK(bn.running_mean.to_vector() == frozen);
}

TEST_CASE("layers: gradcheck of a whole tiny network in training mode (float64, cpu)") {
  Generator gen(3);
  TinyNet net(gen);
  net.to(DType::F64);
  Tensor x = test::uniform({2, 2, 6, 5}, -1, 1, 4).set_requires_grad();
  std::vector<Tensor> inputs = {x};
  for (const Tensor& p : net.parameters()) inputs.push_back(p);
  test::GradcheckOptions opt;
  opt.rtol = 1e-5;
  // every forward updates BN's running statistics; they do not enter the training-mode output
  test::gradcheck("tiny net", [&](const std::vector<Tensor>& in) { return net.forward(in[0]); }, inputs, opt);
}

CUDA_TEST_CASE("layers: a tiny network on CUDA matches the CPU, eval mode (float32, cuda)") {
  Generator g1(5), g2(5);
  TinyNet cpu(g1), gpu(g2);
  cpu.eval();
  gpu.eval();
  gpu.to(Device::CUDA);
  Tensor x = test::uniform({3, 2, 9, 7}, -1, 1, 6, DType::F32);
  test::check_close("tiny net eval", cpu.forward(x), gpu.forward(x.to(Device::CUDA)), 1e-4, 1e-4);
}
