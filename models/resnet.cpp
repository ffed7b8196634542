// resnet.cpp: ResNet's blocks (BasicBlock, Bottleneck), depth table and forward, as torchvision
// builds them.
#include "models/resnet.h"

#include "core/ops/elementwise.h"
#include "layers/init.h"

namespace sar {

namespace {

// downsample = conv1x1(stride) + BN, named "0" and "1" as torchvision's nn.Sequential.
std::unique_ptr<Sequential> make_downsample(int64_t in_channels, int64_t out_channels, int stride, Generator& gen) {
  auto seq = std::make_unique<Sequential>();
  seq->add(std::make_unique<Conv2d>(in_channels, out_channels, 1, stride, 0, false, gen));
  seq->add(std::make_unique<BatchNorm2d>(out_channels));
  return seq;
}

bool needs_downsample(int64_t in_channels, int64_t out_channels, int stride) {
  return stride != 1 || in_channels != out_channels;
}

struct DepthSpec {
  bool bottleneck;
  int blocks[4];
};

DepthSpec depth_spec(int depth) {
  switch (depth) {
    case 18: return {false, {2, 2, 2, 2}};
    case 34: return {false, {3, 4, 6, 3}};
    case 50: return {true, {3, 4, 6, 3}};
    case 101: return {true, {3, 4, 23, 3}};
    case 152: return {true, {3, 8, 36, 3}};
  }
  SAR_THROW("ResNet: depth must be 18, 34, 50, 101 or 152, got ", depth);
}

}  // namespace

BasicBlock::BasicBlock(int64_t in_channels, int64_t planes, int stride, Generator& gen)
    : conv1(in_channels, planes, 3, stride, 1, false, gen), conv2(planes, planes, 3, 1, 1, false, gen),
      bn1(planes), bn2(planes) {
  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  register_module("conv2", &conv2);
  register_module("bn2", &bn2);
  if (needs_downsample(in_channels, planes, stride)) {
    downsample = make_downsample(in_channels, planes, stride, gen);
    register_module("downsample", downsample.get());
  }
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = relu(bn1(conv1(x)));                        // [N, planes, H/s, W/s]
  out = bn2(conv2(out));                                   // [N, planes, H/s, W/s]
  return relu(out + (downsample ? (*downsample)(x) : x));  // the residual add
}

Bottleneck::Bottleneck(int64_t in_channels, int64_t planes, int stride, Generator& gen)
    : conv1(in_channels, planes, 1, 1, 0, false, gen), conv2(planes, planes, 3, stride, 1, false, gen),
      conv3(planes, planes * kExpansion, 1, 1, 0, false, gen), bn1(planes), bn2(planes), bn3(planes * kExpansion) {
  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  register_module("conv2", &conv2);
  register_module("bn2", &bn2);
  register_module("conv3", &conv3);
  register_module("bn3", &bn3);
  if (needs_downsample(in_channels, planes * kExpansion, stride)) {
    downsample = make_downsample(in_channels, planes * kExpansion, stride, gen);
    register_module("downsample", downsample.get());
  }
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = relu(bn1(conv1(x)));                        // [N, planes, H, W]
  out = relu(bn2(conv2(out)));                             // [N, planes, H/s, W/s]
  out = bn3(conv3(out));                                   // [N, 4 planes, H/s, W/s]
  return relu(out + (downsample ? (*downsample)(x) : x));  // the residual add
}

ResNet::ResNet(int depth, Generator& gen, bool with_classifier)
    : conv1(3, 64, 7, 2, 3, false, gen), bn1(64) {
  const DepthSpec spec = depth_spec(depth);
  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  Sequential* layers[4] = {&layer1, &layer2, &layer3, &layer4};
  int64_t in_channels = 64;
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t planes = int64_t(64) << stage;
    for (int b = 0; b < spec.blocks[stage]; ++b) {
      const int stride = (stage > 0 && b == 0) ? 2 : 1;
      if (spec.bottleneck) {
        layers[stage]->add(std::make_unique<Bottleneck>(in_channels, planes, stride, gen));
        in_channels = planes * Bottleneck::kExpansion;
      } else {
        layers[stage]->add(std::make_unique<BasicBlock>(in_channels, planes, stride, gen));
        in_channels = planes * BasicBlock::kExpansion;
      }
    }
    register_module("layer" + std::to_string(stage + 1), layers[stage]);
  }
  out_channels_ = in_channels;
  if (with_classifier) {
    fc = std::make_unique<Linear>(in_channels, 1000, true, gen);
    register_module("fc", fc.get());
  }
  // torchvision: every conv kaiming normal (fan_out, relu); BN already 1 and 0.
  for (auto& [name, p] : named_parameters())
    if (p.ndim() == 4) kaiming_normal_fan_out_(p, gen);
}

Tensor ResNet::forward(const Tensor& x) {
  Tensor h = maxpool(relu(bn1(conv1(x))));  // [N, 64, H/4, W/4]
  h = layer1(h);                            // [N, 64e, H/4, W/4]
  h = layer2(h);                            // [N, 128e, H/8, W/8]
  h = layer3(h);                            // [N, 256e, H/16, W/16]
  return layer4(h);                         // [N, 512e, H/32, W/32]
}

}  // namespace sar
