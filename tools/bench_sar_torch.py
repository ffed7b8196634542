#!/usr/bin/python3
"""PyTorch baseline for `sar bench sar`: the SAR loss and top-1 decode composed of torch ops,
as the official implementation computes them (SAR_SPEC.md §2a, §3), timed like the C++ side.

    /usr/bin/python3 tools/bench_sar_torch.py [--device cpu|cuda] [--batch 64] [--keypoints 17]
                                              [--map 64x48] [--reps 5] > sar_torch.json
"""
import argparse
import os

import torch

from bench_util import median_ms, write_baseline


def sar_loss(offsets, logits, target, weight, lam=16.0, eps=1e-6):
    n, j, h, w = logits.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=logits.device), torch.arange(w, device=logits.device),
                            indexing="ij")
    px, py = (xs.float() / w).reshape(-1), (ys.float() / h).reshape(-1)  # grid prior, [G]
    o = offsets.reshape(n, j, 2, h * w)
    kx, ky = px - o[:, :, 0], py - o[:, :, 1]                            # [N, J, G]
    c = torch.sigmoid(logits.reshape(n, j, h * w))
    wt = c / c.sum(-1, keepdim=True)
    r = torch.exp(-lam * ((kx - target[..., :1]).abs() + (ky - target[..., 1:]).abs()))
    per_row = -torch.log((wt * r).sum(-1) + eps)
    valid = weight > 0
    return per_row[valid].mean()


def decode_top1(offsets, logits, stride=4.0):
    n, j, h, w = logits.shape
    c = torch.sigmoid(logits.reshape(n, j, h * w))
    wt = c / c.sum(-1, keepdim=True)
    score, t = wt.max(-1)
    o = offsets.reshape(n, j, 2, h * w).gather(3, t[:, :, None, None].expand(n, j, 2, 1)).squeeze(-1)
    x = stride * ((t % w).float() - w * o[..., 0])
    y = stride * ((t // w).float() - h * o[..., 1])
    return torch.stack([x, y], -1), score


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--keypoints", type=int, default=17)
    ap.add_argument("--map", default="64x48")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    h, w = (int(v) for v in args.map.split("x"))
    n, j, dev = args.batch, args.keypoints, args.device
    g = torch.Generator(device="cpu").manual_seed(0)
    offsets = (torch.randn(n, 2 * j, h, w, generator=g) * 0.02).to(dev).requires_grad_(True)
    logits = (torch.randn(n, j, h, w, generator=g) - 4.6).to(dev).requires_grad_(True)
    target = torch.rand(n, j, 2, generator=g).to(dev)
    weight = (torch.rand(n, j, generator=g) < 0.9).float().to(dev)

    def loss_step():
        sar_loss(offsets, logits, target, weight).backward()
        offsets.grad, logits.grad = None, None

    def decode_step():
        with torch.no_grad():
            decode_top1(offsets, logits)

    write_baseline([{"name": "loss forward+backward", "ms": median_ms(loss_step, dev, args.reps)},
                    {"name": "decode top-1", "ms": median_ms(decode_step, dev, args.reps)}], dev)


if __name__ == "__main__":
    main()
