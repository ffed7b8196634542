"""What the PyTorch baselines of `make bench` share: timing a piece of work exactly as
train/bench_util.cpp does on the C++ side (one warm-up run, then the median of `reps` runs,
the device synchronized after each), and writing the baseline JSON that `sar bench` reads."""
import json
import statistics
import sys
import time

import torch


def median_ms(work, device, reps):
    def run():
        work()
        if device == "cuda":
            torch.cuda.synchronize()

    run()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def write_baseline(results, device, **extra):
    """results: [{"name": ..., "ms": ...}] -> stdout as {"label", "device", "results", ...}."""
    for r in results:
        print(f"{r['name']:26s} {r['ms']:10.3f} ms", file=sys.stderr)
    label = f"torch{torch.__version__.split('+')[0]}"
    json.dump({"label": label, "device": device, "results": results, **extra}, sys.stdout, indent=1)
