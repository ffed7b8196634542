// keypoint_targets.h: what a batch asks of a head, in its own header because both sides need it:
// the loader builds it (datasets/loader.h) and every head's loss reads it (layers/heads/head.h).
// Units as in head.h: input-crop pixels, x right, y down, pixel (0, 0)'s centre at (0, 0).
#pragma once

#include "core/tensor.h"

namespace sar {

struct KeypointTargets {
  Tensor xy;        // [N, J, 2] (x, y) in input-crop pixels
  Tensor weight;    // [N, J] 1 = labelled and supervised, 0 = not (dropped from the loss)
  Tensor heatmaps;  // [N, J, h, w] Gaussian targets at the head's map size (heads that use them)
};

}  // namespace sar
