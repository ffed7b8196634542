#!/usr/bin/python3
"""Writes the PyTorch reference fixtures of whole pose models under tests/data/models/.

Run with Debian's Python and PyTorch (apt-get install python3-torch python3-torchvision):
    /usr/bin/python3 tools/make_model_fixtures.py

Two models, each with the SAR head on J = 3 keypoints and a 2x3x64x64 input (16x16 maps):
  resnet18_sar   torchvision's ResNet-18 without fc + SimpleBaseline's 3 deconvs
  hrnet_w32_sar  HRNet-W32 (a compact rebuild of the official pose HRNet, below)
Their state_dict names are ours (models/pose_model.h). Every weight, buffer and input comes
from the formula of tests/weight_formula.h (rounded to float32, computed in float64), so the
fixtures store no weights: a float64 HRNet-W32 would be 228 MB.

In training mode, two no-grad forward passes (inputs "warmup0", "warmup1") move the BN
running statistics, then one step on "input" records, in float64:
  targets       xy [2, 3, 2] in input pixels, weight [2, 3] (one 0), heatmaps [2, 3, 16, 16]
                (MSRA Gaussians, sigma 2)
  outputs       the head's offsets [2, 6, 16, 16], logits and heatmap_logits [2, 3, 16, 16]
  loss          loss_sar (the official probability-space SAR loss, tools/make_sar_fixtures.py),
                loss_hm (the quality focal loss of layers/heads/qfl_loss.h) and loss, their sum
  summaries     [sum, sum |x|, sum x^2, x[i_0], ..., x[i_7]] with i_k = (2k + 1) numel // 16
                (the midpoints of eight equal parts; sum |x| gives the sum's scale): of the
                input and the features, of every parameter's gradient (grad_summary, rows in
                the order of the "parameters" metadata) and of every buffer after the step
                (buffer_summary, "buffers")
tests/test_model_fixtures.cpp rebuilds the same models and matches all of it.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck

import safetensors_io
from make_sar_fixtures import official_sar_loss

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "models")
N, J, SIZE, MAP, SIGMA = 2, 3, 64, 16, 2.0
SAMPLES = 8


# ---- the weight formula (the twin of tests/weight_formula.cpp) ----

def fnv1a(name):
    h = 0xCBF29CE484222325
    for c in name.encode():
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def formula_uniform(name, n):
    """u in [0, 1) for elements 0..n-1: splitmix64 in uint64 arithmetic (numpy arrays wrap)."""
    z = np.uint64(fnv1a(name)) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def formula_tensor(name, shape):
    shape = tuple(shape)
    numel = int(np.prod(shape, dtype=np.int64))
    u = formula_uniform(name, numel)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "weight" and len(shape) == 4:
        v = (2 * u - 1) / np.sqrt(float(numel // shape[0]))
    elif leaf == "weight":
        v = 0.8 + 0.4 * u
    elif leaf in ("bias", "running_mean"):
        v = 0.2 * (u - 0.5)
    elif leaf == "running_var":
        v = 0.5 + u
    else:
        v = 2 * u - 1
    return torch.from_numpy(v.astype(np.float32).astype(np.float64)).reshape(shape)


def fill_formula(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(formula_tensor(name, t.shape))


# ---- HRNet-W32, rebuilt from the description in models/hrnet.h ----
# (In eval mode on a formula-filled 1x3x64x32 "input" it gives the values tests/test_hrnet.cpp
# checks: sum 6769.502911, sum of squares 20939.19997.)

def conv_bn(cin, cout, kernel, stride, relu):
    """conv (no bias, "same" padding) "0" + BN "1" (+ ReLU): HRNet's transition and fuse unit."""
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, *([nn.ReLU()] if relu else []))


