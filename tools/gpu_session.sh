#!/usr/bin/env bash
# Everything a lent GPU machine is for, in one device call, most important first, each step
# under its own time limit so that one slow step cannot eat the others' time:
#   1. the CUDA parity tests (make gpu-check without compute-sanitizer)
#   2. the benchmarks against PyTorch on the GPU (make bench BENCH_DEVICE=cuda: batch 64)
#   3. the demo trained on the GPU (make demo)
#   4. make gpu-check again, now with compute-sanitizer memcheck and racecheck
# It runs the binaries that `make gpu-bundle` built here (the GPU machine has no Debian -dev
# packages to build with), carried as build-gpu/bundle.tar.xz. Logs go to $OUT (the device
# tool's folder that comes back), else build-gpu/out; the last lines of each are printed.
#
#   here:  make gpu-bundle
#   there: tools/gpu_session.sh      (device tool: carry ["build-gpu/bundle.tar.xz"], timeout_s 600)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build-gpu/out}
BUNDLE=build-gpu/bundle
mkdir -p "$OUT"
tar -C build-gpu -xJf build-gpu/bundle.tar.xz || { echo "gpu_session: no build-gpu/bundle.tar.xz (make gpu-bundle, then carry it)"; exit 1; }
nvidia-smi -L 2>&1 | tee "$OUT/device.txt"

failed=0
step() {  # step NAME SECONDS COMMAND...: runs COMMAND with its output in $OUT/NAME.log
  local name=$1 limit=$2 start rc
  shift 2
  start=$(date +%s)
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  rc=$?
  echo "== $name: exit $rc after $(($(date +%s) - start)) s$([ $rc = 124 ] && echo " (stopped at its ${limit} s limit)")"
  tail -n 6 "$OUT/$name.log"
  [ $rc = 0 ] || failed=1
}

step parity 150 make gpu-check NOBUILD=1 BUILD=$BUNDLE SANITIZER=
step bench 200 make bench NOBUILD=1 BUILD=$BUNDLE BENCH_DEVICE=cuda BENCH_PYTHON=python3
cp -r $BUNDLE/bench "$OUT/" 2>/dev/null
step demo 90 make demo NOBUILD=1 BUILD=$BUNDLE DEMO_OUT=build-gpu/demo
mkdir -p "$OUT/demo" && cp build-gpu/demo/*.md build-gpu/demo/*.png build-gpu/demo/*.csv "$OUT/demo/" 2>/dev/null
step sanitizers 120 make gpu-check NOBUILD=1 BUILD=$BUNDLE
cp $BUNDLE/gpu-check.log "$OUT/" 2>/dev/null
exit $failed
