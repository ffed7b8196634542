#!/usr/bin/python3
"""PyTorch baseline for `sar bench model`: one training step of the same pose model, timed and
measured the same way.

    /usr/bin/python3 tools/bench_model_torch.py [--device cpu|cuda] [--model resnet50] [--input 256x192]
                                                [--batch 8] [--keypoints 17] [--reps 3] [--tf32] > model_torch.json
    build/sar bench model --baseline model_torch.json

The model is ours layer for layer: torchvision's ResNet without avgpool and fc (random init,
nothing downloaded) with SimpleBaseline's 3 x (ConvTranspose2d k4 s2 p1 without bias, BatchNorm,
ReLU) with 256 channels, or HRNet-W32/W48 (the rebuild of tools/make_model_fixtures.py, whose
stride-4 branch feeds the head directly); then the SAR head's three 1x1 convs: offsets (2J),
selector logits (J) and the auxiliary heatmap logits (J). The loss is the SAR loss of tools/bench_sar_torch.py plus
the quality focal loss of layers/heads/qfl_loss.h, both in torch ops. One step is forward +
loss + backward + torch.optim.Adam step (lr 5e-4, PyTorch's default implementation for the
device), BN in training mode; the median of --reps after one warm-up.

Peak memory during the steps, and its growth over what was in use before them:
  cpu   the resident set's high-water mark (VmHWM: what ru_maxrss reports, but reset before the
        steps through /proc/self/clear_refs, so torch's start-up peak does not count)
  cuda  torch.cuda.max_memory_allocated after reset_peak_memory_stats
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from bench_sar_torch import sar_loss
from bench_util import median_ms, set_math
from make_model_fixtures import HRNet

HRNET_WIDTHS = {"hrnet_w32": 32, "hrnet_w48": 48}


def quality_focal_loss(z, y, weight, threshold=0.7):
    valid = (weight > 0).float()[:, :, None, None]
    p = torch.sigmoid(z)
    per_cell = F.binary_cross_entropy_with_logits(z, y, reduction="none") * (y - p).pow(2)
    num_pos = ((y > threshold).float() * valid).sum().clamp(min=1.0)
    return (per_cell * valid).sum() / num_pos


class PoseModel(nn.Module):
    def __init__(self, backbone, keypoints, channels=256):
        super().__init__()
        if backbone in HRNET_WIDTHS:  # the stride-4 branch is the feature map: no deconvs
            channels = HRNET_WIDTHS[backbone]
            self.backbone = HRNet(channels)
            self.deconv_layers = nn.Identity()
        else:
            resnet = getattr(torchvision.models, backbone)(weights=None)
            self.backbone = nn.Sequential(*list(resnet.children())[:-2])  # up to layer4: C5, stride 32
            layers, cin = [], resnet.fc.in_features
            for _ in range(3):
                layers += [nn.ConvTranspose2d(cin, channels, 4, 2, 1, bias=False), nn.BatchNorm2d(channels),
                           nn.ReLU()]
                cin = channels
            self.deconv_layers = nn.Sequential(*layers)
        self.offset_conv = nn.Conv2d(channels, 2 * keypoints, 1)
        self.logit_conv = nn.Conv2d(channels, keypoints, 1)
        self.heatmap_conv = nn.Conv2d(channels, keypoints, 1)

    def loss(self, images, xy, weight, heatmaps):
        f = self.deconv_layers(self.backbone(images))
        target = xy / torch.tensor([images.shape[3], images.shape[2]], device=xy.device)  # map-normalized
        return (sar_loss(self.offset_conv(f), self.logit_conv(f), target, weight)
                + quality_focal_loss(self.heatmap_conv(f), heatmaps, weight))


def proc_status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak_rss():
    """VmHWM back to the current resident set, so the peak is the steps' own, not the import's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--model", default="resnet50", choices=["resnet18", "resnet34", "resnet50", "resnet101",
                                                            "resnet152", *HRNET_WIDTHS])
    ap.add_argument("--input", default="256x192")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--keypoints", type=int, default=17)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tf32", action="store_true", help="TF32 tensor cores on the GPU (sar bench model --tf32)")
    args = ap.parse_args()
    math = set_math(args.device, args.tf32)
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    h, w = (int(v) for v in args.input.split("x"))
    if h % 32 or w % 32:
        ap.error(f"--input must be a multiple of 32 (the backbone's stride), got {args.input}")
    n, j, dev = args.batch, args.keypoints, args.device
    model = PoseModel(args.model, j).to(dev).train()
    images = torch.randn(n, 3, h, w, device=dev)
    xy = torch.rand(n, j, 2, device=dev) * min(h, w)
    weight = torch.ones(n, j, device=dev)
    heatmaps = torch.rand(n, j, h // 4, w // 4, device=dev)

    adam = torch.optim.Adam(model.parameters(), lr=5e-4)

    def step():
        model.loss(images, xy, weight, heatmaps).backward()
        adam.step()
        model.zero_grad(set_to_none=True)

    if dev == "cuda":
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        measure = "torch.cuda.max_memory_allocated"
    else:
        before = proc_status_bytes("VmRSS")
        measure = "VmHWM reset before the steps"
        if not reset_peak_rss():
            sys.exit("bench_model_torch.py: cannot reset the peak resident set (/proc/self/clear_refs); "
                     "Linux >= 4.0 allows it")
    ms = median_ms(step, dev, args.reps)
    if dev == "cuda":
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = proc_status_bytes("VmHWM")
    print(f"train step {ms:10.1f} ms, {n * 1000.0 / ms:.2f} img/s, peak {peak / 2**20:.0f} MiB "
          f"(growth {(peak - before) / 2**20:.0f} MiB, {measure})", file=sys.stderr)
    json.dump({"label": f"torch{torch.__version__.split('+')[0]}", "device": dev, "math": math,
               "threads": torch.get_num_threads(),
               "setup": f"{args.model} sar {h}x{w} J{j} batch {n} on {dev}",
               "results": [{"name": "train step", "ms": ms}],
               "memory": {"peak_bytes": peak, "growth_bytes": peak - before, "measure": measure}},
              sys.stdout, indent=1)


if __name__ == "__main__":
    main()
