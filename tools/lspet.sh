#!/bin/sh
# The LSPET experiment (docs/LSPET.md): trains the four heads one after another with the same
# backbone, input, schedule and seed, and prints each run's last evaluation. Re-running it picks up
# where it stopped: a finished run (report.md written) is skipped, an interrupted one resumes from
# its last checkpoint (sar train --resume), so the ~4 hours of CPU may be spread over several sittings.
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
echo
echo "last evaluation of each run (eval_log.csv):"
for head in sar heatmap_offset heatmap regression; do
  log="$RUNS/lspet_$head/eval_log.csv"
  [ -f "$log" ] || { printf '%-16s %s\n' "$head" "no evaluation yet"; continue; }
  printf '%-16s %s\n' "$head" "$(head -n 1 "$log")"
  printf '%-16s %s\n' "" "$(tail -n 1 "$log")"
done
