// gradcheck_catalog.cpp: see gradcheck_catalog.h. Shapes are tiny and odd-sized (a swapped
// H and W or a wrong stride shows), and values sit where each op is smooth: log and pow get
// positive inputs, div a denominator away from zero.
#include "train/gradcheck_catalog.h"

#include <memory>

#include "core/ops/batch_norm.h"
#include "core/ops/conv.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/pooling.h"
#include "core/ops/reduce.h"
#include "core/ops/sar_loss.h"
#include "core/ops/sar_selector_norm.h"
#include "core/ops/shape_ops.h"
#include "core/ops/softmax.h"
#include "core/ops/upsample.h"
#include "layers/batch_norm2d.h"
#include "layers/conv.h"
#include "layers/heads/fg_fc_head.h"
#include "layers/heads/global_regression_head.h"
#include "layers/heads/heatmap_codec.h"
#include "layers/heads/heatmap_head.h"
#include "layers/heads/heatmap_offset_head.h"
#include "layers/heads/qfl_loss.h"
#include "layers/heads/sar_head.h"
#include "layers/linear.h"
#include "layers/pooling.h"
#include "layers/upsample.h"

namespace sar {

namespace {

using Inputs = std::vector<Tensor>;

// Random values in [lo, hi): a checked input (leaf) or data the check does not differentiate.
Tensor leaf(const Shape& shape, Generator& gen, double lo = -1.0, double hi = 1.0) {
  Tensor t = rand(shape, gen, DType::F64, Device::CPU, lo, hi);
  t.set_requires_grad();
  return t;
}
Tensor data(const Shape& shape, Generator& gen, double lo, double hi) {
  return rand(shape, gen, DType::F64, Device::CPU, lo, hi);
}

// An op of one input in [lo, hi) of shape [2, 3, 4].
GradcheckCase unary(const std::string& name, const std::string& description, Tensor (*op)(const Tensor&),
                    double lo = -1.0, double hi = 1.0) {
  return {name, description + ", x [2, 3, 4]", [op, lo, hi](Generator& gen) {
            return OpCheck{[op](const Inputs& in) { return op(in[0]); }, {leaf({2, 3, 4}, gen, lo, hi)}};
          }};
}

// A binary op with broadcasting on the second operand: a [2, 3, 4], b [3, 1] in [0.5, 2).
GradcheckCase binary(const std::string& name, const std::string& description,
                     Tensor (*op)(const Tensor&, const Tensor&)) {
  return {name, description + ", a [2, 3, 4] with b [3, 1] broadcast", [op](Generator& gen) {
            Tensor a = leaf({2, 3, 4}, gen), b = leaf({3, 1}, gen, 0.5, 2.0);
            return OpCheck{[op](const Inputs& in) { return op(in[0], in[1]); }, {a, b}};
          }};
}

// A module's check: its input x and every parameter, f = call(module, x). The module is
// converted to float64 first and kept alive by f.
template <typename M>
OpCheck module_check(std::shared_ptr<M> m, const Tensor& x, std::function<Tensor(M&, const Tensor&)> call) {
  m->to(DType::F64);
  Inputs inputs{x};
  std::vector<std::string> names{"x"};
  for (const auto& [name, p] : m->named_parameters()) {
    inputs.push_back(p);
    names.push_back(name);
  }
  return {[m, call](const Inputs& in) { return call(*m, in[0]); }, inputs, names};
}

template <typename M>
OpCheck layer_check(std::shared_ptr<M> m, const Tensor& x) {
  return module_check<M>(m, x, [](M& layer, const Tensor& in) { return layer.forward(in); });
}

// Heads read features [2, 4, 6, 5] of a 24 x 20 crop (stride 4), J = 3.
constexpr int64_t kHeadChannels = 4, kMapH = 6, kMapW = 5;
HeadConfig head_config() {
  HeadConfig c;
  c.num_keypoints = 3;
  c.input_h = 24;
  c.input_w = 20;
  return c;
}

// The head's parameters are redrawn in [-0.5, 0.5]: at its initial weights (N(0, 0.001) convs,
// the selector's bias -4.6) some gradients are so small (~1e-6) that a wrong one would pass.
template <typename M>
OpCheck head_check(std::shared_ptr<M> head, Generator& gen) {
  head->to(DType::F64);
  for (Tensor& p : head->parameters()) p.copy_(data(p.shape(), gen, -0.5, 0.5));
  Tensor features = leaf({2, kHeadChannels, kMapH, kMapW}, gen);
  KeypointTargets t = random_keypoint_targets(2, head->config(), kMapH, kMapW, head->needs_heatmaps(), gen);
  return module_check<M>(head, features, [t](M& h, const Tensor& f) { return h.loss(f, t); });
}

// A loss on a [2, 3, 5, 4] map against Gaussian targets, with a dropped keypoint.
GradcheckCase map_loss(const std::string& name, const std::string& description,
                       std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)> loss) {
  return {name, description + ", logits [2, 3, 5, 4]", [loss](Generator& gen) {
            HeadConfig c = head_config();
            KeypointTargets t = random_keypoint_targets(2, c, 5, 4, true, gen);
            return OpCheck{[loss, t](const Inputs& in) { return loss(in[0], t.heatmaps, t.weight); },
                           {leaf({2, 3, 5, 4}, gen, -3.0, 3.0)}};
          }};
}

std::vector<GradcheckCase> make_catalog() {
  std::vector<GradcheckCase> cases = {
      // ---- elementwise (core/ops/elementwise.h) ----
      binary("add", "a + b", add),
      binary("sub", "a - b", sub),
      binary("mul", "a * b", mul),
      binary("div", "a / b", div),
      {"rsub", "3 - ((x * 2 + 1) - 0.5) / 4: s - x and the scalar forms of + - * /, x [2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return 3.0 - ((in[0] * 2.0 + 1.0) - 0.5) / 4.0; }, {leaf({2, 3, 4}, gen)}};
       }},
      unary("neg", "-x", neg),
      unary("exp", "exp(x)", exp),
      unary("log", "log(x) on x in [0.5, 2)", log, 0.5, 2.0),
      unary("sigmoid", "sigmoid(x) on x in [-4, 4)", sigmoid, -4.0, 4.0),
      unary("softplus", "log(1 + e^x) on x in [-4, 4)", softplus, -4.0, 4.0),
      unary("relu", "max(x, 0)", relu),
      unary("abs", "|x|", abs),
      {"pow", "x^2.5 on x in [0.5, 2), x [2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return pow(in[0], 2.5); }, {leaf({2, 3, 4}, gen, 0.5, 2.0)}};
       }},
      {"clamp_min", "max(x, 0.1), x [2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return clamp_min(in[0], 0.1); }, {leaf({2, 3, 4}, gen)}};
       }},
      {"greater", "(x > 0.1) * x: the mask passes no gradient, x [2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return greater(in[0], 0.1) * in[0]; }, {leaf({2, 3, 4}, gen)}};
       }},
      // ---- matmul, conv, batch norm, pooling (core/ops/) ----
      {"matmul", "a @ b, a [3, 4], b [4, 5]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return matmul(in[0], in[1]); }, {leaf({3, 4}, gen), leaf({4, 5}, gen)}};
       }},
      {"matmul:transposed", "a^T @ b^T, a [4, 3], b [5, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return matmul(in[0], in[1], true, true); },
                        {leaf({4, 3}, gen), leaf({5, 4}, gen)}};
       }},
      {"conv2d", "3x3 conv, stride 2, padding 1, bias; x [2, 3, 7, 6], weight [4, 3, 3, 3]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return conv2d(in[0], in[1], in[2], Conv2dOptions(2, 1)); },
                        {leaf({2, 3, 7, 6}, gen), leaf({4, 3, 3, 3}, gen), leaf({4}, gen)}};
       }},
      {"conv2d:winograd", "3x3 conv, stride 1, padding 1, bias, 128 2x2 output tiles (on the CPU, Winograd's "
                          "F(2x2, 3x3) from 128 tiles up); x [2, 2, 16, 15], weight [3, 2, 3, 3]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return conv2d(in[0], in[1], in[2], Conv2dOptions(1, 1)); },
                        {leaf({2, 2, 16, 15}, gen), leaf({3, 2, 3, 3}, gen), leaf({3}, gen)}};
       }},
      {"conv2d:dilated", "3x2 conv, dilation 2, padding 2, no bias; x [1, 2, 7, 6], weight [3, 2, 3, 2]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return conv2d(in[0], in[1], Tensor(), Conv2dOptions(1, 2, 2)); },
                        {leaf({1, 2, 7, 6}, gen), leaf({3, 2, 3, 2}, gen)}};
       }},
      {"conv_transpose2d", "4x4 transposed conv, stride 2, padding 1, output padding 1, bias; x [2, 3, 4, 3]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) {
                          return conv_transpose2d(in[0], in[1], in[2], ConvTranspose2dOptions(2, 1, 1));
                        },
                        {leaf({2, 3, 4, 3}, gen), leaf({3, 2, 4, 4}, gen), leaf({2}, gen)}};
       }},
      {"conv_transpose2d:winograd", "4x4 transposed conv, stride 2, padding 1, bias, 288 2x2 tiles of its input (on "
                                    "the CPU, phases + Winograd's F(2x2, 2x2) from 16 tiles an image and 256 in all); x "
                                    "[2, 2, 24, 24], weight [2, 3, 4, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) {
                          return conv_transpose2d(in[0], in[1], in[2], ConvTranspose2dOptions(2, 1));
                        },
                        {leaf({2, 2, 24, 24}, gen), leaf({2, 3, 4, 4}, gen), leaf({3}, gen)}};
       }},
      {"batch_norm2d", "training (batch statistics), affine; x [3, 2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) {
                          Tensor none;
                          return batch_norm2d(in[0], in[1], in[2], none, none, true);
                        },
                        {leaf({3, 2, 3, 4}, gen), leaf({2}, gen, 0.5, 1.5), leaf({2}, gen)}};
       }},
      {"batch_norm2d:eval", "eval (running statistics), affine; x [3, 2, 3, 4]",
       [](Generator& gen) {
         Tensor mean = data({2}, gen, -0.5, 0.5), var = data({2}, gen, 0.5, 2.0);
         return OpCheck{[mean, var](const Inputs& in) {
                          Tensor m = mean, v = var;
                          return batch_norm2d(in[0], in[1], in[2], m, v, false);
                        },
                        {leaf({3, 2, 3, 4}, gen), leaf({2}, gen, 0.5, 1.5), leaf({2}, gen)}};
       }},
      {"max_pool2d", "3x3 windows, stride 2, padding 1 (ResNet's stem); x [2, 2, 7, 6]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return max_pool2d(in[0], 3, 2, 1); }, {leaf({2, 2, 7, 6}, gen)}};
       }},
      {"adaptive_avg_pool2d_1x1", "the mean of each [H, W] plane; x [2, 3, 4, 5]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return adaptive_avg_pool2d_1x1(in[0]); }, {leaf({2, 3, 4, 5}, gen)}};
       }},
      // ---- reductions (core/ops/reduce.h) ----
      {"sum", "over all elements, x [2, 3, 4]",
       [](Generator& gen) { return OpCheck{[](const Inputs& in) { return sum(in[0]); }, {leaf({2, 3, 4}, gen)}}; }},
      {"sum:axis", "over axis 1, x [2, 3, 4]",
       [](Generator& gen) { return OpCheck{[](const Inputs& in) { return sum(in[0], 1); }, {leaf({2, 3, 4}, gen)}}; }},
      {"mean", "over all elements, x [2, 3, 4]",
       [](Generator& gen) { return OpCheck{[](const Inputs& in) { return mean(in[0]); }, {leaf({2, 3, 4}, gen)}}; }},
      {"mean:axis", "over axis 2, keepdim, x [2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return mean(in[0], 2, true); }, {leaf({2, 3, 4}, gen)}};
       }},
      {"max", "over all elements, x [2, 3, 4]",
       [](Generator& gen) { return OpCheck{[](const Inputs& in) { return max(in[0]); }, {leaf({2, 3, 4}, gen)}}; }},
      {"max:axis", "over axis 0, x [2, 3, 4]",
       [](Generator& gen) { return OpCheck{[](const Inputs& in) { return max(in[0], 0); }, {leaf({2, 3, 4}, gen)}}; }},
      {"sum_to", "x [2, 3, 4] summed down to [3, 1] (a broadcast undone)",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return sum_to(in[0], Shape({3, 1})); }, {leaf({2, 3, 4}, gen)}};
       }},
      // ---- shape ops (core/ops/shape_ops.h) ----
      {"reshape", "[2, 3, 4] -> [4, -1]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return reshape(in[0], {4, -1}); }, {leaf({2, 3, 4}, gen)}};
       }},
      {"permute", "[2, 3, 4] in order (2, 0, 1)",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return permute(in[0], {2, 0, 1}); }, {leaf({2, 3, 4}, gen)}};
       }},
      {"transpose", "dims 0 and 2 of [2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return transpose(in[0], 0, 2); }, {leaf({2, 3, 4}, gen)}};
       }},
      {"concat", "[2, 3] and [2, 2] along axis 1",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return concat({in[0], in[1]}, 1); }, {leaf({2, 3}, gen), leaf({2, 2}, gen)}};
       }},
      {"slice", "elements [1, 3) of axis 1 of [2, 4, 3]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return slice(in[0], 1, 1, 3); }, {leaf({2, 4, 3}, gen)}};
       }},
      {"gather", "x [2, 4] along axis 1 with indices [[3, 0, 3], [1, 1, 2]] (repeats sum in the backward)",
       [](Generator& gen) {
         Tensor index = Tensor::from_vector({3, 0, 3, 1, 1, 2}, {2, 3}, DType::I64);
         return OpCheck{[index](const Inputs& in) { return gather(in[0], 1, index); }, {leaf({2, 4}, gen)}};
       }},
      {"flip", "axis 1 of [2, 3, 4]",
       [](Generator& gen) { return OpCheck{[](const Inputs& in) { return flip(in[0], 1); }, {leaf({2, 3, 4}, gen)}}; }},
      // ---- softmax, SAR, upsampling ----
      {"softmax", "along axis 1 of [2, 3, 4], x in [-3, 3)",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return softmax(in[0], 1); }, {leaf({2, 3, 4}, gen, -3.0, 3.0)}};
       }},
      {"log_softmax", "along the last axis of [2, 3, 4], x in [-3, 3)",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return log_softmax(in[0], -1); }, {leaf({2, 3, 4}, gen, -3.0, 3.0)}};
       }},
      {"sar_loss", "the SAR loss (Eq. 7-9), offsets [2, 6, 4, 5], logits [2, 3, 4, 5], a dropped keypoint",
       [](Generator& gen) {
         Tensor target = data({2, 3, 2}, gen, 0.0, 1.0), weight = Tensor::ones({2, 3}, DType::F64);
         weight.data<double>()[2] = 0.0;
         return OpCheck{[](const Inputs& in) { return sar_loss(in[0], in[1], in[2], in[3]); },
                        {leaf({2, 6, 4, 5}, gen, -0.2, 0.2), leaf({2, 3, 4, 5}, gen, -2.0, 2.0), target, weight}};
       }},
      {"sar_selector_norm", "w = sigmoid(s) / sum sigmoid(s) per [h, w] plane (Eq. 9), logits [2, 3, 4, 5]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return sar_selector_norm(in[0]); }, {leaf({2, 3, 4, 5}, gen, -3.0, 3.0)}};
       }},
      {"upsample_nearest2d", "x2, x [2, 2, 3, 4]",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return upsample_nearest2d(in[0], 2); }, {leaf({2, 2, 3, 4}, gen)}};
       }},
      {"upsample_bilinear2d", "[2, 2, 3, 4] -> 5 x 7, half-pixel centres",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return upsample_bilinear2d(in[0], 5, 7); }, {leaf({2, 2, 3, 4}, gen)}};
       }},
      {"upsample_bilinear2d:align_corners", "[2, 2, 3, 4] -> 5 x 7, align_corners",
       [](Generator& gen) {
         return OpCheck{[](const Inputs& in) { return upsample_bilinear2d(in[0], 5, 7, true); },
                        {leaf({2, 2, 3, 4}, gen)}};
       }},
      // ---- layers (layers/) ----
      {"Conv2d", "Conv2d(3 -> 4, k3, stride 2, padding 1, bias) on x [2, 3, 7, 6]: x, weight, bias",
       [](Generator& gen) {
         return layer_check(std::make_shared<Conv2d>(3, 4, 3, 2, 1, true, gen), leaf({2, 3, 7, 6}, gen));
       }},
      {"ConvTranspose2d", "ConvTranspose2d(3 -> 2, k4, stride 2, padding 1, bias) on x [2, 3, 4, 3]",
       [](Generator& gen) {
         return layer_check(std::make_shared<ConvTranspose2d>(3, 2, 4, 2, 1, 0, true, gen), leaf({2, 3, 4, 3}, gen));
       }},
      {"BatchNorm2d", "BatchNorm2d(2) in training mode on x [3, 2, 3, 4]: x, weight, bias",
       [](Generator& gen) {
         auto bn = std::make_shared<BatchNorm2d>(2);
         bn->weight = data({2}, gen, 0.5, 1.5);  // not the init's 1 and 0: a swapped weight/bias shows
         bn->bias = data({2}, gen, -0.5, 0.5);
         bn->weight.set_requires_grad();
         bn->bias.set_requires_grad();
         return layer_check(bn, leaf({3, 2, 3, 4}, gen));
       }},
      {"BatchNorm2d:eval", "BatchNorm2d(2) in eval mode (running statistics) on x [3, 2, 3, 4]",
       [](Generator& gen) {
         auto bn = std::make_shared<BatchNorm2d>(2);
         bn->running_mean = data({2}, gen, -0.5, 0.5);
         bn->running_var = data({2}, gen, 0.5, 2.0);
         bn->eval();
         return layer_check(bn, leaf({3, 2, 3, 4}, gen));
       }},
      {"Linear", "Linear(5 -> 3, bias) on x [4, 5]",
       [](Generator& gen) { return layer_check(std::make_shared<Linear>(5, 3, true, gen), leaf({4, 5}, gen)); }},
      {"MaxPool2d", "MaxPool2d(3, stride 2, padding 1) on x [2, 2, 7, 6]",
       [](Generator& gen) { return layer_check(std::make_shared<MaxPool2d>(3, 2, 1), leaf({2, 2, 7, 6}, gen)); }},
      {"AdaptiveAvgPool2d1x1", "global average pooling on x [2, 3, 4, 5]",
       [](Generator& gen) { return layer_check(std::make_shared<AdaptiveAvgPool2d1x1>(), leaf({2, 3, 4, 5}, gen)); }},
      {"ReLU", "ReLU on x [2, 3, 4]",
       [](Generator& gen) { return layer_check(std::make_shared<ReLU>(), leaf({2, 3, 4}, gen)); }},
      {"Upsample", "Upsample::nearest(2) on x [2, 2, 3, 4]",
       [](Generator& gen) {
         return layer_check(std::shared_ptr<Upsample>(Upsample::nearest(2)), leaf({2, 2, 3, 4}, gen));
       }},
      {"Upsample:bilinear", "Upsample::bilinear(5, 7) on x [2, 2, 3, 4]",
       [](Generator& gen) {
         return layer_check(std::shared_ptr<Upsample>(Upsample::bilinear(5, 7)), leaf({2, 2, 3, 4}, gen));
       }},
      {"Sequential", "Conv2d(2 -> 3, k3, padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2, 2) on x [2, 2, 6, 5]",
       [](Generator& gen) {
         auto seq = std::make_shared<Sequential>();
         seq->add(std::make_unique<Conv2d>(2, 3, 3, 1, 1, false, gen));
         seq->add(std::make_unique<BatchNorm2d>(3));
         seq->add(std::make_unique<ReLU>());
         seq->add(std::make_unique<MaxPool2d>(2, 2, 0));
         return layer_check(seq, leaf({2, 2, 6, 5}, gen));
       }},
      // ---- head losses (layers/heads/), features [2, 4, 6, 5] of a 24 x 20 crop, J = 3 ----
      {"SarHead", "SAR loss + quality focal loss of the heatmap branch: features and all three 1x1 convs",
       [](Generator& gen) {
         SarHeadConfig c;
         c.head = head_config();
         c.in_channels = kHeadChannels;
         return head_check(std::make_shared<SarHead>(c, gen), gen);
       }},
      {"SarHead:no_heatmap", "SAR loss alone (no heatmap branch)",
       [](Generator& gen) {
         SarHeadConfig c;
         c.head = head_config();
         c.in_channels = kHeadChannels;
         c.with_heatmap = false;
         return head_check(std::make_shared<SarHead>(c, gen), gen);
       }},
      {"GlobalRegressionHead", "L1 of pooled-feature regression: features, fc",
       [](Generator& gen) {
         return head_check(std::make_shared<GlobalRegressionHead>(GlobalRegressionHeadConfig{head_config(), kHeadChannels},
                                                                  gen),
                           gen);
       }},
      {"HeatmapHead", "heatmap MSE against Gaussian targets: features, final_layer",
       [](Generator& gen) {
         return head_check(std::make_shared<HeatmapHead>(HeatmapHeadConfig{head_config(), kHeadChannels}, gen), gen);
       }},
      {"HeatmapOffsetHead", "heatmap MSE + L1 offsets near each keypoint: features, both 1x1 convs",
       [](Generator& gen) {
         HeatmapOffsetHeadConfig c;
         c.head = head_config();
         c.in_channels = kHeadChannels;
         return head_check(std::make_shared<HeatmapOffsetHead>(c, gen), gen);
       }},
      {"FgFcHead", "SAR loss on a 3 x 2 grid predicted from the pooled feature: features, both FCs",
       [](Generator& gen) {
         FgFcHeadConfig c;
         c.head = head_config();
         c.in_channels = kHeadChannels;
         c.grid_h = 3;
         c.grid_w = 2;
         return head_check(std::make_shared<FgFcHead>(c, gen), gen);
       }},
      map_loss("quality_focal_loss", "the SAR head's auxiliary loss (BCE * (y - p)^2 / num_pos)",
               [](const Tensor& z, const Tensor& y, const Tensor& w) { return quality_focal_loss(z, y, w); }),
      map_loss("heatmap_mse_loss", "the heatmap heads' weighted MSE",
               [](const Tensor& p, const Tensor& y, const Tensor& w) { return heatmap_mse_loss(p, y, w); }),
  };
  return cases;
}

}  // namespace

