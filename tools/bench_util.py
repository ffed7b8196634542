"""What the PyTorch baselines of `make bench` share: timing a piece of work exactly as
train/bench_util.cpp does on the C++ side (one warm-up run, then the median of `reps` runs,
the device synchronized after each), choosing the math the convolutions run in, and writing
the baseline JSON that `sar bench` reads."""
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


def set_math(device, tf32):
    """float32 products in convolutions and matrix products (sar's default), or TF32 tensor cores
    on the GPU (sar --tf32). PyTorch's own default mixes them (TF32 convolutions, float32 matrix
    products), so both switches are set either way. Returns the "math" name the baseline JSON
    carries, as train/bench_util.cpp's bench_math names it. PyTorch 2.9 replaced the allow_tf32
    flags with fp32_precision ("tf32" or "ieee") and warns on the old ones; older PyTorch (Debian's)
    has only the flags."""
    if hasattr(torch.backends, "fp32_precision"):
        precision = "tf32" if tf32 else "ieee"
        torch.backends.cudnn.conv.fp32_precision = precision
        torch.backends.cuda.matmul.fp32_precision = precision
    else:
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
    return "tf32" if tf32 and device == "cuda" else "float32"


def write_baseline(results, device, **extra):
    """results: [{"name": ..., "ms": ...}] -> stdout as {"label", "device", "results", ...}."""
    for r in results:
        print(f"{r['name']:26s} {r['ms']:10.3f} ms", file=sys.stderr)
    label = f"torch{torch.__version__.split('+')[0]}"
    json.dump({"label": label, "device": device, "results": results, **extra}, sys.stdout, indent=1)
