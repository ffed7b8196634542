#!/usr/bin/python3
"""Writes the PyTorch references of the optimizers and the learning-rate schedule:
tests/data/optim/optimizers.safetensors and tests/data/optim/lr_schedule.safetensors.

Run with Debian's Python and PyTorch 1.13 (apt-get install python3-torch):
    /usr/bin/python3 tools/make_optim_fixtures.py

optimizers.safetensors: three float64 parameters, a fixed sequence of gradients over 5 steps
(parameter "c" has no gradient at steps 1 and 3, so PyTorch skips it there) and a learning rate
per step; torch.optim.Adam and torch.optim.SGD (momentum) with and without weight decay run on
them. Tensors, for step k = 0..4 and parameter name:
    init.<name>                 the starting values
    grad.<k>.<name>             the gradient of step k (absent: no gradient at that step)
    lr                          [5] the learning rate of each step
    <case>.<k>.<name>           the parameter after step k
    <case>.state.<name>.<key>   the final state, keys as train/optimizer.h names them
                                (exp_avg, exp_avg_sq, step as a 0-dim int64; momentum_buffer)
    clip<i>.grad.<name>, clip<i>.norm, clip<i>.clipped.<name>
                                torch.nn.utils.clip_grad_norm_: gradients before, the returned
                                norm, the gradients after
The metadata maps each case to its settings as JSON.

lr_schedule.safetensors: the learning rate mmengine gives at a few (step, epoch) points of
LinearLR warmup (by iteration) chained with MultiStepLR or CosineAnnealingLR (by epoch), as
mmpose's configs build them and mmengine's runner steps them (iteration schedulers after every
step, epoch schedulers after every epoch). Tensors <case>.step, <case>.epoch (int64) and <case>.lr
(float64); the metadata holds each case's settings and "source": the mmengine version that
computed them, or "formula" when mmengine is not importable (then the values come from the closed
form of train/lr_schedule.h and test only the C++ code's arithmetic). The committed file was made
with mmengine 0.10.7 installed with pip --no-deps into a venv over /usr/bin/python3's torch.
"""
import json
import math
import os
import zlib

import torch

import safetensors_io

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "optim")

SHAPES = {"a": (3, 4), "b": (5,), "c": (2, 3)}
STEPS = 5
LRS = [1e-2, 2e-2, 5e-3, 1e-2, 3e-2]
MISSING = {(1, "c"), (3, "c")}  # (step, parameter) without a gradient

OPTIMIZER_CASES = {
    "adam": {"name": "adam", "lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "adam_wd": {"name": "adam", "lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1},
    "sgd": {"name": "sgd", "lr": 1e-2, "momentum": 0.9, "weight_decay": 0.0},
    "sgd_wd": {"name": "sgd", "lr": 1e-2, "momentum": 0.9, "weight_decay": 0.05},
}

CLIP_CASES = [2.0, 100.0]  # max_norm: one below the gradients' norm (clips), one above (does not)


def make_torch_optimizer(settings, params):
    if settings["name"] == "adam":
        return torch.optim.Adam(params, lr=settings["lr"], betas=(settings["beta1"], settings["beta2"]),
                                eps=settings["eps"], weight_decay=settings["weight_decay"], foreach=False)
    return torch.optim.SGD(params, lr=settings["lr"], momentum=settings["momentum"],
                           weight_decay=settings["weight_decay"], foreach=False)


def optimizer_fixture():
    gen = torch.Generator().manual_seed(zlib.crc32(b"optimizers"))
    init = {n: torch.randn(*s, generator=gen, dtype=torch.float64) for n, s in SHAPES.items()}
    # gradients over several magnitudes, so eps and the bias corrections all matter
    grads = {}
    for k in range(STEPS):
        for n, s in SHAPES.items():
            if (k, n) not in MISSING:
                scale = 10.0 ** (k % 3 - 1)
                grads[(k, n)] = scale * torch.randn(*s, generator=gen, dtype=torch.float64)
    tensors = {f"init.{n}": t for n, t in init.items()}
    tensors.update({f"grad.{k}.{n}": g for (k, n), g in grads.items()})
    tensors["lr"] = torch.tensor(LRS, dtype=torch.float64)
    metadata = {}

    for case, settings in OPTIMIZER_CASES.items():
        params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
        opt = make_torch_optimizer(settings, list(params.values()))
        for k in range(STEPS):
            for group in opt.param_groups:
                group["lr"] = LRS[k]
            for n, p in params.items():
                p.grad = grads[(k, n)].clone() if (k, n) in grads else None
            opt.step()
            tensors.update({f"{case}.{k}.{n}": p.detach().clone() for n, p in params.items()})
        for n, p in params.items():
            state = opt.state[p]
            if settings["name"] == "adam":
                tensors[f"{case}.state.{n}.exp_avg"] = state["exp_avg"]
                tensors[f"{case}.state.{n}.exp_avg_sq"] = state["exp_avg_sq"]
                tensors[f"{case}.state.{n}.step"] = torch.tensor(int(state["step"].item()), dtype=torch.int64)
            else:
                tensors[f"{case}.state.{n}.momentum_buffer"] = state["momentum_buffer"]
        metadata[case] = json.dumps(settings)

    for i, max_norm in enumerate(CLIP_CASES):
        params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
        for n, p in params.items():
            p.grad = grads[(1, n)].clone() if (1, n) in grads else None  # "c" has none: counts as zero
        before = {n: p.grad.clone() for n, p in params.items() if p.grad is not None}
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        tensors.update({f"clip{i}.grad.{n}": g for n, g in before.items()})
        tensors[f"clip{i}.norm"] = norm.detach().clone()
        tensors.update({f"clip{i}.clipped.{n}": p.grad.clone() for n, p in params.items() if p.grad is not None})
        metadata[f"clip{i}"] = json.dumps({"max_norm": max_norm})
    safetensors_io.save_fixture(OUT_DIR, "optimizers.safetensors", tensors, metadata)


