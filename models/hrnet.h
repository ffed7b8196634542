// hrnet.h: the HRNet-W32 and HRNet-W48 backbones (Sun et al., CVPR 2019) exactly as the
// official pose HRNet builds them (deep-high-resolution-net.pytorch, lib/models/pose_hrnet.py;
// mmpose's HRNet builds the same modules under the same names), so official checkpoints load
// by name. The official final_layer (1x1 conv to the heatmaps) is left out: heads are separate
// modules here. c is the width, 32 or 48; branch b has 2^b c channels at stride 2^(b+2).
//
//   x [N, 3, H, W] -> conv1 3x3/2 -> bn1 -> relu -> conv2 3x3/2 -> bn2 -> relu   [N, 64, H/4, W/4]
//   -> layer1: 4 Bottlenecks                                                     [N, 256, H/4, W/4]
//   -> transition1 -> stage2: 1 module  on branches c, 2c            (strides 4, 8)
//   -> transition2 -> stage3: 4 modules on branches c, 2c, 4c        (strides 4, 8, 16)
//   -> transition3 -> stage4: 3 modules on branches c, 2c, 4c, 8c    (strides 4, 8, 16, 32);
//      its last module fuses into branch 0 only                                  [N, c, H/4, W/4]
//
// State names, as in the official state_dict:
//   conv1, bn1, conv2, bn2, layer1.0.conv1 ... layer1.0.downsample.0 / .1, layer1.3.bn3
//   transition1.0.0 (3x3 conv 256 -> c), transition1.1.0.0, transition2.2.0.0, transition3.3.0.0
//     (the 3x3/2 conv that starts a new branch; .1 is its BN)
//   stageS.m.branches.b.k.conv1 ... bn2                BasicBlock k of branch b in module m
//   stageS.m.fuse_layers.i.j.0 / .1                    j > i: 1x1 conv, BN (then upsampling)
//   stageS.m.fuse_layers.i.j.k.0 / .1                  j < i: step k of the stride-2 3x3 convs
// (mmpose's checkpoints carry the same names under the prefix "backbone.".)
// Init as the official init_weights and mmpose's HRNet.init_weights: every conv N(0, 0.001),
// BN weight 1 and bias 0 (the official recipe then loads ImageNet weights into every layer
// but final_layer). Parameters: 28,535,552 (W32) and 63,594,912 (W48); with final_layer
// (17 joints) 28.5M and 63.6M, as the official model zoo lists them.
#pragma once

#include <memory>
#include <vector>

#include "core/rng.h"
#include "layers/batch_norm2d.h"
#include "layers/conv.h"
#include "layers/module.h"
#include "models/backbone.h"

namespace sar {

// torch.nn.ModuleList of layers: children named "0", "1", ... that the owner runs side by
// side, not as a chain. An empty slot takes its index but no name, as a None entry does in a
// PyTorch state_dict (HRNet's identity transitions and fuse_layers.i.i).
class LayerList : public Module {
 public:
  void push_back(std::unique_ptr<Layer> layer);  // nullptr: an empty slot
  Layer* operator[](size_t i) const { return layers_.at(i).get(); }  // nullptr for an empty slot
  size_t size() const { return layers_.size(); }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

// The exchange between branches at the end of a HighResolutionModule: output i sums every
// input j brought to branch i's resolution and width (row i holds those layers, empty at j == i).
class FuseLayers : public Module {
 public:
  // channels[b]: width of input branch b; outputs: how many branches come out (1 or all).
  FuseLayers(const std::vector<int64_t>& channels, size_t outputs, Generator& gen);
  std::vector<Tensor> forward(const std::vector<Tensor>& xs);  // xs[b] [N, channels[b], H_b, W_b]

 private:
  std::vector<std::unique_ptr<LayerList>> rows_;  // rows_[i][j]: x_j -> branch i
};

// One HighResolutionModule: 4 BasicBlocks on every branch, then the fusion.
class HighResolutionModule : public Module {
 public:
  // multi_scale_output false: only branch 0 comes out (the last module of the pose HRNet).
  HighResolutionModule(const std::vector<int64_t>& channels, bool multi_scale_output, Generator& gen);
  std::vector<Tensor> forward(std::vector<Tensor> xs);

  LayerList branches;  // branch b: Sequential of 4 BasicBlocks of width channels[b]
  FuseLayers fuse_layers;
};

// stageS: HighResolutionModules run in a chain (PyTorch's nn.Sequential of them).
class HighResolutionStage : public Module {
 public:
  HighResolutionStage(const std::vector<int64_t>& channels, int modules, bool multi_scale_output, Generator& gen);
  std::vector<Tensor> forward(std::vector<Tensor> xs);

 private:
  std::vector<std::unique_ptr<HighResolutionModule>> modules_;
};

class HRNet : public Backbone {
 public:
  // width: 32 (HRNet-W32) or 48 (HRNet-W48).
  HRNet(int width, Generator& gen);
  // x [N, 3, H, W] -> [N, out_channels(), H/4, W/4]. H and W must be multiples of 32 (exactly:
  // ceil(H/4) and ceil(W/4) multiples of 8), or the branches would not upsample back onto
  // each other; 64x48 is refused, as PyTorch's model fails on it.
  Tensor forward(const Tensor& x) override;
  int64_t out_channels() const override { return out_channels_; }
  int stride() const override { return 4; }

  Conv2d conv1, conv2;
  BatchNorm2d bn1, bn2;
  Sequential layer1;
  LayerList transition1, transition2, transition3;  // slot b feeds branch b (empty: identity)
  HighResolutionStage stage2, stage3, stage4;

 private:
  int64_t out_channels_;
};

}  // namespace sar
