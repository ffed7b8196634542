// score_command.h: `sar score`: a results file scored against its ground truth.
//   sar score --gt GT.json --results RES.json --metric coco|crowdpose|wholebody|pck|pckh [--json]
#pragma once

namespace sar {

int score_main(int argc, char** argv);  // argv after "score"

}  // namespace sar
