#!/usr/bin/python3
"""Writes PyTorch reference fixtures for the layer ops under tests/data/layers/.

Run with Debian's Python and PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tools/make_layer_fixtures.py

For every case of every layer it stores, in float64: the inputs and weights, the forward
output, a fixed random tensor r, and the gradients of sum(r * output) with respect to the
input and every weight. tests/test_layer_fixtures.cpp recomputes them with our ops and must
match to 1e-10 (CPU, float64) and to ~1e-4 relative (CUDA, float32).

One safetensors file per layer; tensor names are "<case>.<what>" and the metadata maps each
case name to its settings as JSON (written by tools/safetensors_io.py: nothing beyond torch).
"""
import json
import os
import zlib

import torch
import torch.nn.functional as F

import safetensors_io

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "layers")


class Cases:
    """Collects the cases of one layer and writes them as one file."""

    def __init__(self, layer):
        self.layer, self.tensors, self.metadata = layer, {}, {}
        self.gen = torch.Generator().manual_seed(zlib.crc32(layer.encode()))  # stable across runs

    def randn(self, *shape):
        return torch.randn(*shape, generator=self.gen, dtype=torch.float64)

    def add(self, case, settings, fn, inputs, extra=None):
        """fn(**inputs) -> output; every input gets a gradient of sum(r * output)."""
        leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
        out = fn(**leaves)
        r = self.randn(*out.shape)
        (out * r).sum().backward()
        self.metadata[case] = json.dumps(settings)
        for k, v in inputs.items():
            self.tensors[f"{case}.{k}"] = v
            self.tensors[f"{case}.grad_{k}"] = leaves[k].grad
        self.tensors[f"{case}.out"] = out
        self.tensors[f"{case}.r"] = r
        for k, v in (extra or {}).items():
            self.tensors[f"{case}.{k}"] = v

    def write(self):
        safetensors_io.save_fixture(OUT_DIR, f"{self.layer}.safetensors",
                                    {k: v.to(torch.float64) for k, v in self.tensors.items()}, self.metadata)


def conv2d_cases():
    c = Cases("conv2d")
    geometries = [  # (N, Cin, H, W, Cout, k, stride, pad, dilation, bias)
        (1, 3, 7, 6, 4, 3, 1, 1, 1, True),
        (3, 2, 9, 8, 3, 3, 2, 1, 1, False),
        (2, 3, 11, 9, 2, 7, 2, 3, 1, True),   # the ResNet stem's shape of conv
        (2, 4, 5, 5, 3, 1, 1, 0, 1, True),    # 1x1 fast path
        (2, 2, 9, 7, 2, 3, 1, 2, 2, True),    # dilation
        (1, 4, 6, 6, 5, 1, 2, 0, 1, False),   # 1x1 stride 2 (ResNet downsample)
    ]
    for i, (n, cin, h, w, cout, k, s, p, d, bias) in enumerate(geometries):
        inputs = {"x": c.randn(n, cin, h, w), "weight": c.randn(cout, cin, k, k)}
        if bias:
            inputs["bias"] = c.randn(cout)
        settings = {"stride": s, "padding": p, "dilation": d}
        c.add(f"case{i}", settings,
              lambda x, weight, bias=None: F.conv2d(x, weight, bias, stride=s, padding=p, dilation=d), inputs)
    c.write()


def conv_transpose2d_cases():
    c = Cases("conv_transpose2d")
    geometries = [  # (N, Cin, H, W, Cout, k, stride, pad, output_pad, dilation, bias)
        (2, 3, 4, 3, 2, 4, 2, 1, 0, 1, False),  # SimpleBaseline's deconv
        (1, 2, 5, 5, 3, 3, 2, 1, 1, 1, True),
        (3, 2, 3, 4, 2, 3, 1, 0, 0, 1, True),
        (1, 2, 4, 4, 2, 3, 2, 0, 1, 2, False),  # dilation, output_padding < dilation
    ]
    for i, (n, cin, h, w, cout, k, s, p, op, d, bias) in enumerate(geometries):
        inputs = {"x": c.randn(n, cin, h, w), "weight": c.randn(cin, cout, k, k)}
        if bias:
            inputs["bias"] = c.randn(cout)
        settings = {"stride": s, "padding": p, "output_padding": op, "dilation": d}
        c.add(f"case{i}", settings,
              lambda x, weight, bias=None: F.conv_transpose2d(x, weight, bias, stride=s, padding=p,
                                                              output_padding=op, dilation=d), inputs)
    c.write()


