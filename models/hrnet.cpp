// hrnet.cpp: HRNet's building blocks (transitions, fuse layers, modules, stages) and forward, with
// the official module names.
#include "models/hrnet.h"

#include "core/ops/elementwise.h"
#include "layers/init.h"
#include "layers/pooling.h"
#include "layers/upsample.h"
#include "models/resnet.h"

namespace sar {

namespace {

// Branch widths c, 2c, 4c, ... for `branches` branches of an HRNet-Wc.
std::vector<int64_t> branch_widths(int width, int branches) {
  SAR_CHECK(width == 32 || width == 48, "HRNet: width must be 32 or 48, got ", width);
  std::vector<int64_t> widths;
  for (int b = 0; b < branches; ++b) widths.push_back(int64_t(width) << b);
  return widths;
}

// kernel x kernel conv (no bias, "same" padding) + BN, then ReLU when asked: the unit of
// HRNet's transitions and fusions, named "0" (conv) and "1" (BN) as in the official nn.Sequential.
std::unique_ptr<Sequential> conv_bn(int64_t in_channels, int64_t out_channels, int kernel, int stride, bool with_relu,
                                    Generator& gen) {
  auto seq = std::make_unique<Sequential>();
  seq->add(std::make_unique<Conv2d>(in_channels, out_channels, kernel, stride, kernel / 2, false, gen));
  seq->add(std::make_unique<BatchNorm2d>(out_channels));
  if (with_relu) seq->add(std::make_unique<ReLU>());
  return seq;
}

// transitionS from the previous stage's branches (widths `from`) to this stage's (`to`, one
// branch more): an existing branch changes width with a 3x3 conv (only 256 -> c in
// transition1), or passes through (empty slot); the new branch is a 3x3/2 conv of the last one.
void build_transition(LayerList& transition, const std::vector<int64_t>& from, const std::vector<int64_t>& to,
                      Generator& gen) {
  for (size_t b = 0; b < from.size(); ++b)
    transition.push_back(from[b] == to[b] ? nullptr : conv_bn(from[b], to[b], 3, 1, true, gen));
  // The official model builds the new branch as a list of stride-2 steps, here of one step:
  // hence the extra ".0" in transitionS.b.0.0.weight.
  auto grow = std::make_unique<Sequential>();
  grow->add(conv_bn(from.back(), to.back(), 3, 2, true, gen));
  transition.push_back(std::move(grow));
}

// Runs a transition: a slot's layer takes the lowest-resolution branch (the official forward
// feeds every transition layer y_list[-1]; in transition1 that is the only input).
std::vector<Tensor> run_transition(const LayerList& transition, const std::vector<Tensor>& ys) {
  std::vector<Tensor> xs;
  for (size_t b = 0; b < transition.size(); ++b) xs.push_back(transition[b] ? (*transition[b])(ys.back()) : ys[b]);
  return xs;
}

}  // namespace

void LayerList::push_back(std::unique_ptr<Layer> layer) {
  if (layer) register_module(std::to_string(layers_.size()), layer.get());
  layers_.push_back(std::move(layer));
}

FuseLayers::FuseLayers(const std::vector<int64_t>& channels, size_t outputs, Generator& gen) {
  for (size_t i = 0; i < outputs; ++i) {
    auto row = std::make_unique<LayerList>();
    for (size_t j = 0; j < channels.size(); ++j) {
      if (j > i) {  // lower resolution: 1x1 conv to branch i's width, BN, nearest x2^(j-i)
        auto up = conv_bn(channels[j], channels[i], 1, 1, false, gen);
        up->add(Upsample::nearest(1 << (j - i)));
        row->push_back(std::move(up));
      } else if (j == i) {
        row->push_back(nullptr);
      } else {  // higher resolution: i-j stride-2 3x3 convs; only the last changes the width
        auto down = std::make_unique<Sequential>();
        for (size_t k = 0; k + 1 < i - j; ++k) down->add(conv_bn(channels[j], channels[j], 3, 2, true, gen));
        down->add(conv_bn(channels[j], channels[i], 3, 2, false, gen));
        row->push_back(std::move(down));
      }
    }
    register_module(std::to_string(i), row.get());
    rows_.push_back(std::move(row));
  }
}

// The fusion (the paper's exchange unit): output i = relu(sum over j of x_j at branch i's
// resolution and width). For three branches, output 0 and output 2:
//
//   x0 [C, H, W] ----------------------------------------------------.
//   x1 [2C, H/2, W/2] -- 1x1 conv, BN -> nearest x2 ------------------(+)-- relu --> y0 [C, H, W]
//   x2 [4C, H/4, W/4] -- 1x1 conv, BN -> nearest x4 -----------------'
//
//   x0 [C, H, W] ------- 3x3/2 conv, BN, relu -> 3x3/2 conv to 4C, BN -.
//   x1 [2C, H/2, W/2] -- 3x3/2 conv to 4C, BN -------------------------(+)-- relu --> y2 [4C, H/4, W/4]
//   x2 [4C, H/4, W/4] -------------------------------------------------'
//
// The sum runs over j in order, as the official forward adds its terms.
std::vector<Tensor> FuseLayers::forward(const std::vector<Tensor>& xs) {
  std::vector<Tensor> ys;
  for (const auto& row : rows_) {
    Tensor y;
    for (size_t j = 0; j < xs.size(); ++j) {
      Layer* layer = (*row)[j];
      Tensor term = layer ? (*layer)(xs[j]) : xs[j];  // [N, C_i, H_i, W_i]
      y = y.defined() ? y + term : term;
    }
    ys.push_back(relu(y));
  }
  return ys;
}

HighResolutionModule::HighResolutionModule(const std::vector<int64_t>& channels, bool multi_scale_output,
                                           Generator& gen)
    : fuse_layers(channels, multi_scale_output ? channels.size() : 1, gen) {
  for (int64_t width : channels) {
    auto branch = std::make_unique<Sequential>();
    for (int k = 0; k < 4; ++k) branch->add(std::make_unique<BasicBlock>(width, width, 1, gen));
    branches.push_back(std::move(branch));
  }
  register_module("branches", &branches);
  register_module("fuse_layers", &fuse_layers);
}

std::vector<Tensor> HighResolutionModule::forward(std::vector<Tensor> xs) {
  for (size_t b = 0; b < xs.size(); ++b) xs[b] = (*branches[b])(xs[b]);  // [N, C_b, H_b, W_b], kept
  return fuse_layers.forward(xs);
}

HighResolutionStage::HighResolutionStage(const std::vector<int64_t>& channels, int modules, bool multi_scale_output,
                                         Generator& gen) {
  for (int m = 0; m < modules; ++m) {
    const bool last = m == modules - 1;
    modules_.push_back(std::make_unique<HighResolutionModule>(channels, multi_scale_output || !last, gen));
    register_module(std::to_string(m), modules_.back().get());
  }
}

std::vector<Tensor> HighResolutionStage::forward(std::vector<Tensor> xs) {
  for (auto& module : modules_) xs = module->forward(std::move(xs));
  return xs;
}

HRNet::HRNet(int width, Generator& gen)
    : conv1(3, 64, 3, 2, 1, false, gen), conv2(64, 64, 3, 2, 1, false, gen), bn1(64), bn2(64),
      stage2(branch_widths(width, 2), 1, true, gen), stage3(branch_widths(width, 3), 4, true, gen),
      stage4(branch_widths(width, 4), 3, false, gen), out_channels_(width) {
  // layer1: ResNet's stage 1 of Bottlenecks (planes 64); the first one widens 64 -> 256.
  layer1.add(std::make_unique<Bottleneck>(64, 64, 1, gen));
  for (int k = 1; k < 4; ++k) layer1.add(std::make_unique<Bottleneck>(256, 64, 1, gen));
  build_transition(transition1, {256}, branch_widths(width, 2), gen);
  build_transition(transition2, branch_widths(width, 2), branch_widths(width, 3), gen);
  build_transition(transition3, branch_widths(width, 3), branch_widths(width, 4), gen);

  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  register_module("conv2", &conv2);
  register_module("bn2", &bn2);
  register_module("layer1", &layer1);
  register_module("transition1", &transition1);
  register_module("stage2", &stage2);
  register_module("transition2", &transition2);
  register_module("stage3", &stage3);
  register_module("transition3", &transition3);
  register_module("stage4", &stage4);
  // Official init_weights: every conv N(0, 0.001) (no conv here has a bias); BN is already 1 and 0.
  for (auto& [name, p] : named_parameters())
    if (p.ndim() == 4) normal_(p, 0.0, 0.001, gen);
}

Tensor HRNet::forward(const Tensor& x) {
  // Each stride-2 conv rounds up, so the stride-4 map is ceil(H/4) x ceil(W/4); the branches
  // at strides 8, 16, 32 upsample back onto it only when it divides by 8.
  SAR_CHECK(x.ndim() == 4 && (x.size(2) + 3) / 4 % 8 == 0 && (x.size(3) + 3) / 4 % 8 == 0,
            "HRNet: input must be [N, 3, H, W] with ceil(H/4) and ceil(W/4) multiples of 8 (e.g. H and W "
            "multiples of 32, such as 256x192), got ",
            x.shape());
  Tensor h = relu(bn1(conv1(x)));                             // [N, 64, H/2, W/2]
  h = relu(bn2(conv2(h)));                                    // [N, 64, H/4, W/4]
  h = layer1(h);                                              // [N, 256, H/4, W/4]
  std::vector<Tensor> ys = run_transition(transition1, {h});  // [N, c, H/4, W/4], [N, 2c, H/8, W/8]
  ys = stage2.forward(ys);                                    // the same shapes
  ys = stage3.forward(run_transition(transition2, ys));       // + [N, 4c, H/16, W/16]
  ys = stage4.forward(run_transition(transition3, ys));       // + [N, 8c, H/32, W/32], fused into branch 0
  return ys[0];                                               // [N, c, H/4, W/4]
}

}  // namespace sar