class HighResolutionModule(nn.Module):
    """4 BasicBlocks per branch, then fuse_layers[i][j] brings branch j to branch i (None at i == j)."""

    def __init__(self, widths, outputs):
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*[BasicBlock(c, c) for _ in range(4)]) for c in widths)
        self.fuse_layers = nn.ModuleList()
        for i in range(outputs):
            row = nn.ModuleList()
            for j, cj in enumerate(widths):
                if j > i:
                    row.append(nn.Sequential(*conv_bn(cj, widths[i], 1, 1, False),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                elif j == i:
                    row.append(None)
                else:
                    steps = [conv_bn(cj, cj, 3, 2, True) for _ in range(i - j - 1)]
                    row.append(nn.Sequential(*steps, conv_bn(cj, widths[i], 3, 2, False)))
            self.fuse_layers.append(row)

    def forward(self, xs):
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        out = []
        for row in self.fuse_layers:
            terms = [x if layer is None else layer(x) for layer, x in zip(row, xs)]
            y = terms[0]
            for t in terms[1:]:
                y = y + t
            out.append(F.relu(y))
        return out


def transition(from_widths, to_widths):
    """Slot b feeds branch b: a 3x3 conv where the width changes, None where it does not, and
    for the new branch a list of one 3x3/2 step (hence transitionS.b.0.0)."""
    slots = [None if a == b else conv_bn(a, b, 3, 1, True) for a, b in zip(from_widths, to_widths)]
    slots.append(nn.Sequential(conv_bn(from_widths[-1], to_widths[-1], 3, 2, True)))
    return nn.ModuleList(slots)


class HRNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        widths = [c, 2 * c, 4 * c, 8 * c]
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        widen = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256))
        self.layer1 = nn.Sequential(Bottleneck(64, 64, downsample=widen), *[Bottleneck(256, 64) for _ in range(3)])
        self.transition1 = transition([256], widths[:2])
        self.stage2 = nn.Sequential(HighResolutionModule(widths[:2], 2))
        self.transition2 = transition(widths[:2], widths[:3])
        self.stage3 = nn.Sequential(*[HighResolutionModule(widths[:3], 3) for _ in range(4)])
        self.transition3 = transition(widths[:3], widths)
        self.stage4 = nn.Sequential(*[HighResolutionModule(widths, 4) for _ in range(2)],
                                    HighResolutionModule(widths, 1))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer1(F.relu(self.bn2(self.conv2(x))))
        ys = [x]
        for trans, stage in ((self.transition1, self.stage2), (self.transition2, self.stage3),
                             (self.transition3, self.stage4)):
            # every transition layer reads the lowest-resolution branch, as the official forward
            ys = stage([y if t is None else t(ys[-1]) for t, y in zip(trans, ys + [None])])
        return ys[0]


# ---- the pose models ----

class ResNetC5(nn.Module):
    """torchvision's ResNet without avgpool and fc: the stride-32 map."""

    def __init__(self, net):
        super().__init__()
        for name in ("conv1", "bn1", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            setattr(self, name, getattr(net, name))

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class SarHead(nn.Module):
    """The head's layers under our names (layers/heads/sar_head.h); record() applies them."""

    def __init__(self, channels, deconv_in=None):
        super().__init__()
        if deconv_in is not None:  # SimpleBaseline: (ConvTranspose2d k4/2 no bias, BN, ReLU) x 3
            layers = []
            for i in range(3):
                layers += [nn.ConvTranspose2d(deconv_in if i == 0 else channels, channels, 4, 2, 1, bias=False),
                           nn.BatchNorm2d(channels), nn.ReLU()]
            self.deconv_layers = nn.Sequential(*layers)
        self.offset_conv = nn.Conv2d(channels, 2 * J, 1)
        self.logit_conv = nn.Conv2d(channels, J, 1)
        self.heatmap_conv = nn.Conv2d(channels, J, 1)


class PoseModel(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def features(self, x):
        f = self.backbone(x)
        return self.head.deconv_layers(f) if hasattr(self.head, "deconv_layers") else f


def quality_focal_loss(z, y, weight, positive_threshold=0.7):
    """layers/heads/qfl_loss.h: sum of BCE(z, y) (y - p)^2 over valid rows / max(num_pos, 1)."""
    valid = (weight > 0).to(z.dtype).reshape(*weight.shape, 1, 1)
    per_cell = F.binary_cross_entropy_with_logits(z, y, reduction="none") * (y - torch.sigmoid(z)) ** 2
    num_pos = ((y > positive_threshold).to(z.dtype) * valid).sum()
    return (per_cell * valid).sum() / num_pos.clamp(min=1.0)


# ---- targets ----

def gaussian_heatmaps(xy_cells, h, w, sigma):
    """MSRA Gaussians (layers/heads/heatmap_codec.h): peak 1 at mu = int(x + 0.5), window 3 sigma."""
    maps = torch.zeros(len(xy_cells), h, w, dtype=torch.float64)
    radius = int(3 * sigma)
    for k, (x, y) in enumerate(xy_cells):
        mx, my = int(x + 0.5), int(y + 0.5)
        for v in range(max(0, my - radius), min(h, my + radius + 1)):
            for u in range(max(0, mx - radius), min(w, mx + radius + 1)):
                maps[k, v, u] = np.exp(-((u - mx) ** 2 + (v - my) ** 2) / (2 * sigma ** 2))
    return maps


def make_targets():
    # image 0's third keypoint lies left of the crop (supervised, target x < 0); image 1's
    # second is unlabelled (weight 0, an empty heatmap)
    xy = torch.tensor([[[20.3, 14.7], [41.0, 50.2], [-3.5, 30.9]],
                       [[33.3, 9.9], [12.0, 12.0], [55.5, 60.1]]], dtype=torch.float64)
    weight = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0]], dtype=torch.float64)
    stride = SIZE / MAP
    heatmaps = torch.stack([gaussian_heatmaps((xy[n] / stride).tolist(), MAP, MAP, SIGMA) for n in range(N)])
    return xy, weight, heatmaps * weight.reshape(N, J, 1, 1)


