// gradcheck_command.h: `sar gradcheck`: float64 central-difference checks of the tape's gradients,
// of a whole model (sampled parameters of every module, and the input) or of named ops and layers.
//   sar gradcheck --model resnet18 --head sar [--input 32x24] [--samples 8]
//   sar gradcheck --model all --head all        (every registered backbone x head; make gradcheck)
//   sar gradcheck --op conv2d | --op all        (train/gradcheck_catalog.h)
// Exits non-zero when any check fails.
#pragma once

namespace sar {

int gradcheck_main(int argc, char** argv);  // argv after "gradcheck"

}  // namespace sar