# ---- learning-rate schedule ----

LR_CASES = {
    # the official recipe (SAR_SPEC.md section 4) with 100 iterations per epoch
    "recipe": {"lr": 5e-4, "kind": "step", "milestones": [170, 200], "gamma": 0.1, "epochs": 210,
               "warmup_iters": 500, "warmup_factor": 0.001, "iters_per_epoch": 100},
    # a milestone inside the warmup: the two schedulers' factors multiply
    "early_milestones": {"lr": 1e-3, "kind": "step", "milestones": [2, 4], "gamma": 0.5, "epochs": 8,
                         "warmup_iters": 500, "warmup_factor": 0.01, "iters_per_epoch": 100},
    "cosine": {"lr": 2e-3, "kind": "cosine", "milestones": [], "gamma": 0.1, "epochs": 10,
               "warmup_iters": 300, "warmup_factor": 0.001, "iters_per_epoch": 100},
}


def lr_points(c):
    """(step, epoch) points: warmup start, middle and end, milestone and epoch edges, the end."""
    ipe, w = c["iters_per_epoch"], c["warmup_iters"]
    steps = {0, 1, w // 2, w - 2, w - 1, w, w + 1, c["epochs"] * ipe - 1}
    for e in c["milestones"] + [c["epochs"] // 2]:
        steps.update({e * ipe - 1, e * ipe, e * ipe + 1})
    return sorted((s, s // ipe) for s in steps if 0 <= s < c["epochs"] * ipe)


def mmengine_lrs(c, points):
    """Replays mmengine's runner: schedulers built before step 0; after each step the iteration
    ones step, after each epoch the epoch ones."""
    from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR, MultiStepLR

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=c["lr"])
    schedulers = [LinearLR(opt, start_factor=c["warmup_factor"], by_epoch=False, begin=0, end=c["warmup_iters"])]
    if c["kind"] == "step":
        schedulers.append(MultiStepLR(opt, milestones=c["milestones"], gamma=c["gamma"], begin=0, end=c["epochs"],
                                      by_epoch=True))
    else:
        schedulers.append(CosineAnnealingLR(opt, T_max=c["epochs"], eta_min=0, begin=0, end=c["epochs"],
                                            by_epoch=True))
    wanted, out, step = set(points), {}, 0
    for epoch in range(c["epochs"]):
        for _ in range(c["iters_per_epoch"]):
            if (step, epoch) in wanted:
                out[(step, epoch)] = opt.param_groups[0]["lr"]
            opt.step()
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
            step += 1
        for s in schedulers:
            if s.by_epoch:
                s.step()
    return [out[p] for p in points]


def formula_lrs(c, points):
    """train/lr_schedule.h's closed form, for machines without mmengine."""
    out = []
    for step, epoch in points:
        if c["kind"] == "step":
            base = c["lr"] * c["gamma"] ** sum(m <= epoch for m in c["milestones"])
        else:
            base = c["lr"] * (1 + math.cos(math.pi * min(epoch, c["epochs"] - 1) / c["epochs"])) / 2
        last = c["warmup_iters"] - 1
        out.append(base * (c["warmup_factor"] + (1 - c["warmup_factor"]) * min(step, last) / last))
    return out


def lr_schedule_fixture():
    try:
        import mmengine
        source, compute = f"mmengine {mmengine.__version__}", mmengine_lrs
    except ImportError:
        source, compute = "formula", formula_lrs
        print("mmengine is not importable: the learning rates come from the closed form (source 'formula')")
    tensors, metadata = {}, {}
    for case, c in LR_CASES.items():
        points = lr_points(c)
        tensors[f"{case}.step"] = torch.tensor([s for s, _ in points], dtype=torch.int64)
        tensors[f"{case}.epoch"] = torch.tensor([e for _, e in points], dtype=torch.int64)
        tensors[f"{case}.lr"] = torch.tensor(compute(c, points), dtype=torch.float64)
        metadata[case] = json.dumps(dict(c, source=source))
    safetensors_io.save_fixture(OUT_DIR, "lr_schedule.safetensors", tensors, metadata)


def main():
    optimizer_fixture()
    lr_schedule_fixture()


if __name__ == "__main__":
    main()
