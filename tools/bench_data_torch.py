#!/usr/bin/python3
"""Python baseline for `sar bench data`: the same input pipeline as datasets/topdown.cpp, built the
way a PyTorch user would (PIL + numpy in a torch Dataset, batched by torch's DataLoader), timed
like the C++ side: one warm-up epoch, then the median of --reps epochs, per worker count.

    sar bench data --print-samples > samples.json
    /usr/bin/python3 tools/bench_data_torch.py samples.json [--threads 1,2] [--batch 32] [--reps 3] > data_torch.json

Per sample: decode (PIL), mmpose's augmentation (flip, half-body, shift/scale/rotation drawn from
a truncated normal), the affine crop to 256x192 (PIL Image.transform, bilinear; the flip is folded
into the matrix, as the C++ side does), normalization by the ImageNet mean/std to a float32 CHW
array, and 64x48 Gaussian heatmaps (mmpose's generate_gaussian_heatmaps, sigma 2). "1 thread"
runs the Dataset in the main process (num_workers=0); N > 1 uses N DataLoader worker processes.
"""
import argparse
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image

MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def truncnorm(rng):
    while True:
        z = rng.standard_normal()
        if abs(z) <= 1:
            return z


def warp_matrix(center, scale, rot_deg, out_w, out_h):
    """mmpose's get_warp_matrix (non-UDP) as a 3x3: image pixels -> crop pixels."""
    s = out_w / scale[0]
    r = math.radians(rot_deg)
    c, sn = math.cos(r), math.sin(r)
    return np.array([[s * c, s * sn, -s * (c * center[0] + sn * center[1]) + out_w / 2],
                     [-s * sn, s * c, -s * (-sn * center[0] + c * center[1]) + out_h / 2],
                     [0, 0, 1]])


def invert_affine(m):
    """The crop -> image map PIL's AFFINE transform takes, (a, b, c, d, e, f), of a 3x3 image -> crop
    matrix (in closed form: np.linalg.inv wakes OpenBLAS's threads for a 3x3)."""
    (a, b, c), (d, e, f) = m[0], m[1]
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return (ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def gaussian_heatmaps(xy, vis, h, w, sigma):
    """mmpose's generate_gaussian_heatmaps for one instance: [K, h, w] and the weights."""
    k = len(vis)
    maps = np.zeros((k, h, w), np.float32)
    weights = vis.astype(np.float32).copy()
    radius = sigma * 3
    x = np.arange(0, 2 * radius + 1, 1, dtype=np.float32)
    y = x[:, None]
    x0 = y0 = 2 * radius // 2
    gaussian = np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * sigma ** 2))
    for j in range(k):
        if vis[j] < 0.5:
            continue
        mu = (xy[j] + 0.5).astype(np.int64)
        left, top = (mu - radius).astype(np.int64)
        right, bottom = (mu + radius + 1).astype(np.int64)
        if left >= w or top >= h or right < 0 or bottom < 0:
            weights[j] = 0
            continue
        gx1, gx2 = max(0, -left), min(w, right) - left
        gy1, gy2 = max(0, -top), min(h, bottom) - top
        hx1, hx2 = max(0, left), min(w, right)
        hy1, hy2 = max(0, top), min(h, bottom)
        maps[j, hy1:hy2, hx1:hx2] = np.maximum(maps[j, hy1:hy2, hx1:hx2], gaussian[gy1:gy2, gx1:gx2])
    return maps, weights


