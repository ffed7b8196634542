// bench_data.h: `sar bench data`: samples per second of the training input pipeline (decode +
// top-down augmentation + affine crop + normalize + Gaussian heatmaps, batched by the Loader) on
// LSPET images, for 1, 2, ... worker threads, against the same steps in Python (PIL + numpy,
// torch's DataLoader: tools/bench_data_torch.py) measured in the same `make bench` run.
#pragma once

namespace sar {

int bench_data_main(int argc, char** argv);  // argv after "bench data"

}  // namespace sar
