#!/usr/bin/env bash
# Everything a lent GPU machine is for, in one device call, most important first, each step
# under its own time limit so that one slow step cannot eat the others' time:
#   1. the CUDA parity tests (make gpu-parity)
#   2. the benchmarks against PyTorch on the GPU (make bench BENCH_DEVICE=cuda: batch 64), the
#      whole-model step followed by its time by op (BENCH_PROFILE=1)
#   3. the demo trained on the GPU (make demo)
#   4. compute-sanitizer racecheck and memcheck on the CUDA tests (make gpu-sanitize)
#   5. the benchmarks again with TF32 tensor cores on both sides (BENCH_TF32=1)
# The limits add up to 8 minutes, so that a 15-minute device budget, less the machine's start,
# leaves time to rerun a step: name the steps to run only those, e.g.
#   tools/gpu_session.sh sanitizers bench-tf32
# It runs the binaries that `make gpu-bundle` built here (the GPU machine has no Debian -dev
# packages to build with), carried as build-gpu/bundle.tar.gz. Every log, bench table and demo
# output goes to build-gpu/session/, packed at the end into one file, $OUT/gpu_session.tar.gz:
# the device tool brings back at most 8 files from $OUT. The bench tables are also printed (their
# first 32 lines: the device tool shows only the last 12,000 characters of the output).
#
#   here:  make gpu-bundle
#   there: tools/gpu_session.sh [STEP...]   (device tool: carry ["build-gpu/bundle.tar.gz"], timeout_s 600)
set -uo pipefail
ALL_STEPS="parity bench demo sanitizers bench-tf32"
STEPS="${*:-$ALL_STEPS}"
for s in $STEPS; do
  [[ " $ALL_STEPS " == *" $s "* ]] || { echo "gpu_session: unknown step '$s' (steps: $ALL_STEPS)"; exit 2; }
done
cd "$(dirname "$0")/.."
BUNDLE=build-gpu/bundle
LOGS=build-gpu/session
rm -rf "$LOGS" && mkdir -p "$LOGS"
# The device keeps ignored files between calls: a fresh bundle folder, so that no bench table
# of an earlier call can pass for this one's.
rm -rf "$BUNDLE"
tar -C build-gpu -xzf build-gpu/bundle.tar.gz || { echo "gpu_session: no build-gpu/bundle.tar.gz (make gpu-bundle, then carry it)"; exit 1; }
MAKE_BIN=$(command -v make || echo "$BUNDLE/make")  # the bundle's copy where the image has none
# which code this is (the bundle's commit: .git does not travel) and on which card
{ echo "bundle: $(paste -sd ' ' $BUNDLE/COMMIT 2>/dev/null || echo 'no COMMIT file')"; nvidia-smi -L
  echo "make: $MAKE_BIN"; } 2>&1 | tee "$LOGS/device.txt"

failed=0
step() {  # step NAME SECONDS MAKE-ARGUMENTS...: runs make with its output in $LOGS/NAME.log
  local name=$1 limit=$2 start rc
  shift 2
  [[ " $STEPS " == *" $name "* ]] || return 0
  start=$(date +%s)
  # -k: a KILL 15 s after the TERM, should a stuck process ignore it
  timeout -k 15 "$limit" "$MAKE_BIN" "$@" > "$LOGS/$name.log" 2>&1
  rc=$?
  echo "== $name: exit $rc after $(($(date +%s) - start)) s$([ $rc = 124 ] && echo " (stopped at its ${limit} s limit)")"
  # on failure, the lines that say what failed (doctest's and make's), before the log's end
  [ $rc = 0 ] || { failed=1; grep -m 24 -E "TEST CASE|ERROR|FATAL|rror:|failed" "$LOGS/$name.log" | cut -c1-240; }
  tail -n 6 "$LOGS/$name.log"
}

step parity 120 gpu-parity NOBUILD=1 BUILD=$BUNDLE
step bench 110 bench NOBUILD=1 BUILD=$BUNDLE BENCH_DEVICE=cuda BENCH_PYTHON=python3 BENCH_PROFILE=1
step demo 60 demo NOBUILD=1 BUILD=$BUNDLE DEMO_OUT=$LOGS/demo
step sanitizers 130 gpu-sanitize NOBUILD=1 BUILD=$BUNDLE
step bench-tf32 60 bench NOBUILD=1 BUILD=$BUNDLE BENCH_DEVICE=cuda BENCH_PYTHON=python3 BENCH_TF32=1

cp -r $BUNDLE/bench $BUNDLE/bench-tf32 $BUNDLE/gpu-check.log "$LOGS/" 2>/dev/null
rm -rf "$LOGS/demo/checkpoints"
for table in bench/sar bench/model bench/layers bench-tf32/model bench-tf32/layers; do
  [ -f "$LOGS/$table.txt" ] && { echo "== $table"; head -n 32 "$LOGS/$table.txt"; }
done
if [ -n "${OUT:-}" ]; then
  tar -C build-gpu -czf "$OUT/gpu_session.tar.gz" session && echo "== everything: \$OUT/gpu_session.tar.gz"
fi
exit $failed
