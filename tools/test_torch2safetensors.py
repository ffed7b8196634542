#!/usr/bin/python3
"""Checks tools/torch2safetensors.py and `sar info --weights` against torchvision, by hand
(it needs PyTorch, so `make test` never runs it):

    /usr/bin/python3 tools/test_torch2safetensors.py [--sar build/sar]

Randomly initialized torchvision ResNets (nothing downloaded; BN statistics and affine
parameters randomized, so a swapped mean and variance would show) are saved as .pth, converted
with --add-prefix backbone. (once as plain "backbone": the dot is added), and loaded into our pose models:
  1. resnet18, float16, in an mmpose-style checkpoint dict with DataParallel's 'module.'
     prefix: every backbone tensor loads, only head.* is missing, only backbone.fc.* unexpected;
  2. the same file into resnet50: the mis-shaped tensors are listed by name;
  3. resnet50 in strict mode: refused (exit 1), naming the first missing and unexpected tensors;
  4. the converter refuses an int32 tensor and a non-tensor entry by name, and a pickled float
     without --trust-pickle;
  5. resnet50, float32: our backbone gives torchvision's C5 in eval mode on a fixed input
     (`sar info --check-features`), and a perturbed expectation is refused.
Prints one line per check and exits 1 at the first failure.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import torch
import torchvision

from safetensors_io import save

TOOLS = os.path.dirname(os.path.abspath(__file__))


def run(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def check(ok, what, output=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        print(output)
        sys.exit(1)


def listed(output, title):
    """The names under a `sar info --weights` section ("missing (...): N" then indented lines)."""
    names, inside = [], False
    for line in output.splitlines():
        if line.startswith(title):
            inside = True
        elif inside and line.startswith("  "):
            names.append(line.split()[0].rstrip(":"))
        elif inside:
            break
    return names


def randomized(name):
    """A torchvision ResNet with random weights and random BN statistics, in eval mode."""
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0.0, 0.1)
            m.num_batches_tracked.fill_(7)
    return model.eval()


def convert(pth, out, *flags):
    return run([sys.executable, os.path.join(TOOLS, "torch2safetensors.py"), pth, out, *flags])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sar", default=os.environ.get("SAR_BIN", "build/sar"))
    args = ap.parse_args()
    sar = args.sar
    with tempfile.TemporaryDirectory() as tmp:
        path = lambda name: os.path.join(tmp, name)

        # 1. float16, checkpoint dict, DataParallel prefix
        r18 = randomized("resnet18").half()
        state = {"module." + k: v for k, v in r18.state_dict().items()}
        torch.save({"state_dict": state, "meta": {"epoch": 3}}, path("r18.pth"))
        rc, out = convert(path("r18.pth"), path("r18.safetensors"), "--strip-prefix", "module.",
                          "--add-prefix", "backbone.")
        check(rc == 0 and "converting its 'state_dict'" in out and "converted 102 float16 tensors to float32" in out
              and "stripped 'module.' from 122 of 122 names" in out,
              "resnet18 .pth (float16, checkpoint dict) converts", out)
        rc, out = run([sar, "info", "--model", "resnet18", "--weights", path("r18.safetensors"), "--allow-partial"])
        missing, unexpected = listed(out, "missing"), listed(out, "unexpected")
        check(rc == 0 and "loaded 120 tensors" in out and missing and all(n.startswith("head.") for n in missing)
              and sorted(unexpected) == ["backbone.fc.bias", "backbone.fc.weight"]
              and "mis-shaped (not loaded): 0" in out,
              "resnet18: every backbone tensor loads, only head.* missing, only backbone.fc.* unexpected", out)

        # 2. the wrong depth: mis-shaped tensors listed by name
        rc, out = run([sar, "info", "--model", "resnet50", "--weights", path("r18.safetensors"), "--allow-partial"])
        check(rc == 0 and "backbone.layer1.0.conv1.weight" in listed(out, "mis-shaped"),
              "resnet18 weights into resnet50: mis-shaped tensors listed by name", out)

        # 5 (first the conversion it needs). float32 ResNet-50 and its C5 on a fixed input
        r50 = randomized("resnet50")
        torch.save(r50.state_dict(), path("r50.pth"))
        rc, out = convert(path("r50.pth"), path("r50.safetensors"), "--add-prefix", "backbone")  # the dot is added
        check(rc == 0 and "320 tensors (267 float32, 53 int64)" in out, "resnet50 .pth converts", out)
        rc, out = run([sar, "info", "--model", "resnet50", "--weights", path("r50.safetensors"), "--allow-partial"])
        missing = listed(out, "missing")
        check(rc == 0 and "loaded 318 tensors" in out and all(n.startswith("head.") for n in missing),
              "resnet50: every backbone tensor loads, only head.* missing", out)

        # 3. strict mode
        rc, out = run([sar, "info", "--model", "resnet50", "--weights", path("r50.safetensors")])
        check(rc == 1 and "the weights do not match the model: missing tensor 'head.deconv_layers.0.weight'" in out
              and "unexpected tensor 'backbone.fc.weight'" in out and "--allow-partial" in out,
              "resnet50 strict: refused, naming the first missing and unexpected tensors", out)

        # 4. what the converter refuses
        torch.save({"conv.weight": torch.zeros(2, dtype=torch.int32)}, path("int32.pth"))
        rc, out = convert(path("int32.pth"), path("x.safetensors"))
        check(rc == 1 and "'conv.weight' has dtype torch.int32" in out, "converter refuses int32 by name", out)
        torch.save({"conv.weight": torch.zeros(2), "lr": 0.1}, path("mixed.pth"))
        rc, out = convert(path("mixed.pth"), path("x.safetensors"))
        check(rc == 1 and "--trust-pickle" in out, "a pickled float needs --trust-pickle (weights_only refuses it)",
              out)
        rc, out = convert(path("mixed.pth"), path("x.safetensors"), "--trust-pickle")
        check(rc == 1 and "'lr' is a float, not a tensor" in out, "converter refuses a non-tensor entry by name", out)

        # 5. C5 features against torchvision's in eval mode
        c5_net = torch.nn.Sequential(*list(r50.children())[:-2])
        images = torch.randn(2, 3, 128, 96, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            expected = c5_net(images)
        save(path("c5.safetensors"), {"input": images, "expected": expected})
        rc, out = run([sar, "info", "--model", "resnet50", "--weights", path("r50.safetensors"), "--allow-partial",
                       "--check-features", path("c5.safetensors")])
        rel = re.search(r"relative (\S+)", out)
        check(rc == 0 and rel is not None, f"resnet50 C5 equals torchvision's (relative difference "
              f"{rel.group(1) if rel else '?'})", out)
        save(path("c5_off.safetensors"), {"input": images, "expected": expected * 1.001})
        rc, out = run([sar, "info", "--model", "resnet50", "--weights", path("r50.safetensors"), "--allow-partial",
                       "--check-features", path("c5_off.safetensors")])
        check(rc == 1 and "the backbone's output differs from 'expected'" in out,
              "a C5 expectation off by 0.1% is refused", out)
    print("all checks passed")


if __name__ == "__main__":
    main()
