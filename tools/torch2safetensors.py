#!/usr/bin/python3
"""Converts a PyTorch state_dict (.pth) into a safetensors file that `sar` loads by name.

    /usr/bin/python3 tools/torch2safetensors.py IN.pth OUT.safetensors [--strip-prefix P] [--add-prefix P]
    build/sar info --model resnet50 --weights OUT.safetensors --allow-partial

IN is a state_dict (torchvision's, torch.save(model.state_dict())) or a checkpoint dict that
holds one under 'state_dict' (mmpose, mmcv) or 'model' (the official HRNet and others).
Names: --strip-prefix removes P from every name that starts with it (e.g. 'module.' left by
DataParallel), then --add-prefix puts P in front of every name (e.g. 'backbone.' to load a
torchvision ResNet into a pose model, whose names are backbone.*, head.*). Names are module paths,
so a prefix given without its final dot gets one ('backbone' is 'backbone.').
Dtypes: float32, float64, bfloat16 and int64 (BN's num_batches_tracked) are kept; float16
becomes float32 (said in the summary); any other dtype is refused, naming the tensor.

The file is unpickled with torch.load(weights_only=True), which builds only tensors and plain
containers. Checkpoints that also pickle other objects (mmcv's meta, numpy scalars) need
--trust-pickle, which runs the full unpickler: only for files from a source you trust, as
unpickling can run arbitrary code.
"""
import argparse
import collections
import sys

import torch

from safetensors_io import save

KEPT = (torch.float32, torch.float64, torch.bfloat16, torch.int64)


def fail(message):
    print(f"torch2safetensors: {message}", file=sys.stderr)
    sys.exit(1)


def read_state_dict(path, trust_pickle):
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # torch raises pickle, runtime and zip errors alike
        hint = "" if trust_pickle else "; if it pickles more than tensors and you trust it, add --trust-pickle"
        fail(f"{path}: cannot load: {e}{hint}")
    if isinstance(obj, torch.nn.Module):
        fail(f"{path}: holds a whole pickled model, not a state_dict; save model.state_dict() instead")
    if not isinstance(obj, dict):
        fail(f"{path}: expected a state_dict (a dict of tensors), got {type(obj).__name__}")
    for key in ("state_dict", "model"):
        if isinstance(obj.get(key), dict):
            print(f"{path}: a checkpoint dict; converting its '{key}'")
            return obj[key]
    return obj


def convert(state, strip_prefix, add_prefix):
    """-> (name -> tensor, names converted from float16, count of names stripped)"""
    out, halves, stripped = collections.OrderedDict(), [], 0
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            fail(f"'{name}' is a {type(t).__name__}, not a tensor")
        if t.dtype == torch.float16:
            t = t.float()
            halves.append(name)
        elif t.dtype not in KEPT:
            fail(f"'{name}' has dtype {t.dtype}, which sar cannot store "
                 f"(kept: float32, float64, bfloat16, int64; float16 becomes float32)")
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
            stripped += 1
        name = add_prefix + name
        if name in out:
            fail(f"two tensors are named '{name}' after the prefix changes")
        out[name] = t
    return out, halves, stripped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="a .pth state_dict or checkpoint dict")
    ap.add_argument("output", help="the .safetensors file to write")
    ap.add_argument("--strip-prefix", default="", help="removed from names that start with it, e.g. 'module.' "
                    "(the dot is added if missing)")
    ap.add_argument("--add-prefix", default="", help="put in front of every name, e.g. 'backbone.' "
                    "(the dot is added if missing)")
    ap.add_argument("--trust-pickle", action="store_true", help="full unpickling (runs code from the file)")
    args = ap.parse_args()

    # Names are dot-separated module paths, so a prefix is one too: 'backbone' means 'backbone.'.
    args.strip_prefix, args.add_prefix = (p + "." if p and not p.endswith(".") else p
                                          for p in (args.strip_prefix, args.add_prefix))
    state = read_state_dict(args.input, args.trust_pickle)
    if not state:
        fail(f"{args.input}: the state_dict is empty")
    tensors, halves, stripped = convert(state, args.strip_prefix, args.add_prefix)
    save(args.output, tensors, {"converted_from": args.input})

    by_dtype = collections.Counter(str(t.dtype).replace("torch.", "") for t in tensors.values())
    values = sum(t.numel() for t in tensors.values() if t.is_floating_point())
    print(f"{args.output}: {len(tensors)} tensors ({', '.join(f'{n} {d}' for d, n in sorted(by_dtype.items()))}), "
          f"{values:,} floating-point values")
    if halves:
        print(f"converted {len(halves)} float16 tensors to float32 (e.g. '{halves[0]}')")
    if args.strip_prefix:
        print(f"stripped '{args.strip_prefix}' from {stripped} of {len(tensors)} names")
    if args.add_prefix:
        print(f"added '{args.add_prefix}' in front of every name")
    names = list(tensors)
    print(f"first: {names[0]}, last: {names[-1]}")


if __name__ == "__main__":
    main()
