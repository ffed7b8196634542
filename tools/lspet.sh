#!/bin/sh
# The LSPET experiment (docs/LSPET.md): trains the four heads one after another with the same
# backbone, input, schedule and seed, then prints their table. Re-running it picks up
# where it stopped: a finished run (report.md written) is skipped, an interrupted one resumes from
# its last checkpoint (sar train --resume), so the ~4 hours of CPU may be spread over several sittings.
# At the end, `sar compare` prints the table and draws RUNS/lspet_pck.png.
#
#   tools/lspet.sh [RUNS_DIR] [extra sar train options, e.g. --set data.root=/data/lspet]
#   SAR=path/to/sar tools/lspet.sh ...      another binary than build/sar
set -e
SAR=${SAR:-build/sar}
RUNS=${1:-runs}
[ $# -gt 0 ] && shift
for head in sar heatmap_offset heatmap regression; do
  run="$RUNS/lspet_$head"
  if [ -f "$run/report.md" ]; then
    echo "lspet.sh: $run is finished (report.md); skipped"
  elif [ -f "$run/checkpoints/last.safetensors" ]; then
    "$SAR" train --resume "$run" "$@"
  else
    "$SAR" train --config "configs/lspet_$head.json" --out "$run" "$@"
  fi
done
# The table for README.md / docs/LSPET.md and the PCK curves of the runs so far.
echo
runs=""
for head in sar heatmap_offset heatmap regression; do
  [ -d "$RUNS/lspet_$head" ] && runs="$runs $RUNS/lspet_$head"
done
"$SAR" compare $runs --out "$RUNS/lspet_pck.png"
