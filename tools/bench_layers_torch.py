#!/usr/bin/python3
"""PyTorch baseline for `sar bench layers`: the same conv shapes, timed the same way.

    build/sar bench layers --print-shapes > shapes.json
    /usr/bin/python3 tools/bench_layers_torch.py shapes.json [--device cpu|cuda] [--reps 3] [--tf32] > torch.json
    build/sar bench layers --baseline torch.json

Each shape: forward, then backward with a ones seed (input and weight gradients), median of
--reps runs after one warm-up, all threads. `make bench` runs the three steps in one go.
Check first that PyTorch uses OpenBLAS or MKL, not the reference BLAS (the script prints
torch's BLAS configuration to stderr): with the reference BLAS it is several times slower and
the ratio would flatter us.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

from bench_util import median_ms, set_math, write_baseline


def time_shape(s, device, reps):
    x = torch.randn(s["n"], s["cin"], s["h"], s["w"], device=device, requires_grad=True)
    wshape = (s["cin"], s["cout"], s["k"], s["k"]) if s["transpose"] else (s["cout"], s["cin"], s["k"], s["k"])
    w = (torch.randn(*wshape, device=device) * 0.01).requires_grad_(True)

    def run():
        if s["transpose"]:
            y = F.conv_transpose2d(x, w, None, stride=s["stride"], padding=s["pad"])
        else:
            y = F.conv2d(x, w, None, stride=s["stride"], padding=s["pad"])
        y.backward(torch.ones_like(y))
        x.grad, w.grad = None, None

    return median_ms(run, device, reps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shapes", help="JSON from `sar bench layers --print-shapes`")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tf32", action="store_true", help="TF32 tensor cores on the GPU (sar bench layers --tf32)")
    args = ap.parse_args()
    math = set_math(args.device, args.tf32)
    torch.set_num_threads(os.cpu_count())
    print(torch.__config__.show(), file=sys.stderr)
    with open(args.shapes) as f:
        shapes = json.load(f)
    results = [{"name": s["name"], "ms": time_shape(s, args.device, args.reps)} for s in shapes]
    write_baseline(results, args.device, threads=torch.get_num_threads(), math=math)


if __name__ == "__main__":
    main()
