// head_util.h: the checks and small conversions every head shares (SAR, global regression,
// heatmap, heatmap + offset, f^g + FC). Each function names the calling head in its errors, so a
// message reads "HeatmapHead loss: targets.heatmaps must be [N, J, h, w] = [2, 17, 64, 48], got ...".
#pragma once

#include <cstdint>

#include "core/rng.h"
#include "layers/heads/head.h"

namespace sar {

// A head's constructor arguments: J >= 1, input_h and input_w >= 1, in_channels >= 1. Returns
// in_channels, so a constructor checks in its initializer list, before it builds its layers.
int64_t check_head_config(const char* head, const HeadConfig& config, int64_t in_channels);

// features must be a defined [N, in_channels, h, w] tensor with N, h, w >= 1.
void check_features(const char* head, const Tensor& features, int64_t in_channels);

// Checks targets.xy [N, J, 2], targets.weight [N, J] and, when with_heatmaps, targets.heatmaps
// [N, J, h, w] against the features [N, C, h, w], and returns them converted to the features'
// dtype and device (the loader makes float32 CPU targets; the model may be float64 or on CUDA).
KeypointTargets prepare_targets(const char* head, const KeypointTargets& targets, const Tensor& features, int64_t J,
                                bool with_heatmaps);

// t converted to the dtype and device of `like` (t itself when it already matches).
Tensor to_like(const Tensor& t, const Tensor& like);

// xy [..., 2] -> (x * sx, y * sy): pixels <-> map cells <-> map-normalized units.
Tensor scale_xy(const Tensor& xy, double sx, double sy);

// Input pixels per map cell along x and y for an h x w map: (input_w / w, input_h / h).
struct CellStride {
  double x, y;
};
CellStride cell_stride(const HeadConfig& config, int64_t h, int64_t w);

// min(max(x, 0), 1), exact for finite x: the heatmap heads' confidence maps.
Tensor clamp_unit(const Tensor& x);

// f^g: the global average of each channel, features [N, C, h, w] -> [N, C].
Tensor global_average_pool(const Tensor& features);

// weight ~ N(0, std), bias = bias_value: how mmpose and the official SAR head initialize their
// output layers (std 0.001 for convs, 0.01 for mmpose's regression FC).
void init_output_layer(Tensor& weight, Tensor& bias, double std, double bias_value, Generator& gen);

}  // namespace sar
