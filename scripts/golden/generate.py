"""Golden fixtures for lucid-optim, produced by the real torch.optim.Adam and torch.optim.AdamW.

Run from the repository root:

    python3 -m venv .venv-golden && .venv-golden/bin/pip install -r scripts/golden/requirements.txt && .venv-golden/bin/python scripts/golden/generate.py

Writes one JSON file per case into each of four directories (and nothing else):

  test/fixtures/torch-adam/         torch as installed: ATen picks the CPU's best kernels
                                    (AVX2 or AVX512 on x86-64), which fuse multiply-adds;
  test/fixtures/torch-adam-nofma/   the same cases with ATEN_CPU_CAPABILITY=default: ATen's
                                    generic kernels, no FMA, every operation rounded on its own;
  test/fixtures/torch-adamw/        the same for torch.optim.AdamW(foreach=False) (weight decay
  test/fixtures/torch-adamw-nofma/  decoupled: the parameter is multiplied by 1 - lr * wd first).

`--optimizer adam` or `--optimizer adamw` writes one optimizer's sets only (default: both).

ATen reads ATEN_CPU_CAPABILITY once, when torch is imported, so one process can only produce
one set: the script writes the native set itself and then re-runs itself with
`--variant nofma` (environment variable set before `import torch`) for the other.
`--variant native` or `--variant nofma` writes one set only.
Every case steps two float32 CPU parameters (shape [7] and shape [4, 4]) for 25
steps with torch.optim.Adam(foreach=False) (or AdamW(foreach=False)), i.e.
PyTorch's single-tensor path. At step 10 the second parameter has no gradient, so
PyTorch skips it (no weight decay either) and its state step does not advance.
Every AdamW case is also run with torch.optim.Adam(decoupled_weight_decay=True)
on the same data, and the script asserts that parameters and state are the same
bits after every step (the fixture then says "adamDecoupledIdentical": true).

Initial values and gradients come from Python's random.Random with a fixed seed
per case (its random() stream is stable across Python versions), so rerunning
the script with the pinned torch produces byte-identical files on Linux x86-64
with AVX2 or AVX512. torch's float32 results are not the same everywhere: its
AVX2/AVX512 kernels fuse multiply-adds (ATEN_CPU_CAPABILITY=default does not),
and torch.sqrt goes through MKL's VML, which is not correctly rounded.

The script also steps a float64 numpy model of the Adam formula next to torch
and prints, per case, how far torch's float32 parameters end up from it, and it
checks that the amsgrad case really tells PyTorch's AMSGrad (maximum of the raw
second moment) apart from a maximum of the bias-corrected second moment.

JSON layout (camelCase): generatedBy, torchVersion, variant ("native" or "nofma"),
cpuCapability (what torch.backends.cpu.get_cpu_capability() reported), case,
[AdamW only: optimizer "AdamW", adamDecoupledIdentical], groups (AdamW groups also carry
decoupledWeightDecay: true), lrSchedule,
params (shape + flattened row-major initial values), grads[step][param]
(null = no gradient that step), checkpoints after steps 1, 2, 3, 10, 11 and 25
(params and per-parameter state; a state entry is null before a parameter has
state, maxExpAvgSq only when its group has amsgrad). Numbers are float32 values
written as the shortest decimal that parses back to the same double.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

# variant -> (fixture directory suffix, ATEN_CPU_CAPABILITY to import torch with; None = unset, the CPU's best)
VARIANTS = {
    "native": ("", None),
    "nofma": ("-nofma", "default"),
}
# optimizer -> fixture directory prefix
OPTIMIZERS = {
    "adam": "torch-adam",
    "adamw": "torch-adamw",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Write PyTorch Adam golden fixtures.")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        help="write one fixture set only (default: both, the second by re-running this script)",
    )
    parser.add_argument(
        "--optimizer",
        choices=sorted(OPTIMIZERS),
        help="write one optimizer's fixtures only (default: both)",
    )
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
VARIANT = ARGS.variant or "native"
# ATen reads the variable when torch is imported: it must be right before `import torch`.
if VARIANTS[VARIANT][1] is None:
    os.environ.pop("ATEN_CPU_CAPABILITY", None)
else:
    os.environ["ATEN_CPU_CAPABILITY"] = VARIANTS[VARIANT][1]

import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATED_BY = "scripts/golden/generate.py"


def out_dir(optimizer: str) -> Path:
    return REPO_ROOT / "test" / "fixtures" / (OPTIMIZERS[optimizer] + VARIANTS[VARIANT][0])


STEPS = 25
NO_GRAD_STEP = 10  # 1-based step at which the second parameter has grad None
NO_GRAD_PARAM = 1
CHECKPOINT_STEPS = (1, 2, 3, 10, 11, 25)
SHAPES = ((7,), (4, 4))

# torch.optim.Adam defaults, spelled out so each case lists what it changes.
DEFAULTS = {
    "lr": 1e-3,
    "betas": (0.9, 0.999),
    "eps": 1e-8,
    "weight_decay": 0,
    "amsgrad": False,
    "maximize": False,
}


@dataclass(frozen=True)
class Case:
    """One fixture: parameter groups (torch keyword names), lr changes, data shape."""

    name: str
    # Each group: (param indices, options overriding DEFAULTS).
    groups: tuple[tuple[tuple[int, ...], dict], ...]
    # (after_step, group_index, new_lr): set param_groups[g]["lr"] once step after_step is done.
    lr_schedule: tuple[tuple[int, int, float], ...] = ()
    # Step-1 gradients large, later ones small: separates the two AMSGrad variants.
    large_first_grad: bool = False
    # torch.optim.AdamW (Adam with decoupled_weight_decay=True, weight_decay default 1e-2)
    decoupled: bool = False


CASES = (
    Case("default", (((0, 1), {}),)),
    Case("weight-decay", (((0, 1), {"weight_decay": 1e-2}),)),
    Case("amsgrad", (((0, 1), {"amsgrad": True}),), large_first_grad=True),
    Case("maximize", (((0, 1), {"maximize": True}),)),
    Case(
        "all-options",
        (
            (
                (0, 1),
                {
                    "lr": 5e-2,
                    "betas": (0.8, 0.95),
                    "eps": 1e-6,
                    "weight_decay": 1e-2,
                    "amsgrad": True,
                    "maximize": True,
                },
            ),
        ),
    ),
    # beta1 < 0.5 makes lerp's weight 1 - beta1 >= 0.5: torch.lerp takes its other branch.
    Case("small-beta1", (((0, 1), {"lr": 1e-2, "betas": (0.3, 0.9)}),)),
    Case("lr-change", (((0, 1), {}),), lr_schedule=((12, 0, 1e-2),)),
    Case(
        "two-groups",
        (
            ((0,), {"lr": 1e-2, "betas": (0.9, 0.99)}),
            ((1,), {"lr": 1e-3, "weight_decay": 1e-2, "amsgrad": True}),
        ),
    ),
)

# torch.optim.AdamW cases (weight_decay defaults to 1e-2 there). Names are the seeds of the
# data, so a case named like an Adam case gets the same initial values and gradients.
ADAMW_CASES = (
    Case("default", (((0, 1), {}),), decoupled=True),
    Case("weight-decay-0", (((0, 1), {"weight_decay": 0}),), decoupled=True),
    Case("large-decay", (((0, 1), {"lr": 5e-2, "weight_decay": 0.5}),), decoupled=True),
    Case("amsgrad", (((0, 1), {"amsgrad": True}),), large_first_grad=True, decoupled=True),
    Case("maximize", (((0, 1), {"maximize": True}),), decoupled=True),
    Case(
        "all-options",
        (
            (
                (0, 1),
                {
                    "lr": 5e-2,
                    "betas": (0.8, 0.95),
                    "eps": 1e-6,
                    "weight_decay": 0.1,
                    "amsgrad": True,
                    "maximize": True,
                },
            ),
        ),
        decoupled=True,
    ),
    Case("small-beta1", (((0, 1), {"lr": 1e-2, "betas": (0.3, 0.9)}),), decoupled=True),
    # The decay factor 1 - lr * wd follows the lr change.
    Case("lr-change", (((0, 1), {}),), lr_schedule=((12, 0, 1e-2),), decoupled=True),
    Case(
        "two-groups",
        (
            ((0,), {"lr": 1e-2, "betas": (0.9, 0.99), "weight_decay": 5e-2}),
            ((1,), {"lr": 1e-3, "weight_decay": 0, "amsgrad": True}),
        ),
        decoupled=True,
    ),
)

CASES_OF = {"adam": CASES, "adamw": ADAMW_CASES}


# ---------------------------------------------------------------------------
# Data


def f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def spread_magnitude(rng: random.Random, lo: float = -6.0, hi: float = 3.0) -> float:
    """sign-free 10**uniform(lo, hi): values from 1e-6 to 1e3 by default."""
    return 10.0 ** rng.uniform(lo, hi)


def pick_flip(prev: np.ndarray, start: int, avoid: int) -> int:
    """An element that was nonzero last step (and is kept nonzero now), so its sign flip shows."""
    n = len(prev)
    for k in range(n):
        e = (start + k) % n
        if e != avoid and prev[e] != 0:
            return e
    return -1


def make_data(case: Case):
    """Initial values and the gradient sequence for one case.

    Gradients: about 1 in 8 elements exactly zero each step (at least one per
    parameter per step), and each nonzero element keeps its previous sign or
    flips it (at least one flip per parameter per step after step 1).
    """
    rng = random.Random(zlib.crc32(case.name.encode()))
    sizes = [math.prod(s) for s in SHAPES]
    initial = [
        f32([rng.choice((-1.0, 1.0)) * spread_magnitude(rng) for _ in range(n)])
        for n in sizes
    ]

    grads: list[list[np.ndarray | None]] = []
    signs = [[rng.choice((-1.0, 1.0)) for _ in range(n)] for n in sizes]
    prev = [np.zeros(n, dtype=np.float32) for n in sizes]  # last gradient each param got
    for step in range(1, STEPS + 1):
        row: list[np.ndarray | None] = []
        for j, n in enumerate(sizes):
            forced_zero = (step * 5 + j * 3) % n
            forced_flip = pick_flip(prev[j], start=forced_zero + 1 + step, avoid=forced_zero)
            values = []
            for e in range(n):
                flip = rng.random() < 0.35 or e == forced_flip
                if flip and step > 1:
                    signs[j][e] = -signs[j][e]
                if e == forced_zero or (e != forced_flip and rng.random() < 0.125):
                    values.append(0.0)
                    continue
                if case.large_first_grad:
                    mag = spread_magnitude(rng, 1.0, 3.0) if step == 1 else spread_magnitude(rng, -6.0, 0.0)
                else:
                    mag = spread_magnitude(rng)
                values.append(signs[j][e] * mag)
            row.append(f32(values))
        if step == NO_GRAD_STEP:
            row[NO_GRAD_PARAM] = None
        prev = [p if g is None else g for p, g in zip(prev, row)]
        grads.append(row)
    return initial, grads


def check_data(initial, grads) -> None:
    for j in range(len(SHAPES)):
        seq = [g[j] for g in grads if g[j] is not None]
        assert all((g == 0).any() for g in seq), "every step needs an exact zero"
        flips = [((a * b) < 0).any() for a, b in zip(seq, seq[1:])]
        assert all(flips), "every step after the first needs a sign flip"
        assert all(np.isfinite(g).all() for g in seq) and np.isfinite(initial[j]).all()


# ---------------------------------------------------------------------------
# torch


def defaults_of(case: Case) -> dict:
    return dict(DEFAULTS, weight_decay=1e-2) if case.decoupled else DEFAULTS


def group_options(case: Case) -> list[dict]:
    return [dict(defaults_of(case), **opts) for _, opts in case.groups]


def group_json(case: Case, opt) -> list[dict]:
    """The groups as torch holds them (call before any lr change)."""
    groups = [
        {
            "params": list(idx),
            "lr": g["lr"],
            "betas": list(g["betas"]),
            "eps": g["eps"],
            "weightDecay": g["weight_decay"],
            "amsgrad": g["amsgrad"],
            "maximize": g["maximize"],
        }
        for (idx, _), g in zip(case.groups, opt.param_groups)
    ]
    if case.decoupled:
        for out, g in zip(groups, opt.param_groups):
            out["decoupledWeightDecay"] = g["decoupled_weight_decay"]
    return groups


def run_torch(case: Case, initial, grads, checkpoint_steps=CHECKPOINT_STEPS, adam_decoupled: bool = False):
    """torch over the case; adam_decoupled runs an AdamW case with Adam(decoupled_weight_decay=True)."""
    params = [
        torch.nn.Parameter(torch.from_numpy(x.copy()).reshape(shape))
        for x, shape in zip(initial, SHAPES)
    ]
    torch_groups = [
        {"params": [params[i] for i in idx], **opts}
        for (idx, opts) in case.groups
    ]
    # Options are given per group; the constructor defaults only fill what a group omits.
    if not case.decoupled:
        opt = torch.optim.Adam(torch_groups, foreach=False)
    elif adam_decoupled:
        # Adam's own weight_decay default is 0: spell AdamW's out.
        torch_groups = [dict(defaults_of(case), **g) for g in torch_groups]
        opt = torch.optim.Adam(torch_groups, foreach=False, decoupled_weight_decay=True)
    else:
        opt = torch.optim.AdamW(torch_groups, foreach=False)
    for g in opt.param_groups:
        assert g["foreach"] is False and not g["fused"] and not g["capturable"]
        assert not g["differentiable"] and g["decoupled_weight_decay"] is case.decoupled
    groups = group_json(case, opt)

    schedule = {after: (gi, lr) for after, gi, lr in case.lr_schedule}
    checkpoints = []
    for step in range(1, STEPS + 1):
        for p, g in zip(params, grads[step - 1]):
            p.grad = None if g is None else torch.from_numpy(g.copy()).reshape(p.shape)
        opt.step()
        if step in checkpoint_steps:
            checkpoints.append(snapshot(step, params, opt, case))
        if step in schedule:
            gi, lr = schedule[step]
            opt.param_groups[gi]["lr"] = lr

    steps = [int(opt.state[p]["step"].item()) for p in params]
    expected = [STEPS - sum(1 for g in grads if g[j] is None) for j in range(len(params))]
    assert steps == expected, (steps, expected)
    return groups, params, checkpoints


def to_list(t: torch.Tensor) -> list[float]:
    assert t.dtype == torch.float32
    values = t.detach().reshape(-1).tolist()  # float32 -> Python float is exact
    assert all(math.isfinite(v) for v in values)
    return values


def snapshot(step: int, params, opt, case: Case) -> dict:
    amsgrad_of = {}
    for gi, (idx, _) in enumerate(case.groups):
        for i in idx:
            amsgrad_of[i] = opt.param_groups[gi]["amsgrad"]
    states = []
    for i, p in enumerate(params):
        st = opt.state.get(p)
        if not st:
            states.append(None)
            continue
        entry = {
            "step": int(st["step"].item()),
            "expAvg": to_list(st["exp_avg"]),
            "expAvgSq": to_list(st["exp_avg_sq"]),
        }
        if amsgrad_of[i]:
            entry["maxExpAvgSq"] = to_list(st["max_exp_avg_sq"])
        states.append(entry)
    return {"afterStep": step, "params": [to_list(p) for p in params], "state": states}


# ---------------------------------------------------------------------------
# float64 model


def model_adam_f64(case: Case, initial, grads, amsgrad_on_vhat: bool = False):
    """The Adam formula in float64, one parameter at a time.

    amsgrad_on_vhat=True keeps the maximum of the bias-corrected v_hat instead of
    PyTorch's maximum of the raw second moment (for the amsgrad check only).
    """
    out = []
    for (idx, _), opts in zip(case.groups, group_options(case)):
        for i in idx:
            p = initial[i].astype(np.float64)
            m = np.zeros_like(p)
            v = np.zeros_like(p)
            vmax = np.zeros_like(p)
            b1, b2 = opts["betas"]
            lr, eps, wd = opts["lr"], opts["eps"], opts["weight_decay"]
            gi = next(k for k, (ix, _) in enumerate(case.groups) if i in ix)
            t = 0
            for step in range(1, STEPS + 1):
                raw = grads[step - 1][i]
                if raw is not None:
                    g = raw.astype(np.float64)
                    if opts["maximize"]:
                        g = -g
                    t += 1
                    if wd and case.decoupled:
                        p = p * (1 - lr * wd)
                    elif wd:
                        g = g + wd * p
                    m = b1 * m + (1 - b1) * g
                    v = b2 * v + (1 - b2) * g * g
                    bc1 = 1 - b1**t
                    bc2 = 1 - b2**t
                    if opts["amsgrad"] and amsgrad_on_vhat:
                        vmax = np.maximum(vmax, v / bc2)
                        denom = np.sqrt(vmax) + eps
                    elif opts["amsgrad"]:
                        vmax = np.maximum(vmax, v)
                        denom = np.sqrt(vmax) / math.sqrt(bc2) + eps
                    else:
                        denom = np.sqrt(v) / math.sqrt(bc2) + eps
                    p = p - lr / bc1 * m / denom
                for after, sgi, new_lr in case.lr_schedule:
                    if after == step and sgi == gi:
                        lr = new_lr
            out.append((i, p))
    return [p for _, p in sorted(out, key=lambda x: x[0])]


def ulp_distance(got32: np.ndarray, want64: np.ndarray) -> np.ndarray:
    """|got - want| in units of the float32 spacing at want."""
    spacing = np.spacing(np.abs(want64).astype(np.float32)).astype(np.float64)
    return np.abs(got32.astype(np.float64) - want64) / spacing


# ---------------------------------------------------------------------------
# output


def fixture_json(obj: dict) -> str:
    """Compact JSON, one top-level key (and one step / checkpoint) per line."""

    def dump(v) -> str:
        return json.dumps(v, allow_nan=False, separators=(",", ":"))

    lines = []
    for key, value in obj.items():
        if key in ("grads", "checkpoints") and value:
            inner = ",\n  ".join(dump(x) for x in value)
            lines.append(f' {dump(key)}:[\n  {inner}\n ]')
        else:
            lines.append(f" {dump(key)}:{dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> int:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    capability = torch.backends.cpu.get_cpu_capability()
    if VARIANT == "nofma" and capability != "DEFAULT":
        print(f"ATEN_CPU_CAPABILITY=default was not honoured (capability {capability})", file=sys.stderr)
        return 1
    for optimizer in [ARGS.optimizer] if ARGS.optimizer else list(OPTIMIZERS):
        write_set(optimizer, capability)
    if ARGS.variant is None:
        # The second set needs a fresh process: ATen has already fixed its capability in this one.
        sys.stdout.flush()
        optimizer_args = ["--optimizer", ARGS.optimizer] if ARGS.optimizer else []
        return subprocess.call([sys.executable, __file__, "--variant", "nofma", *optimizer_args])
    return 0


def adam_decoupled_identical(case: Case, initial, grads) -> bool:
    """AdamW and Adam(decoupled_weight_decay=True): the same bits after every step?"""
    every_step = tuple(range(1, STEPS + 1))
    runs = [run_torch(case, initial, grads, every_step, adam_decoupled=flag) for flag in (False, True)]
    (groups_w, params_w, snaps_w), (groups_a, params_a, snaps_a) = runs
    same_groups = groups_w == groups_a
    same_bits = fixture_json({"s": snaps_w}) == fixture_json({"s": snaps_a})
    return same_groups and same_bits


def write_set(optimizer: str, capability: str) -> None:
    out = out_dir(optimizer)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== {optimizer} {VARIANT}: torch {torch.__version__}, numpy {np.__version__}, CPU capability {capability}")
    print(f"{'case':<14} {'max abs err':>12} {'max ulp (f32)':>14}   (torch float32 vs float64 model, final params)")
    written = []
    for case in CASES_OF[optimizer]:
        initial, grads = make_data(case)
        check_data(initial, grads)
        groups, params, checkpoints = run_torch(case, initial, grads)

        fixture = {
            "generatedBy": GENERATED_BY + (" --optimizer adamw" if case.decoupled else ""),
            "torchVersion": torch.__version__.split("+")[0],
            "variant": VARIANT,
            "cpuCapability": capability,
            "case": case.name,
        }
        if case.decoupled:
            identical = adam_decoupled_identical(case, initial, grads)
            assert identical, f"{case.name}: AdamW and Adam(decoupled_weight_decay=True) differ"
            fixture["optimizer"] = "AdamW"
            fixture["adamDecoupledIdentical"] = identical
        fixture.update({
            "groups": groups,
            "lrSchedule": [{"afterStep": a, "group": g, "lr": lr} for a, g, lr in case.lr_schedule],
            "params": [
                {"shape": list(shape), "initial": [float(x) for x in init]}
                for shape, init in zip(SHAPES, initial)
            ],
            "grads": [[None if g is None else [float(x) for x in g] for g in row] for row in grads],
            "checkpoints": checkpoints,
        })
        path = out / f"{case.name}.json"
        path.write_text(fixture_json(fixture), encoding="utf-8")
        written.append(path.name)

        model = model_adam_f64(case, initial, grads)
        got = [p.detach().reshape(-1).numpy() for p in params]
        abs_err = max(float(np.max(np.abs(g.astype(np.float64) - m))) for g, m in zip(got, model))
        ulps = max(float(np.max(ulp_distance(g, m))) for g, m in zip(got, model))
        print(f"{case.name:<14} {abs_err:>12.3e} {ulps:>14.3f}")

        if case.name == "amsgrad":
            alt = model_adam_f64(case, initial, grads, amsgrad_on_vhat=True)
            diff = max(float(np.max(np.abs(a - b))) for a, b in zip(model, alt))
            rel = max(float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-30))) for a, b in zip(model, alt))
            print(
                f"  amsgrad: max|p(max raw v) - p(max v_hat)| after {STEPS} steps = {diff:.3e}"
                f" (max relative {rel:.3e})"
            )
            assert rel > 1e-3, "amsgrad case does not separate the two AMSGrad variants"

    stray = sorted(p.name for p in out.iterdir() if p.name not in written)
    if stray:
        print(f"warning: {out} also holds files this script did not write: {stray}", file=sys.stderr)
    print(f"wrote {len(written)} files to {out.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
