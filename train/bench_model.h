// bench_model.h: `sar bench model`: one training step of a whole pose model (forward + loss +
// backward + Adam update), in images per second and peak memory, against the same model in
// PyTorch (tools/bench_model_torch.py: torchvision ResNet + deconvs + the SAR head in torch ops)
// measured in the same `make bench` run.
#pragma once

namespace sar {

int bench_model_main(int argc, char** argv);  // argv after "bench model"

}  // namespace sar