def batch_norm2d_cases():
    c = Cases("batch_norm2d")
    for i, (shape, training) in enumerate([((3, 4, 5, 2), True), ((2, 3, 4, 4), False), ((1, 2, 3, 5), True)]):
        n, ch = shape[0], shape[1]
        running_mean, running_var = c.randn(ch), c.randn(ch).abs() + 0.5
        inputs = {"x": c.randn(*shape) * 2 + 1, "weight": c.randn(ch), "bias": c.randn(ch)}
        rm, rv = running_mean.clone(), running_var.clone()
        c.add(f"case{i}", {"training": training, "momentum": 0.1, "eps": 1e-5},
              lambda x, weight, bias: F.batch_norm(x, rm, rv, weight, bias, training=training, momentum=0.1,
                                                   eps=1e-5),
              inputs,
              extra={"running_mean": running_mean, "running_var": running_var,
                     "running_mean_after": rm, "running_var_after": rv})
    c.write()


def pooling_cases():
    c = Cases("max_pool2d")
    for i, (shape, k, s, p) in enumerate([((2, 3, 9, 7), 3, 2, 1), ((1, 2, 6, 6), 2, 2, 0), ((2, 2, 5, 8), 3, 1, 1)]):
        c.add(f"case{i}", {"kernel": k, "stride": s, "padding": p},
              lambda x: F.max_pool2d(x, k, s, p), {"x": c.randn(*shape)})
    c.write()
    c = Cases("adaptive_avg_pool2d")
    for i, shape in enumerate([(2, 3, 4, 5), (1, 6, 7, 3)]):
        c.add(f"case{i}", {}, lambda x: F.adaptive_avg_pool2d(x, 1), {"x": c.randn(*shape)})
    c.write()


def upsample_cases():
    c = Cases("upsample_nearest2d")
    for i, (shape, scale) in enumerate([((2, 3, 3, 4), 2), ((1, 2, 2, 3), 4), ((1, 1, 2, 2), 8)]):
        c.add(f"case{i}", {"scale": scale}, lambda x: F.interpolate(x, scale_factor=scale, mode="nearest"),
              {"x": c.randn(*shape)})
    c.write()
    c = Cases("upsample_bilinear2d")
    for i, (shape, size, align) in enumerate([((2, 3, 3, 4), (6, 8), False), ((1, 2, 5, 3), (7, 11), False),
                                               ((1, 2, 4, 4), (9, 5), True), ((1, 1, 6, 6), (3, 4), False)]):
        c.add(f"case{i}", {"out_h": size[0], "out_w": size[1], "align_corners": align},
              lambda x: F.interpolate(x, size=size, mode="bilinear", align_corners=align), {"x": c.randn(*shape)})
    c.write()


def linear_relu_cases():
    c = Cases("linear")
    for i, (n, fin, fout) in enumerate([(3, 5, 4), (1, 7, 2)]):
        c.add(f"case{i}", {}, lambda x, weight, bias: F.linear(x, weight, bias),
              {"x": c.randn(n, fin), "weight": c.randn(fout, fin), "bias": c.randn(fout)})
    c.write()


if __name__ == "__main__":
    torch.manual_seed(0)
    conv2d_cases()
    conv_transpose2d_cases()
    batch_norm2d_cases()
    pooling_cases()
    upsample_cases()
    linear_relu_cases()