# ---- one step ----

def summary(t):
    flat = t.detach().reshape(-1).to(torch.float64)
    picks = [flat[(2 * k + 1) * flat.numel() // (2 * SAMPLES)] for k in range(SAMPLES)]
    return torch.stack([flat.sum(), flat.abs().sum(), (flat * flat).sum(), *picks])


def record(name, model):
    fill_formula(model)
    model.train()
    with torch.no_grad():
        for k in range(2):
            model.features(formula_tensor(f"warmup{k}", (N, 3, SIZE, SIZE)))
    images = formula_tensor("input", (N, 3, SIZE, SIZE))
    xy, weight, heatmaps = make_targets()
    features = model.features(images)
    head = model.head
    offsets, logits, heatmap_logits = head.offset_conv(features), head.logit_conv(features), head.heatmap_conv(features)
    loss_sar = official_sar_loss(offsets, logits, xy / SIZE, weight)
    loss_hm = quality_focal_loss(heatmap_logits, heatmaps, weight)
    loss = loss_sar + loss_hm
    loss.backward()

    params = list(model.named_parameters())
    buffers = list(model.named_buffers())
    tensors = {
        "target_xy": xy, "target_weight": weight, "target_heatmaps": heatmaps,
        "input_summary": summary(images), "features_summary": summary(features),
        "offsets": offsets, "logits": logits, "heatmap_logits": heatmap_logits,
        "loss_sar": loss_sar, "loss_hm": loss_hm, "loss": loss,
        "grad_summary": torch.stack([summary(p.grad) for _, p in params]),
        "buffer_summary": torch.stack([summary(b) for _, b in buffers]),
    }
    metadata = {"parameters": json.dumps([n for n, _ in params]), "buffers": json.dumps([n for n, _ in buffers])}
    path = os.path.join(OUT_DIR, f"{name}.safetensors")
    safetensors_io.save(path, {k: v.detach() for k, v in tensors.items()}, metadata)
    print(f"{path}: loss {loss.item():.6f} (sar {loss_sar.item():.6f}, hm {loss_hm.item():.6f}), "
          f"{len(params)} parameters, {len(buffers)} buffers, {os.path.getsize(path)} bytes")


def main():
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT_DIR, exist_ok=True)
    resnet = ResNetC5(torchvision.models.resnet18())
    record("resnet18_sar", PoseModel(resnet, SarHead(256, deconv_in=512)))
    record("hrnet_w32_sar", PoseModel(HRNet(32), SarHead(32)))


if __name__ == "__main__":
    main()