const std::vector<GradcheckCase>& gradcheck_catalog() {
  static const std::vector<GradcheckCase> cases = make_catalog();
  return cases;
}

const GradcheckCase& find_gradcheck_case(const std::string& name) {
  std::string known;
  for (const GradcheckCase& c : gradcheck_catalog()) {
    if (c.name == name) return c;
    known += (known.empty() ? "" : ", ") + c.name;
  }
  SAR_THROW("sar gradcheck --op: unknown check '", name, "'; known: ", known);
}

KeypointTargets random_keypoint_targets(int64_t N, const HeadConfig& config, int64_t map_h, int64_t map_w,
                                        bool with_heatmaps, Generator& gen) {
  const int64_t J = config.num_keypoints;
  KeypointTargets t;
  // inside the crop, a pixel away from its edges
  Tensor unit = rand({N, J, 2}, gen, DType::F64);
  std::vector<double> xy = unit.to_vector();
  for (int64_t k = 0; k < N * J; ++k) {
    xy[2 * k] = 1.0 + xy[2 * k] * (config.input_w - 2);
    xy[2 * k + 1] = 1.0 + xy[2 * k + 1] * (config.input_h - 2);
  }
  t.xy = Tensor::from_vector(xy, {N, J, 2}, DType::F64);
  t.weight = Tensor::ones({N, J}, DType::F64);
  t.weight.data<double>()[J - 1] = 0.0;
  if (!with_heatmaps) return t;

  std::vector<double> maps;
  const double cells_x = double(map_w) / config.input_w, cells_y = double(map_h) / config.input_h;
  for (int64_t n = 0; n < N; ++n) {
    std::vector<float> cells(2 * J);
    for (int64_t j = 0; j < J; ++j) {
      cells[2 * j] = float(xy[(n * J + j) * 2] * cells_x);
      cells[2 * j + 1] = float(xy[(n * J + j) * 2 + 1] * cells_y);
    }
    std::vector<double> one =
        encode_gaussian_heatmaps(cells, std::vector<float>(J, 1.f), int(map_h), int(map_w), 2.0).heatmaps.to_vector();
    maps.insert(maps.end(), one.begin(), one.end());
  }
  t.heatmaps = Tensor::from_vector(maps, {N, J, map_h, map_w}, DType::F64);
  return t;
}

}  // namespace sar
