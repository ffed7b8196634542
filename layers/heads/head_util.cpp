// head_util.cpp: the checks, target preparation and small conversions every head shares.
#include "layers/heads/head_util.h"

#include "core/ops/elementwise.h"
#include "core/ops/pooling.h"
#include "core/ops/shape_ops.h"
#include "layers/init.h"

namespace sar {

int64_t check_head_config(const char* head, const HeadConfig& config, int64_t in_channels) {
  SAR_CHECK(config.num_keypoints >= 1, head, ": num_keypoints must be >= 1, got ", config.num_keypoints);
  SAR_CHECK(config.input_h >= 1 && config.input_w >= 1, head, ": input_h and input_w must be >= 1, got ",
            config.input_h, "x", config.input_w);
  SAR_CHECK(in_channels >= 1, head, ": in_channels must be >= 1, got ", in_channels);
  return in_channels;
}

void check_features(const char* head, const Tensor& features, int64_t in_channels) {
  SAR_CHECK(features.defined(), head, ": features is an undefined tensor");
  SAR_CHECK(features.ndim() == 4 && features.size(1) == in_channels && features.numel() > 0, head,
            ": features must be [N, ", in_channels, ", h, w] (non-empty), got ", features.shape());
}

Tensor to_like(const Tensor& t, const Tensor& like) {
  if (t.dtype() == like.dtype() && t.device() == like.device()) return t;
  Tensor out = Tensor::empty(t.shape(), like.dtype(), like.device());
  out.copy_(t);
  return out;
}

static void check_target(const char* head, const Tensor& t, const char* arg, const Shape& expected,
                         const char* letters) {
  SAR_CHECK(t.defined(), head, " loss: targets.", arg, " is undefined; it must be ", letters, " = ", expected);
  SAR_CHECK(t.shape() == expected, head, " loss: targets.", arg, " must be ", letters, " = ", expected, ", got ",
            t.shape());
}

KeypointTargets prepare_targets(const char* head, const KeypointTargets& targets, const Tensor& features, int64_t J,
                                bool with_heatmaps) {
  const int64_t N = features.size(0), h = features.size(2), w = features.size(3);
  check_target(head, targets.xy, "xy", Shape{N, J, 2}, "[N, J, 2]");
  check_target(head, targets.weight, "weight", Shape{N, J}, "[N, J]");
  KeypointTargets out;
  out.xy = to_like(targets.xy, features);
  out.weight = to_like(targets.weight, features);
  if (with_heatmaps) {
    check_target(head, targets.heatmaps, "heatmaps", Shape{N, J, h, w}, "[N, J, h, w]");
    out.heatmaps = to_like(targets.heatmaps, features);
  }
  return out;
}

Tensor scale_xy(const Tensor& xy, double sx, double sy) {
  return xy * Tensor::from_vector({sx, sy}, {2}, xy.dtype(), xy.device());  // [..., 2]
}

CellStride cell_stride(const HeadConfig& config, int64_t h, int64_t w) {
  return {double(config.input_w) / double(w), double(config.input_h) / double(h)};
}

Tensor clamp_unit(const Tensor& x) {
  Tensor low = clamp_min(x, 0.0);
  Tensor high = greater(low, 1.0);  // 1 where above 1: those cells become exactly 1
  return low * (1.0 - high) + high;
}

Tensor global_average_pool(const Tensor& features) {
  return reshape(adaptive_avg_pool2d_1x1(features), {features.size(0), features.size(1)});  // [N, C]
}

void init_output_layer(Tensor& weight, Tensor& bias, double std, double bias_value, Generator& gen) {
  normal_(weight, 0.0, std, gen);
  constant_(bias, bias_value);
}

}  // namespace sar
