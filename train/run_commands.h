// run_commands.h: the `sar` verbs that run a model from a config: train, eval, infer.
//   sar train --config C --out RUN [--set k=v ...] [--device D] [--seed N] [--deterministic]
//   sar train --resume RUN
//   sar eval  --config C --checkpoint CK [--ann F --images D] [--dets F] [--flip|--no-flip] --out RES.json [--json]
//   sar infer --config C --checkpoint CK --image IMG [--bbox x,y,w,h] --out OUT.png [--maps] [--json]
// Each takes argv after its verb and returns the exit status; errors throw sar::Error.
#pragma once

namespace sar {

int train_main(int argc, char** argv);
int eval_main(int argc, char** argv);
int infer_main(int argc, char** argv);

}  // namespace sar