class TopdownDataset(torch.utils.data.Dataset):
    def __init__(self, spec, input_hw=(256, 192), map_hw=(64, 48), sigma=2.0):
        self.samples = spec["samples"]
        self.flip_index = np.array(spec["flip_index"])
        self.upper = np.zeros(len(self.flip_index), bool)
        self.upper[spec["upper_body"]] = True
        self.input_h, self.input_w = input_hw
        self.map_h, self.map_w = map_hw
        self.sigma = sigma
        self.epoch = 0

    def __len__(self):
        return len(self.samples)

    def half_body(self, xy, vis, center, scale, rng):
        if vis.sum() < 9 or rng.random() >= 0.3:
            return center, scale
        upper = np.flatnonzero((vis > 0) & self.upper)
        lower = np.flatnonzero((vis > 0) & ~self.upper)
        ok_u, ok_l = len(upper) >= 2, len(lower) >= 3
        if not ok_u and not ok_l:
            return center, scale
        ids = upper if (not ok_l or (ok_u and rng.random() < 0.7)) else lower
        pts = xy[ids]
        lo, hi = pts.min(0), pts.max(0)
        if (hi == lo).all():
            return center, scale
        return pts.mean(0), (hi - lo) * 1.5

    def __getitem__(self, i):
        s = self.samples[i]
        rng = np.random.default_rng((self.epoch, i))
        img = Image.open(s["file"]).convert("RGB")                         # decode
        kp = np.array(s["keypoints"], np.float64).reshape(-1, 3)
        xy, vis = kp[:, :2].copy(), np.minimum(kp[:, 2], 1)
        x, y, bw, bh = s["bbox"]
        center, scale = np.array([x + bw / 2, y + bh / 2]), np.array([bw, bh]) * 1.25
        flipped = rng.random() < 0.5                                         # RandomFlip
        if flipped:
            xy, vis = xy[self.flip_index], vis[self.flip_index]
            xy[:, 0] = img.width - 1 - xy[:, 0]
            center[0] = img.width - 1 - center[0]
        center, scale = self.half_body(xy, vis, center, scale, rng)          # RandomHalfBody
        rot = 0.0
        if rng.random() < 0.3:                                               # RandomBBoxTransform
            center = center + 0.16 * np.array([truncnorm(rng), truncnorm(rng)]) * scale
        scale = scale * min(max(1 + 0.5 * truncnorm(rng), 0.5), 1.5)
        if rng.random() < 0.6:
            rot = 80 * truncnorm(rng)
        aspect = self.input_w / self.input_h                                 # TopdownAffine
        if scale[0] > scale[1] * aspect:
            scale = np.array([scale[0], scale[0] / aspect])
        else:
            scale = np.array([scale[1] * aspect, scale[1]])
        m = warp_matrix(center, scale, rot, self.input_w, self.input_h)
        if flipped:  # sample the original at the mirrored position
            mirror = np.array([[-1, 0, img.width - 1], [0, 1, 0], [0, 0, 1]], np.float64)
            m_img = m @ mirror
        else:
            m_img = m
        crop = img.transform((self.input_w, self.input_h), Image.AFFINE, invert_affine(m_img),
                             resample=Image.BILINEAR)
        chw = ((np.asarray(crop, np.float32) - MEAN) / STD).transpose(2, 0, 1)  # normalize
        xy_crop = xy @ m[:2, :2].T + m[:2, 2]                                   # targets
        xy_map = xy_crop * np.array([self.map_w / self.input_w, self.map_h / self.input_h])
        maps, weights = gaussian_heatmaps(xy_map.astype(np.float32), vis, self.map_h, self.map_w, self.sigma)
        return {"image": np.ascontiguousarray(chw), "xy": xy_crop.astype(np.float32), "weight": weights,
                "heatmaps": maps}


def epoch_ms(loader, dataset, epoch):
    dataset.epoch = epoch
    t0 = time.perf_counter()
    for _ in loader:
        pass
    return (time.perf_counter() - t0) * 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("samples", help="the JSON written by sar bench data --print-samples")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(args.samples) as f:
        spec = json.load(f)
    dataset = TopdownDataset(spec)
    n = len(dataset)
    results = []
    for t in (int(v) for v in args.threads.split(",")):
        # Persistent workers, so no epoch pays for forking; they keep the dataset they were
        # forked with (epoch 0's augmentation every epoch), which costs the same time.
        loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, shuffle=False,
                                             num_workers=0 if t == 1 else t, persistent_workers=t > 1)
        epoch_ms(loader, dataset, 0)
        ms = statistics.median(epoch_ms(loader, dataset, r) for r in range(1, args.reps + 1))
        name = f"{t} thread" + ("" if t == 1 else "s")
        results.append({"name": name, "ms": ms / n})
        print(f"{name:10s} {ms / n:8.3f} ms/sample {1000 * n / ms:8.1f} samples/s", file=sys.stderr)
    json.dump({"label": "python", "device": "cpu", "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
