// bench_layers.h: `sar bench layers`: forward + backward time of every distinct conv and
// deconv shape of SimpleBaseline-ResNet-50 at 256x192, batch 8, against PyTorch measured
// on the same shapes by tools/bench_layers_torch.py in the same `make bench` run.
#pragma once

namespace sar {

// argv after "bench layers". Prints a table (ours, PyTorch, ratio) and returns the exit code.
int bench_layers_main(int argc, char** argv);

}  // namespace sar
