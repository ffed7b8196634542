// resnet.h: ResNet-18/34/50/101/152 exactly as torchvision builds them (v1.5: the stride of a
// downsampling Bottleneck sits on its 3x3 conv), with torchvision's state_dict names:
//   conv1, bn1, layer1.0.conv1 ... layer4.2.bn3, layerK.0.downsample.0 (1x1 conv) / .1 (BN), fc
// Init as torchvision: convs kaiming normal (fan_out, relu), BN weight 1 and bias 0, fc the
// Linear default. forward() returns the stride-32 feature map C5 (the classifier, when built,
// only serves checkpoints and the parameter count: 25,557,032 for ResNet-50 with it).
//
//   x [N, 3, H, W] -> conv1 7x7/2 -> bn1 -> relu -> maxpool 3x3/2   [N, 64, H/4, W/4]
//   -> layer1 [N, 64e, H/4, W/4] -> layer2 [N, 128e, H/8, W/8] -> layer3 [N, 256e, H/16, W/16]
//   -> layer4 [N, 512e, H/32, W/32]          (e = 1 for BasicBlock, 4 for Bottleneck)
#pragma once

#include "core/rng.h"
#include "layers/batch_norm2d.h"
#include "layers/conv.h"
#include "layers/linear.h"
#include "layers/pooling.h"
#include "models/backbone.h"

namespace sar {

// Two 3x3 convs (ResNet-18/34). Output channels = planes.
class BasicBlock : public Layer {
 public:
  static constexpr int kExpansion = 1;
  BasicBlock(int64_t in_channels, int64_t planes, int stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

  Conv2d conv1, conv2;
  BatchNorm2d bn1, bn2;
  std::unique_ptr<Sequential> downsample;  // 1x1 conv + BN when the shape changes, else null
};

// 1x1 reduce, 3x3 (strided), 1x1 expand (ResNet-50/101/152). Output channels = 4 * planes.
class Bottleneck : public Layer {
 public:
  static constexpr int kExpansion = 4;
  Bottleneck(int64_t in_channels, int64_t planes, int stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

  Conv2d conv1, conv2, conv3;
  BatchNorm2d bn1, bn2, bn3;
  std::unique_ptr<Sequential> downsample;
};

class ResNet : public Backbone {
 public:
  // depth: 18, 34, 50, 101 or 152. with_classifier adds fc (1000 classes), for
  // torchvision's checkpoint names and parameter count only: forward never runs it.
  ResNet(int depth, Generator& gen, bool with_classifier = false);
  Tensor forward(const Tensor& x) override;  // -> C5 [N, out_channels(), H/32, W/32]
  int64_t out_channels() const override { return out_channels_; }
  int stride() const override { return 32; }

  Conv2d conv1;
  BatchNorm2d bn1;
  MaxPool2d maxpool{3, 2, 1};
  Sequential layer1, layer2, layer3, layer4;
  std::unique_ptr<Linear> fc;  // only with_classifier

 private:
  int64_t out_channels_ = 0;
};

}  // namespace sar
