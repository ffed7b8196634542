// bench_sar.h: `sar bench sar`: the SAR loss (forward + backward) and the top-1 decode at
// training scale (batch 64 x 17 keypoints x 64x48 grids), against the same math composed of
// PyTorch ops (tools/bench_sar_torch.py) in the same `make bench` run, with achieved GB/s.
#pragma once

namespace sar {

int bench_sar_main(int argc, char** argv);  // argv after "bench sar"

}  // namespace sar
