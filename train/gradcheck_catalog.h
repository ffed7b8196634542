// gradcheck_catalog.h: the named gradient checks of `sar gradcheck --op NAME`: every
// differentiable op of core/ops/*.h, every layer of layers/ and every head loss of layers/heads/,
// each on small random float64 inputs (core/gradcheck.h's gradcheck_op).
//
// Names say what is checked: an op by its function name (conv2d), a layer or head by its class
// (Conv2d, SarHead), a variant after a colon (conv2d:dilated, BatchNorm2d:eval). A layer's or
// head's check covers its input and every parameter; a head's loss also gets targets with a
// dropped keypoint (weight 0) and, where it reads them, Gaussian heatmaps.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/gradcheck.h"
#include "core/rng.h"
#include "layers/heads/head.h"

namespace sar {

// What one check runs: f(inputs), with the inputs that require grad checked.
struct OpCheck {
  OpFn f;
  std::vector<Tensor> inputs;
  std::vector<std::string> names = {};  // of the inputs ("x", "weight", ...); empty: "input 0", "input 1", ...
};

struct GradcheckCase {
  std::string name;         // "conv2d:dilated"
  std::string description;  // what is computed, on which shapes
  std::function<OpCheck(Generator& gen)> build;
};

const std::vector<GradcheckCase>& gradcheck_catalog();

// The case named `name`; throws naming the known ones when there is none.
const GradcheckCase& find_gradcheck_case(const std::string& name);

// Random float64 targets for N images of J keypoints on an input_h x input_w crop: xy uniform
// inside the crop, weight 1 except the first image's last keypoint (0: a dropped row), and when
// with_heatmaps Gaussian heatmaps (sigma 2) at the map size map_h x map_w.
KeypointTargets random_keypoint_targets(int64_t N, const HeadConfig& config, int64_t map_h, int64_t map_w,
                                        bool with_heatmaps, Generator& gen);

}  // namespace sar
