"""Minimal safetensors writer and reader for the tools/ scripts (the format is a few lines:
8-byte little-endian header length, a JSON header, the raw little-endian data), so the
scripts need nothing beyond torch."""
import json
import struct

import torch

_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.bfloat16: "BF16", torch.int64: "I64"}
_TORCH = {v: k for k, v in _DTYPES.items()}


def save(path, tensors, metadata=None):
    """tensors: name -> torch.Tensor of float32, float64, bfloat16 or int64 (in that order kept)."""
    header = {"__metadata__": metadata} if metadata else {}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} is not one of F32, F64, BF16, I64; convert it first")
        data = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load(path):
    """-> (name -> torch.Tensor, metadata dict)"""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dtype = _TORCH[e["dtype"]]
        raw = bytearray(data[begin:end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out, metadata


def save_fixture(out_dir, filename, tensors, metadata):
    """Writes one test fixture (tests/data/...) and says what it wrote; returns its path."""
    import os
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, filename)
    save(path, tensors, metadata)
    print(f"{path}: {len(metadata)} cases, {os.path.getsize(path)} bytes")
    return path
