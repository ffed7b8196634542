// ResNet as torchvision builds it: parameter counts, state_dict names, output shapes.
#include "core/flop_counter.h"
#include "core/tape.h"
#include "models/resnet.h"
#include "tests/test_util.h"

using namespace sar;

TEST_CASE("resnet: parameter counts equal torchvision's (with the classifier)") {
  // torchvision.models.resnetN(): sum(p.numel() for p in model.parameters())
  const std::pair<int, int64_t> expected[] = {{18, 11689512}, {34, 21797672}, {50, 25557032}};
  for (auto [depth, count] : expected) {
    Generator gen(1);
    ResNet net(depth, gen, /*with_classifier=*/true);
    CHECK_MESSAGE(net.parameter_count() == count, "resnet", depth);
  }
}

TEST_CASE("resnet: torchvision state_dict names") {
  Generator gen(1);
  ResNet net(50, gen);
  std::vector<std::string> names;
  for (auto& [n, t] : net.state()) names.push_back(n);
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  CHECK(has("conv1.weight"));
  CHECK(has("bn1.running_var"));
  CHECK(has("layer1.0.downsample.0.weight"));
  CHECK(has("layer1.0.downsample.1.num_batches_tracked"));
  CHECK(has("layer3.5.conv3.weight"));
  CHECK(has("layer4.2.bn3.bias"));
  CHECK_FALSE(has("layer1.1.downsample.0.weight"));
  CHECK_FALSE(has("fc.weight"));
  // 53 convs + 53 BNs: 53 + 2 * 53 parameters, 3 * 53 buffers
  CHECK(net.named_parameters().size() == 159);
  CHECK(net.named_buffers().size() == 159);
  // [conv1.weight, bn1.weight, bn1.bias, conv2.weight, ...]
  CHECK(net.layer2[0].named_parameters()[3].second.shape() == Shape{128, 128, 3, 3});  // stride on the 3x3
}

TEST_CASE("resnet: C5 is stride 32 (float32, cpu)") {
  for (int depth : {18, 50}) {
    Generator gen(2);
    ResNet net(depth, gen);
    net.eval();
    Tensor y = net.forward(Tensor::ones({1, 3, 64, 48}));
    CHECK(y.shape() == Shape{1, net.out_channels(), 2, 2});
    CHECK(net.out_channels() == (depth == 18 ? 512 : 2048));
  }
  Generator gen(3);
  CHECK_THROWS_WITH_AS(ResNet(20, gen), doctest::Contains("ResNet: depth must be 18, 34, 50, 101 or 152, got 20"),
                       Error);
}

TEST_CASE("flop counter: ResNet-50 at 224x224 is 4.1 G multiply-adds, as torchvision lists") {
  Generator gen(4);
  ResNet net(50, gen, /*with_classifier=*/false);
  net.eval();
  NoGrad no_grad;
  FlopCount count;
  net.forward(Tensor::zeros({1, 3, 224, 224}));
  // convolutions only (torchvision's 4.09 GFLOPS also counts the 2048x1000 classifier: +0.002 G)
  CHECK(count.macs().at("conv2d") == doctest::Approx(4.087e9).epsilon(0.002));
  CHECK(count.total() == count.macs().at("conv2d"));
}
