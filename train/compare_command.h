// compare_command.h: `sar compare`: training runs side by side, as a markdown table and a plot.
//   sar compare RUN [RUN ...] [--out CURVES.png]
// The LSPET experiment's table and curves are made with it (tools/lspet.sh, docs/LSPET.md).
#pragma once

namespace sar {

int compare_main(int argc, char** argv);  // argv after "compare"

}  // namespace sar
