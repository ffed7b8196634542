#!/usr/bin/python3
"""Writes the PyTorch reference fixture of the SAR loss: tests/data/sar/sar_loss.safetensors.

Run with Debian's Python and PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tools/make_sar_fixtures.py

The loss is computed in float64 exactly as the official implementation does (kennethwdk/SAR,
SAR/model.py, SARHead.loss; see ../shared/SAR_SPEC.md section 2a): directly in probability space,
K_t = p_t - o_t with p_t = (col / w, row / h), c_t = sigmoid(s_t), w_t = c_t / sum c,
r_t = exp(-16 (|dx| + |dy|)), L = -log(sum w r + 1e-6), the mean over the rows with weight > 0.
For every case it stores the inputs, the loss ("out") and its gradients with respect to the
offsets and the logits. tests/test_sar_loss.cpp recomputes them with sar_loss (log space) and
must match to 1e-10.

Tensor names are "<case>.<what>"; the metadata maps each case name to its settings as JSON
(written by tools/safetensors_io.py: nothing beyond torch).
"""
import json
import os
import zlib

import torch

import safetensors_io

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "sar")


def official_sar_loss(offsets, logits, target, weight, lam=16.0, eps=1e-6):
    """SARHead.loss's L_SAR: offsets [B, 2K, h, w], logits [B, K, h, w], target [B, K, 2], weight [B, K]."""
    b, k, h, w = logits.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
                            indexing="ij")
    locations = torch.stack([xs / w, ys / h], dim=0).reshape(1, 1, 2, h * w)  # p_t, integer cell index
    kpts = locations - offsets.reshape(b, k, 2, h * w)                       # K_t = p_t - o_t
    conf = torch.sigmoid(logits).reshape(b, k, h * w)
    valid = weight.reshape(-1) > 0
    kpts = kpts.reshape(b * k, 2, h * w)[valid]
    conf = conf.reshape(b * k, h * w)[valid]
    gt = target.reshape(b * k, 2, 1)[valid]
    r = torch.exp(-lam * (kpts - gt).abs().sum(dim=1))
    wt = conf / conf.sum(dim=1, keepdim=True)
    return (-torch.log((wt * r).sum(dim=1) + eps)).mean()


def main():
    gen = torch.Generator().manual_seed(zlib.crc32(b"sar_loss"))  # stable across runs

    def uniform(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(*shape, generator=gen, dtype=torch.float64)

    cases = [  # (N, J, h, w, invisible (n, j) rows, logit range)
        (2, 3, 4, 5, [(0, 1)], 3.0),
        (1, 17, 6, 4, [(0, 2), (0, 9), (0, 16)], 3.0),
        (3, 2, 1, 1, [(1, 0)], 3.0),
        (2, 2, 3, 5, [], 12.0),    # a peaky selector
        (2, 4, 7, 3, [(0, 0), (0, 1), (0, 2), (0, 3), (1, 3)], 3.0),
    ]
    tensors, metadata = {}, {}
    for i, (n, j, h, w, invisible, logit_range) in enumerate(cases):
        name = f"case{i}"
        target = uniform(-0.25, 1.25, n, j, 2)  # some outside [0, 1], as near the crop's border
        # Offsets scattered around the target: K_t lands within a few cells of it, so r_t spans
        # many magnitudes, and never exactly on it (the |.| kink).
        offsets = uniform(-0.3, 0.3, n, 2 * j, h, w)
        logits = uniform(-logit_range, logit_range, n, j, h, w)
        weight = torch.ones(n, j, dtype=torch.float64)
        for (a, b) in invisible:
            weight[a, b] = 0.0
        leaves = {"offsets": offsets.clone().requires_grad_(True), "logits": logits.clone().requires_grad_(True)}
        loss = official_sar_loss(leaves["offsets"], leaves["logits"], target, weight)
        loss.backward()
        metadata[name] = json.dumps({"lambda": 16.0, "eps": 1e-6})
        tensors.update({f"{name}.offsets": offsets, f"{name}.logits": logits, f"{name}.target": target,
                        f"{name}.weight": weight, f"{name}.out": loss,
                        f"{name}.grad_offsets": leaves["offsets"].grad, f"{name}.grad_logits": leaves["logits"].grad})
    safetensors_io.save_fixture(OUT_DIR, "sar_loss.safetensors", tensors, metadata)


if __name__ == "__main__":
    main()
