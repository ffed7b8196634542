// data_commands.h: `sar data ...`: looking at what the loader feeds the network.
//   sar data show   a PNG grid of (augmented) input crops with their keypoints and skeleton
#pragma once

namespace sar {

int data_main(int argc, char** argv);  // argv after "data"

}  // namespace sar
