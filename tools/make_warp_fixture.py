#!/usr/bin/python3
"""Writes the reference fixture of the crop warp: tests/data/warp/warp.safetensors.

Run with Debian's Python (numpy; torch only for tools/safetensors_io.py):
    /usr/bin/python3 tools/make_warp_fixture.py

Independent of the C++ code, in float64:
- the warp matrix is built as mmpose 1.3.1's get_warp_matrix builds it (non-UDP): three point
  pairs, the box centre, the centre plus the rotated half-width vector R(r) (0, -w/2), and a
  third point 90 degrees round, sent to the crop's, solved as a linear system (cv2 is not
  installed here; getAffineTransform solves the same system);
- the crop is cv2.warpAffine(INTER_LINEAR, BORDER_CONSTANT 0) without OpenCV's 1/32-pixel
  quantization: output pixel (u, v) is the bilinear interpolation of the image at
  M^-1 (u, v), pixel (i, j) centred at (x = j, y = i), taps outside the image reading 0.
tests/test_topdown.cpp checks get_warp_matrix and warp_affine_bilinear against it.

Tensors: "image" [24, 32, 3] (uint8 values stored as F32), and per case "<case>.center" [2],
"<case>.scale" [2], "<case>.rotation" [1], "<case>.to_crop" [2, 3] (F64), "<case>.crop"
[3, 12, 16] (F32, grey levels). The metadata maps each case to its settings as JSON.
"""
import json
import os

import numpy as np
import torch

import safetensors_io

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "warp")
IMAGE_H, IMAGE_W = 24, 32
OUT_H, OUT_W = 12, 16


def mmpose_warp_matrix(center, scale, rot_deg, out_w, out_h):
    """The 2x3 matrix mapping mmpose's three source points onto its three destination points."""
    r = np.deg2rad(rot_deg)
    rotate = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
    center = np.asarray(center, dtype=np.float64)
    src0, dst0 = center, np.array([out_w * 0.5, out_h * 0.5])
    src1 = center + rotate @ np.array([0.0, scale[0] * -0.5])
    dst1 = dst0 + np.array([0.0, out_w * -0.5])

    def third(a, b):  # b + (a - b) turned by 90 degrees, as mmpose's _get_3rd_point
        d = a - b
        return b + np.array([-d[1], d[0]])

    src = np.stack([src0, src1, third(src0, src1)])
    dst = np.stack([dst0, dst1, third(dst0, dst1)])
    # [x y 1] @ M^T = dst for the three points: solve for M^T (3x2).
    return np.linalg.solve(np.hstack([src, np.ones((3, 1))]), dst).T


def warp_bilinear(image, to_crop, out_h, out_w):
    """image [H, W, 3] -> [3, out_h, out_w] float64, exact bilinear, zero outside."""
    h, w, _ = image.shape
    inv = np.linalg.inv(np.vstack([to_crop, [0.0, 0.0, 1.0]]))[:2]
    v, u = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
    x = inv[0, 0] * u + inv[0, 1] * v + inv[0, 2]
    y = inv[1, 0] * u + inv[1, 1] * v + inv[1, 2]
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - x0, y - y0
    out = np.zeros((out_h, out_w, 3))
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            xi, yi = x0 + dx, y0 + dy
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            tap = image[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)].astype(np.float64)
            out += (wy * wx * inside)[..., None] * tap
    return out.transpose(2, 0, 1)


def main():
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, size=(IMAGE_H, IMAGE_W, 3), dtype=np.uint8)
    # Box sizes have the crop's aspect (w / h = 16 / 12), as TopdownAffine leaves them.
    cases = {
        # inside the image, rotated, upscaled less than 2x
        "rot30": dict(center=[15.5, 11.0], scale=[12.0, 9.0], rotation=30.0),
        # reaches past the left and bottom edges (zero border), rotated the other way, shrunk
        "rot-50_border": dict(center=[3.25, 20.6], scale=[28.0, 21.0], rotation=-50.0),
    }
    tensors = {"image": torch.from_numpy(image.astype(np.float32))}
    for name, c in cases.items():
        to_crop = mmpose_warp_matrix(c["center"], c["scale"], c["rotation"], OUT_W, OUT_H)
        crop = warp_bilinear(image, to_crop, OUT_H, OUT_W)
        tensors[name + ".center"] = torch.tensor(c["center"], dtype=torch.float64)
        tensors[name + ".scale"] = torch.tensor(c["scale"], dtype=torch.float64)
        tensors[name + ".rotation"] = torch.tensor([c["rotation"]], dtype=torch.float64)
        tensors[name + ".to_crop"] = torch.from_numpy(to_crop)
        tensors[name + ".crop"] = torch.from_numpy(crop.astype(np.float32))
    metadata = {name: json.dumps(dict(c, out_w=OUT_W, out_h=OUT_H)) for name, c in cases.items()}
    safetensors_io.save_fixture(OUT_DIR, "warp.safetensors", tensors, metadata)


if __name__ == "__main__":
    main()
