"""Golden fixtures for the training recipe around the optimizer, produced by real PyTorch:
torch.nn.utils.clip_grad_norm_ and the learning-rate schedulers of torch.optim.lr_scheduler.

Run from the repository root (after generate.py's venv is set up):

    .venv-golden/bin/python scripts/golden/recipe.py

Writes (and nothing else):

  test/fixtures/torch-clip/<case>.json          one file per clip_grad_norm_ case
  test/fixtures/torch-schedulers/<Name>.json    one file per scheduler, its configurations inside

`--only clip` or `--only schedulers` writes one of the two. The clip cases are run with ATen's
native kernels (ATEN_CPU_CAPABILITY unset, as users run torch); the script then re-runs itself
with ATEN_CPU_CAPABILITY=default (`--clip-nofma`, prints JSON, writes nothing) and records, per
case, the total norm torch's generic kernels return, so a reader can see whether the reduction
depends on the CPU's kernels. The schedulers are plain Python float (f64) arithmetic: nothing
in them depends on the CPU.

Every number is what torch computed: float32 values as the shortest decimal that parses back to
the same double (and their bits as "0x%08x" strings where the file says Bits), f64 values with
Python's repr (round-trips). JSON has no NaN or Infinity: such a value is the string "NaN",
"Infinity" or "-Infinity" (what JavaScript's Number() parses). scripts/golden/README.md
documents every field.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import math
import os
import platform
import random
import re
import subprocess
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Write PyTorch clip_grad_norm_ and lr-scheduler golden fixtures.")
    parser.add_argument("--only", choices=("clip", "schedulers"), help="write one of the two sets only")
    parser.add_argument(
        "--clip-nofma",
        metavar="MAX_NORMS_JSON",
        help="internal: run the clip cases under ATEN_CPU_CAPABILITY=default with these maxNorms"
        " ({case: maxNorm}) and print JSON (writes nothing)",
    )
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
if ARGS.clip_nofma is not None:
    os.environ["ATEN_CPU_CAPABILITY"] = "default"  # before `import torch`: ATen reads it once
else:
    os.environ.pop("ATEN_CPU_CAPABILITY", None)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.optim import lr_scheduler as S  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "test" / "fixtures"
GENERATED_BY = "scripts/golden/recipe.py"
TORCH_VERSION = torch.__version__.split("+")[0]


# ---------------------------------------------------------------------------
# output helpers


def num(x: float):
    """A float for JSON: the number itself when finite, else "NaN" / "Infinity" / "-Infinity"."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def bits32(t: torch.Tensor) -> list[str]:
    assert t.dtype == torch.float32
    return ["0x%08x" % (v & 0xFFFFFFFF) for v in t.detach().reshape(-1).view(torch.int32).tolist()]


def values32(t: torch.Tensor) -> list:
    assert t.dtype == torch.float32
    return [num(v) for v in t.detach().reshape(-1).tolist()]  # float32 -> Python float is exact


def dump(value, indent: int = 0) -> str:
    """JSON with one key per line for big objects and one element per line for lists of lists/objects."""
    compact = json.dumps(value, allow_nan=False, separators=(",", ":"))
    pad = " " * (indent + 1)
    if isinstance(value, dict) and len(compact) > 120:
        inner = ",\n".join(f"{pad}{json.dumps(k)}:{dump(v, indent + 1)}" for k, v in value.items())
        return "{\n" + inner + "\n" + " " * indent + "}"
    if isinstance(value, list) and value and all(isinstance(v, (list, dict)) for v in value) and len(compact) > 120:
        inner = ",\n".join(pad + dump(v, indent + 1) for v in value)
        return "[\n" + inner + "\n" + " " * indent + "]"
    return compact


def write_json(path: Path, obj: dict) -> None:
    path.write_text(dump(obj) + "\n", encoding="utf-8")


def error_name(e: BaseException) -> str:
    return type(e).__name__


# ---------------------------------------------------------------------------
# clip_grad_norm_

# Magnitude ranges (log10) of the gradient kinds.
KINDS = {
    "normal": (-3.0, 1.0),
    "large": (17.0, 18.0),  # squares (1e34..1e36) still fit float32
    "huge": (19.5, 20.5),  # squares overflow float32 (max 3.4e38)
    "small": (-19.0, -18.0),  # squares (1e-38..1e-36) at the bottom of float32's normal range
    "tiny": (-31.0, -29.0),  # squares underflow float32 to 0
    "subnormal": (-44.0, -39.0),  # float32 subnormals themselves
}


@dataclass(frozen=True)
class ClipCase:
    name: str
    norm_type: float  # 2.0, 1.0 or math.inf
    max_norm: float | str  # a float, or "total": the total norm torch returns (foreach=False), as a float
    # One entry per parameter: (shape, kind or None for grad None, {element index: poison value})
    params: tuple[tuple[tuple[int, ...], str | None, dict], ...]
    note: str = ""


def P(shape, kind, poison=None):
    return (tuple(shape), kind, dict(poison or {}))


CLIP_CASES = (
    ClipCase(
        "l2-mixed-scales",
        2.0,
        1.0,
        (P([5], "normal"), P([3, 4], None), P([4], "large"), P([6], "tiny"), P([2, 3], "normal"), P([3], "small")),
        "normal, 1e17-1e18, 1e-31-1e-29 and 1e-19-1e-18 gradients and a null grad; clips",
    ),
    ClipCase(
        "l2-huge-overflow",
        2.0,
        1.0,
        (P([4], "huge"), P([3], "normal")),
        "1e20 gradients: torch squares in float32, the norm overflows to Infinity and every grad is multiplied by 0",
    ),
    ClipCase(
        "l2-tiny-underflow",
        2.0,
        1.0,
        (P([6], "tiny"), P([4], "subnormal"), P([2], None)),
        "1e-30 and subnormal gradients: the squares underflow, torch's norm is 0",
    ),
    ClipCase("l2-no-clip", 2.0, 100.0, (P([7], "normal"), P([2, 5], "normal"), P([3], None)), "norm below maxNorm"),
    ClipCase("l2-clip", 2.0, 0.5, (P([7], "normal"), P([3], None), P([2, 5], "normal")), "norm above maxNorm"),
    ClipCase(
        "l2-max-equals-norm",
        2.0,
        "total",
        (P([7], "normal"), P([4, 2], "normal")),
        "maxNorm is exactly the total norm: the coefficient maxNorm / (norm + 1e-6) is just below 1",
    ),
    ClipCase(
        "l2-long",
        2.0,
        1.0,
        (P([257], "normal"), P([3, 50], "normal"), P([1], "normal")),
        "long gradients: the reduction order of torch's vectorised kernels shows",
    ),
    ClipCase("l2-zero-grads", 2.0, 1.0, (P([5], "zeros"), P([2, 2], "zeros")), "all zero: norm 0, coefficient clamped to 1"),
    ClipCase("l2-all-none", 2.0, 1.0, (P([5], None), P([2, 2], None)), "every grad null: torch returns 0 and changes nothing"),
    ClipCase("l2-nan-grad", 2.0, 1.0, (P([5], "normal", {2: math.nan}), P([4], "normal")), "one NaN gradient element"),
    ClipCase("l2-inf-grad", 2.0, 1.0, (P([5], "normal"), P([4], "normal", {1: math.inf})), "one +Infinity gradient element"),
    ClipCase(
        "inf-mixed-scales",
        math.inf,
        1.0,
        (P([5], "normal"), P([4], "huge"), P([3, 2], None), P([6], "tiny"), P([3], "subnormal")),
        "max |g| over mixed scales (no overflow for the inf-norm); clips",
    ),
    ClipCase("inf-no-clip", math.inf, 1000.0, (P([7], "normal"), P([2, 5], "normal")), "max |g| below maxNorm"),
    ClipCase("inf-nan-grad", math.inf, 1.0, (P([5], "normal", {0: math.nan}), P([4], "normal")), "inf-norm with a NaN element"),
    ClipCase("inf-neg-inf-grad", math.inf, 1.0, (P([5], "normal"), P([4], "normal", {3: -math.inf})), "inf-norm with -Infinity"),
    ClipCase("l1-clip", 1.0, 2.0, (P([7], "normal"), P([3], None), P([2, 5], "normal")), "1-norm above maxNorm"),
    ClipCase("l1-no-clip", 1.0, 1000.0, (P([7], "normal"), P([2, 5], "normal")), "1-norm below maxNorm"),
)


def clip_grads(case: ClipCase) -> list[np.ndarray | None]:
    rng = random.Random(zlib.crc32(("clip:" + case.name).encode()))
    out: list[np.ndarray | None] = []
    for shape, kind, poison in case.params:
        n = math.prod(shape)
        if kind is None:
            out.append(None)
            continue
        if kind == "zeros":
            g = np.zeros(n, dtype=np.float32)
        else:
            lo, hi = KINDS[kind]
            g = np.array(
                [rng.choice((-1.0, 1.0)) * 10.0 ** rng.uniform(lo, hi) for _ in range(n)], dtype=np.float64
            ).astype(np.float32)
            if kind == "normal":  # about 1 in 8 elements exactly zero
                g[[e for e in range(n) if rng.random() < 0.125]] = 0.0
        for e, v in poison.items():
            g[e] = v
        out.append(g)
    return out


def norm_name(p: float):
    return "inf" if math.isinf(p) else p


def exact_norm(grads: list[np.ndarray | None], p: float) -> float:
    """The p-norm of all float32 elements, in f64: squares and sums exact (math.fsum), then one sqrt."""
    xs = [float(x) for g in grads if g is not None for x in g]
    if not xs:
        return 0.0
    if any(math.isnan(x) for x in xs):
        return math.nan
    a = [abs(x) for x in xs]
    if math.isinf(p):
        return max(a)
    if p == 1.0:
        return math.fsum(a)
    assert p == 2.0
    if any(math.isinf(x) for x in a):
        return math.inf
    return math.sqrt(math.fsum(x * x for x in a))


def make_params(case: ClipCase, grads):
    params = []
    for (shape, _, _), g in zip(case.params, grads):
        p = torch.nn.Parameter(torch.zeros(shape))
        p.grad = None if g is None else torch.from_numpy(g.copy()).reshape(shape)
        params.append(p)
    return params


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.equal(a.view(torch.int32), b.view(torch.int32))


def run_clip(case: ClipCase, grads, max_norm: float, foreach) -> dict:
    params = make_params(case, grads)
    before = [None if p.grad is None else p.grad.clone() for p in params]
    present = [g for g in before if g is not None]
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, case.norm_type, error_if_nonfinite=False, foreach=foreach)
    assert total.dtype == torch.float32 and total.dim() == 0
    # The per-parameter norms torch reduces (the same calls clip_grad_norm_ makes).
    if not present:
        param_norms = []
    elif foreach is False:
        param_norms = [torch.linalg.vector_norm(g, case.norm_type) for g in present]
    else:
        param_norms = list(torch._foreach_norm(present, case.norm_type))
    # torch's coefficient, the same operations as _clip_grads_with_norm_ (max_norm / t is t.reciprocal() * max_norm).
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    result = {
        "totalNorm": num(total.item()),
        "totalNormBits": bits32(total)[0],
        "paramNorms": [num(n.item()) for n in param_norms],
        "clipCoef": num(coef.item()) if present else None,
        "clipCoefBits": bits32(coef)[0] if present else None,
        "clippedGradsBits": [None if p.grad is None else bits32(p.grad) for p in params],
    }
    # Each clipped grad is the float32 product grad * coef.
    for b, p in zip(before, params):
        if b is not None:
            assert same_bits(p.grad, b * coef), case.name
        else:
            assert p.grad is None
    if not present:
        assert total.item() == 0.0
    # error_if_nonfinite=True: raises when the total is NaN/Infinity, and then no grad has changed.
    params2 = make_params(case, grads)
    try:
        total2 = torch.nn.utils.clip_grad_norm_(params2, max_norm, case.norm_type, error_if_nonfinite=True, foreach=foreach)
        raised = None
        assert same_bits(total2, total)
        assert all(
            (p.grad is None) == (q.grad is None) and (p.grad is None or same_bits(p.grad, q.grad))
            for p, q in zip(params, params2)
        )
    except RuntimeError as e:
        raised = {"raises": error_name(e), "message": str(e)}
        assert all(p.grad is None or same_bits(p.grad, b) for p, b in zip(params2, before)), "grads changed"
        raised["gradsUnchanged"] = True
    result["errorIfNonfinite"] = raised or {"raises": None}
    return result


def clip_results(case: ClipCase, max_norm: float | None = None) -> tuple[float, dict]:
    grads = clip_grads(case)
    if max_norm is not None:
        pass
    elif case.max_norm == "total":
        probe = torch.nn.utils.clip_grad_norm_(make_params(case, grads), 1e30, case.norm_type, foreach=False)
        max_norm = float(probe.item())
    else:
        max_norm = float(case.max_norm)
    return max_norm, {
        "foreachFalse": run_clip(case, grads, max_norm, False),
        "foreachDefault": run_clip(case, grads, max_norm, None),
    }


def clip_nofma_main() -> int:
    torch.set_num_threads(1)
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != "DEFAULT":
        print(f"ATEN_CPU_CAPABILITY=default was not honoured (capability {capability})", file=sys.stderr)
        return 1
    max_norms = json.loads(ARGS.clip_nofma)
    out = {}
    for case in CLIP_CASES:
        _, res = clip_results(case, max_norms[case.name])
        out[case.name] = {k: {"totalNormBits": r["totalNormBits"], "clippedGradsBits": r["clippedGradsBits"]} for k, r in res.items()}
    print(json.dumps(out))
    return 0


def write_clip() -> list[Path]:
    capability = torch.backends.cpu.get_cpu_capability()
    results = {case.name: clip_results(case) for case in CLIP_CASES}
    # The same cases (and the same maxNorms) with ATen's generic kernels, in a fresh process.
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    max_norms = json.dumps({name: m for name, (m, _) in results.items()})
    nofma = json.loads(subprocess.check_output([sys.executable, __file__, "--clip-nofma", max_norms], env=env))
    out_dir = FIXTURES / "torch-clip"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    print(f"== clip_grad_norm_: torch {torch.__version__}, CPU capability {capability}")
    print(f"{'case':<20} {'total (foreach=False)':>24} {'exact f64 norm':>24} {'ulps':>6} {'foreach same':>13} {'nofma same':>11}")
    for case in CLIP_CASES:
        grads = clip_grads(case)
        max_norm, res = results[case.name]
        for mode, r in res.items():
            r["sameAsNofma"] = (
                r["totalNormBits"] == nofma[case.name][mode]["totalNormBits"]
                and r["clippedGradsBits"] == nofma[case.name][mode]["clippedGradsBits"]
            )
            if not r["sameAsNofma"]:
                r["totalNormBitsNofma"] = nofma[case.name][mode]["totalNormBits"]
        exact = exact_norm(grads, case.norm_type)
        fixture = {
            "generatedBy": GENERATED_BY + " --only clip",
            "torchVersion": TORCH_VERSION,
            "cpuCapability": capability,
            "case": case.name,
            "note": case.note,
            "normType": norm_name(case.norm_type),
            "maxNorm": max_norm,
            "params": [
                {"shape": list(shape), "grad": None if g is None else [num(x) for x in g.tolist()]}
                for (shape, _, _), g in zip(case.params, grads)
            ],
            "exactNorm": num(exact),
            **res,
        }
        path = out_dir / f"{case.name}.json"
        write_json(path, fixture)
        written.append(path)
        t = res["foreachFalse"]["totalNorm"]
        ulps = "-"
        if isinstance(t, float) and isinstance(exact, float) and math.isfinite(exact) and exact > 0:
            ulps = f"{abs(t - exact) / float(np.spacing(np.float32(exact))):.2f}"
        same = res["foreachFalse"]["totalNormBits"] == res["foreachDefault"]["totalNormBits"]
        print(f"{case.name:<20} {t!s:>24} {num(exact)!s:>24} {ulps:>6} {same!s:>13} {res['foreachFalse']['sameAsNofma']!s:>11}")
    report_stray(out_dir, written)
    return written


# ---------------------------------------------------------------------------
# schedulers

# The optimizer every configuration runs on: torch.optim.Adam(foreach=False), one float32
# parameter of shape [1] per group, gradient 1 at every step.
GROUPS = ({"lr": 0.1, "betas": (0.9, 0.999)}, {"lr": 0.003, "betas": (0.9, 0.99)})

SPECIAL_NAMES = {"tMax": "T_max", "t0": "T_0", "tMult": "T_mult"}


def snake(key: str) -> str:
    return SPECIAL_NAMES.get(key) or re.sub(r"([A-Z])", r"_\1", key).lower()


def make_lambda(desc: dict):
    """A LambdaLR lambda from its JSON description (README: "LambdaLR lambdas")."""
    if desc["kind"] == "pow":
        base = desc["base"]
        return lambda e: base**e
    if desc["kind"] == "warmup":
        steps = desc["steps"]
        return lambda e: min(1.0, (e + 1) / steps)
    if desc["kind"] == "const":
        factor = desc["factor"]
        return lambda e: factor
    raise ValueError(f"unknown lambda kind {desc['kind']!r}")


def make_optimizer(groups=GROUPS):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in groups]
    opt = torch.optim.Adam(
        [{"params": [p], "lr": g["lr"], "betas": tuple(g["betas"])} for p, g in zip(params, groups)], foreach=False
    )
    return opt, params


def optimizer_step(opt, params) -> None:
    for p in params:
        p.grad = torch.ones(1)
    opt.step()


def build(name: str, options: dict, opt, other_opt=None):
    """torch's scheduler `name` on `opt` from camelCase options (SequentialLR builds its children first)."""
    if name == "SWALR":
        cls = torch.optim.swa_utils.SWALR
    else:
        cls = getattr(S, name)
    if name == "ChainedScheduler":
        return cls([build(c["scheduler"], c["options"], opt, other_opt) for c in options["schedulers"]])
    if name == "SequentialLR":
        children = [
            build(c["scheduler"], c["options"], other_opt if c.get("otherOptimizer") else opt, other_opt)
            for c in options["schedulers"]
        ]
        return cls(opt, children, milestones=list(options["milestones"]))
    kwargs = {}
    for key, value in options.items():
        if key == "lrLambda":
            value = [make_lambda(d) for d in value] if isinstance(value, list) else make_lambda(value)
        kwargs[snake(key)] = value
    return cls(opt, **kwargs)


def lrs(opt) -> list[float]:
    out = [g["lr"] for g in opt.param_groups]
    assert all(isinstance(x, (float, int)) and not isinstance(x, bool) for x in out), out
    return [float(x) for x in out]


def betas0(opt) -> list[float]:
    return [float(g["betas"][0]) for g in opt.param_groups]


def last_lr(sched) -> list[float]:
    return [float(x) for x in sched.get_last_lr()]


@dataclass
class Config:
    name: str
    options: dict
    steps: int = 120
    resume_at: int = 60
    metrics: str | None = None  # ReduceLROnPlateau: "loss" or "accuracy"
    note: str = ""


@dataclass
class Refusal:
    options: dict
    probe_steps: int = 3  # steps tried after a successful construction
    note: str = ""


@dataclass
class Scheduler:
    name: str
    configs: list[Config]
    refused: list[Refusal] = field(default_factory=list)


def metric_sequence(kind: str, n: int) -> list[float]:
    """A deterministic noisy loss or accuracy (its mirror), rounded to 6 decimals: it falls, flattens
    out (plateaus: the lr drops), falls again after step 80 and flattens again."""
    rng = random.Random(zlib.crc32(("metrics:" + kind).encode()))
    out = []
    for k in range(1, n + 1):
        loss = 0.5 + 2.0 * math.exp(-k / 12) - 0.2 * (1 - math.exp(-max(0, k - 80) / 10)) + rng.uniform(-0.02, 0.02)
        out.append(round(loss if kind == "loss" else 1.0 - loss / 2.5, 6))
    return out


def sched_step(sched, metric) -> None:
    if metric is None:
        sched.step()
    else:
        sched.step(metric)


def checkpoint_roundtrip(opt, sched) -> tuple[dict, dict, bool]:
    """torch.save of both state dicts, then torch.load; weights_only=True (torch's default) if it can."""
    buf = io.BytesIO()
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, buf)
    try:
        buf.seek(0)
        ck = torch.load(buf, weights_only=True)
        weights_only = True
    except Exception:  # noqa: BLE001 - torch raises UnpicklingError (or others) for disallowed types
        buf.seek(0)
        ck = torch.load(buf, weights_only=False)
        weights_only = False
    return ck["optimizer"], ck["scheduler"], weights_only


def run_config(sched_name: str, cfg: Config) -> dict:
    metrics = metric_sequence(cfg.metrics, cfg.steps) if cfg.metrics else None
    metric_at = (lambda k: metrics[k - 1]) if metrics else (lambda k: None)  # value for the k-th step (1-based)
    cycles_beta = sched_name in ("OneCycleLR", "CyclicLR") and cfg.options.get("cycleMomentum", True)

    opt, params = make_optimizer()
    sched = build(sched_name, cfg.options, opt)
    rows, brows, lastrows = [lrs(opt)], [betas0(opt)], [last_lr(sched)]
    initial_lr = [g.get("initial_lr") for g in opt.param_groups]
    # ChainedScheduler has no last_epoch of its own (it never calls LRScheduler.__init__): null.
    last_epoch0 = getattr(sched, "last_epoch", None)
    saved = None
    for k in range(1, cfg.steps + 1):
        optimizer_step(opt, params)
        sched_step(sched, metric_at(k))
        rows.append(lrs(opt))
        brows.append(betas0(opt))
        lastrows.append(last_lr(sched))
        assert [g["betas"][1] for g in opt.param_groups] == [g["betas"][1] for g in GROUPS]
        if k == cfg.resume_at:
            saved = checkpoint_roundtrip(opt, sched)
    assert lastrows == rows, f"{sched_name}/{cfg.name}: get_last_lr() differs from the groups' lr"
    if not cycles_beta:
        assert all(b == [g["betas"][0] for g in GROUPS] for b in brows)

    out = {"name": cfg.name}
    if cfg.note:
        out["note"] = cfg.note
    out.update(
        {
            "options": cfg.options,
            "groups": [{"lr": g["lr"], "betas": list(g["betas"])} for g in GROUPS],
            "steps": cfg.steps,
        }
    )
    if metrics:
        out["metrics"] = metrics
    out["lr"] = rows
    if cycles_beta:
        out["betas0"] = brows
    out["initialLr"] = initial_lr
    out["lastEpoch"] = [last_epoch0, getattr(sched, "last_epoch", None)]

    opt_sd, sched_sd, weights_only = saved
    k = cfg.resume_at
    for order in ("optimizerFirst", "schedulerFirst"):
        opt2, params2 = make_optimizer()
        if order == "optimizerFirst":  # torch's recipe: load the optimizer, then build the scheduler on it
            opt2.load_state_dict(copy.deepcopy(opt_sd))
            sched2 = build(sched_name, cfg.options, opt2)
        else:  # build both, then load both (what e.g. Hugging Face's Trainer does)
            sched2 = build(sched_name, cfg.options, opt2)
            opt2.load_state_dict(copy.deepcopy(opt_sd))
        sched2.load_state_dict(copy.deepcopy(sched_sd))
        r_rows, r_brows, r_last = [lrs(opt2)], [betas0(opt2)], [last_lr(sched2)]
        for kk in range(k + 1, cfg.steps + 1):
            optimizer_step(opt2, params2)
            sched_step(sched2, metric_at(kk))
            r_rows.append(lrs(opt2))
            r_brows.append(betas0(opt2))
            r_last.append(last_lr(sched2))
        matches = r_rows == rows[k:] and (not cycles_beta or r_brows == brows[k:])
        mismatch = [kk for kk, (a, b) in enumerate(zip(r_rows, rows[k:]), start=k) if a != b]
        if cycles_beta:
            mismatch = sorted(set(mismatch) | {kk for kk, (a, b) in enumerate(zip(r_brows, brows[k:]), start=k) if a != b})
        res = {"at": k}
        if order == "optimizerFirst":
            res["lr"] = r_rows
            if cycles_beta:
                res["betas0"] = r_brows
        elif not matches:
            res["lr"] = r_rows
            if cycles_beta:
                res["betas0"] = r_brows
        if r_last != r_rows:
            res["lastLr"] = r_last
        res["matchesUninterrupted"] = matches
        res["mismatchedRows"] = mismatch
        res["lastLrMatchesUninterrupted"] = r_last == rows[k:]
        res["torchLoadWeightsOnly"] = weights_only
        out["resume" if order == "optimizerFirst" else "resumeSchedulerFirst"] = res
    return out


def group_snapshot(opt) -> list[dict]:
    return [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k != "params"} for g in opt.param_groups]


def run_refusal(sched_name: str, ref: Refusal) -> dict:
    out = {"options": ref.options}
    if ref.note:
        out["note"] = ref.note
    opt, params = make_optimizer()
    other, _ = make_optimizer()
    if sched_name == "SequentialLR":
        # The children are built first (they change the optimizer as they are built); what counts is
        # whether SequentialLR's own constructor refuses them, and whether it changed the optimizer.
        children = []
        try:
            for c in ref.options["schedulers"]:
                if c["scheduler"] == "ReduceLROnPlateau":
                    children.append(S.ReduceLROnPlateau(opt, **{snake(k): v for k, v in c["options"].items()}))
                else:
                    children.append(build(c["scheduler"], c["options"], other if c.get("otherOptimizer") else opt))
        except Exception as e:  # noqa: BLE001
            raise AssertionError(f"child construction failed: {e}") from e
        before = copy.deepcopy(group_snapshot(opt))
        construct = lambda: S.SequentialLR(opt, children, milestones=list(ref.options["milestones"]))  # noqa: E731
    else:
        before = copy.deepcopy(group_snapshot(opt))
        construct = lambda: build(sched_name, ref.options, opt)  # noqa: E731
    try:
        sched = construct()
    except Exception as e:  # noqa: BLE001
        out.update({"raises": error_name(e), "message": str(e), "when": "construct"})
        out["optimizerChanged"] = group_snapshot(opt) != before
        return out
    for k in range(1, ref.probe_steps + 1):
        optimizer_step(opt, params)
        lr_before = lrs(opt)
        try:
            sched.step()
        except Exception as e:  # noqa: BLE001
            out.update({"raises": error_name(e), "message": str(e), "when": "step", "step": k})
            out["lrChanged"] = lrs(opt) != lr_before
            out["lastEpochAfter"] = getattr(sched, "last_epoch", None)
            return out
    out.update({"raises": None, "probeSteps": ref.probe_steps, "lr": lrs(opt)})
    return out


W10 = {"kind": "warmup", "steps": 10}
POW95 = {"kind": "pow", "base": 0.95}
WARMUP_COSINE = [
    {"scheduler": "LinearLR", "options": {"startFactor": 0.01, "endFactor": 1.0, "totalIters": 10}},
    {"scheduler": "CosineAnnealingLR", "options": {"tMax": 90}},
]

SCHEDULERS = [
    Scheduler(
        "LambdaLR",
        [
            Config("pow-0.95", {"lrLambda": POW95}, resume_at=60),
            Config("per-group-warmup-and-pow", {"lrLambda": [W10, {"kind": "pow", "base": 0.99}]}, resume_at=5),
            Config("warmup-25", {"lrLambda": {"kind": "warmup", "steps": 25}}, resume_at=30),
        ],
        [
            Refusal({"lrLambda": [POW95]}, note="one lambda in a list for two groups"),
            Refusal({"lrLambda": [POW95, POW95, POW95]}, note="three lambdas for two groups"),
        ],
    ),
    Scheduler(
        "StepLR",
        [
            Config("step-30", {"stepSize": 30}, resume_at=45),
            Config("step-7-gamma-0.5", {"stepSize": 7, "gamma": 0.5}, resume_at=49),
            Config("step-1-gamma-0.97", {"stepSize": 1, "gamma": 0.97}, resume_at=77),
        ],
        [
            Refusal({"stepSize": 0}),
            Refusal({"stepSize": -5}, probe_steps=10),
            Refusal({"stepSize": 2.5}, probe_steps=10),
        ],
    ),
    Scheduler(
        "MultiStepLR",
        [
            Config("milestones-30-80", {"milestones": [30, 80]}, resume_at=50),
            Config("five-milestones", {"milestones": [10, 25, 50, 75, 100], "gamma": 0.5}, resume_at=25),
            Config("first-and-last", {"milestones": [1, 119], "gamma": 0.3}, resume_at=1),
        ],
        [
            Refusal({"milestones": [50, 10]}, probe_steps=12, note="not increasing"),
            Refusal({"milestones": [2, 2, 5]}, probe_steps=6, note="repeated: torch counts it twice (gamma**2 at 2)"),
            Refusal({"milestones": []}),
        ],
    ),
    Scheduler(
        "ExponentialLR",
        [
            Config("gamma-0.95", {"gamma": 0.95}, resume_at=60),
            Config("gamma-0.99", {"gamma": 0.99}, steps=150, resume_at=100),
        ],
        [Refusal({"gamma": 0.0}), Refusal({"gamma": -0.5}), Refusal({"gamma": 1.5})],
    ),
    Scheduler(
        "CosineAnnealingLR",
        [
            Config("tmax-100", {"tMax": 100}, steps=100, resume_at=50),
            Config(
                "tmax-50-past-end",
                {"tMax": 50, "etaMin": 0.0001},
                steps=160,
                resume_at=51,
                note="runs past tMax: torch's recursive form climbs back up (its special case at epochs 51 and 151)",
            ),
            Config("tmax-30-eta-min", {"tMax": 30, "etaMin": 0.001}, resume_at=90),
        ],
        [Refusal({"tMax": 0}), Refusal({"tMax": -10}), Refusal({"tMax": 100, "etaMin": -0.5})],
    ),
    Scheduler(
        "LinearLR",
        [
            Config("defaults", {}, steps=100, resume_at=3),
            Config("warmup-40", {"startFactor": 0.01, "totalIters": 40}, steps=100, resume_at=20),
            Config("decay-100", {"startFactor": 1.0, "endFactor": 0.05, "totalIters": 100}, resume_at=100),
        ],
        [
            Refusal({"startFactor": 0}),
            Refusal({"startFactor": 1.5}),
            Refusal({"endFactor": 1.5}),
            Refusal({"endFactor": -0.1}),
            Refusal({"totalIters": 0}),
        ],
    ),
    Scheduler(
        "ConstantLR",
        [
            Config("defaults", {}, steps=100, resume_at=2),
            Config("half-for-30", {"factor": 0.5, "totalIters": 30}, resume_at=30),
            Config("quarter-for-100", {"factor": 0.25, "totalIters": 100}, resume_at=60),
        ],
        [
            Refusal({"factor": 1.5}),
            Refusal({"factor": -0.1}),
            Refusal({"factor": 0, "totalIters": 5}, probe_steps=6),
            Refusal({"totalIters": 0}),
        ],
    ),
    Scheduler(
        "PolynomialLR",
        [
            Config("defaults", {}, steps=100, resume_at=3),
            Config("quadratic-100", {"totalIters": 100, "power": 2.0}, steps=100, resume_at=50),
            Config("sqrt-80", {"totalIters": 80, "power": 0.5}, resume_at=79),
        ],
        [Refusal({"totalIters": 0}), Refusal({"totalIters": 5, "power": -1.0}, probe_steps=6)],
    ),
    Scheduler(
        "OneCycleLR",
        [
            Config("cos-defaults", {"maxLr": [0.1, 0.01], "totalSteps": 100}, steps=100, resume_at=30),
            Config(
                "three-phase-linear-epochs",
                {
                    "maxLr": 0.05,
                    "epochs": 10,
                    "stepsPerEpoch": 12,
                    "threePhase": True,
                    "annealStrategy": "linear",
                    "baseMomentum": 0.8,
                    "maxMomentum": 0.9,
                },
                steps=120,
                resume_at=36,
            ),
            Config(
                "no-cycle-momentum",
                {
                    "maxLr": 0.05,
                    "totalSteps": 150,
                    "pctStart": 0.25,
                    "cycleMomentum": False,
                    "divFactor": 10.0,
                    "finalDivFactor": 100.0,
                },
                steps=150,
                resume_at=75,
            ),
        ],
        [
            Refusal({"maxLr": 0.1}, note="neither totalSteps nor epochs + stepsPerEpoch"),
            Refusal({"maxLr": 0.1, "totalSteps": 0}),
            Refusal({"maxLr": 0.1, "totalSteps": -5}),
            Refusal({"maxLr": 0.1, "epochs": 0, "stepsPerEpoch": 10}),
            Refusal({"maxLr": 0.1, "epochs": 10}),
            Refusal({"maxLr": 0.1, "totalSteps": 100, "pctStart": 1.5}),
            Refusal({"maxLr": 0.1, "totalSteps": 100, "pctStart": -0.1}),
            Refusal({"maxLr": 0.1, "totalSteps": 100, "annealStrategy": "exp"}),
            Refusal({"maxLr": [0.1], "totalSteps": 100}, note="one maxLr in a list for two groups"),
            Refusal({"maxLr": 0.1, "totalSteps": 10}, probe_steps=11, note="stepped past totalSteps"),
        ],
    ),
    Scheduler(
        "CosineAnnealingWarmRestarts",
        [
            Config("t0-10", {"t0": 10}, resume_at=55),
            Config("t0-5-tmult-2", {"t0": 5, "tMult": 2, "etaMin": 0.0001}, steps=160, resume_at=35),
            Config("t0-33-eta-min", {"t0": 33, "etaMin": 0.0005}, resume_at=66),
        ],
        [
            Refusal({"t0": 0}),
            Refusal({"t0": -1}),
            Refusal({"t0": 2.5}),
            Refusal({"t0": 10, "tMult": 0}),
            Refusal({"t0": 10, "tMult": 1.5}),
        ],
    ),
    Scheduler(
        "SequentialLR",
        [
            Config(
                "warmup-cosine",
                {"schedulers": WARMUP_COSINE, "milestones": [10]},
                steps=100,
                resume_at=5,
                note="the recipe: linear warm-up, then cosine; resumed during the warm-up",
            ),
            Config(
                "warmup-cosine-resume-at-milestone",
                {"schedulers": WARMUP_COSINE, "milestones": [10]},
                steps=100,
                resume_at=10,
            ),
            Config("warmup-cosine-resume-late", {"schedulers": WARMUP_COSINE, "milestones": [10]}, steps=100, resume_at=50),
            Config(
                "three-schedulers",
                {
                    "schedulers": [
                        {"scheduler": "LinearLR", "options": {"startFactor": 0.1, "totalIters": 10}},
                        {"scheduler": "StepLR", "options": {"stepSize": 20, "gamma": 0.5}},
                        {"scheduler": "CosineAnnealingLR", "options": {"tMax": 50, "etaMin": 1e-05}},
                    ],
                    "milestones": [10, 60],
                },
                steps=120,
                resume_at=65,
            ),
        ],
        [
            Refusal({"schedulers": [], "milestones": []}),
            Refusal({"schedulers": WARMUP_COSINE, "milestones": []}),
            Refusal({"schedulers": WARMUP_COSINE, "milestones": [10, 20]}),
            Refusal(
                {
                    "schedulers": [
                        {"scheduler": "LinearLR", "options": {}},
                        {"scheduler": "ReduceLROnPlateau", "options": {}},
                    ],
                    "milestones": [10],
                }
            ),
            Refusal(
                {
                    "schedulers": [
                        {"scheduler": "LinearLR", "options": {}},
                        {"scheduler": "CosineAnnealingLR", "options": {"tMax": 10}, "otherOptimizer": True},
                    ],
                    "milestones": [10],
                },
                note="the second scheduler is built on another optimizer",
            ),
            Refusal(
                {
                    "schedulers": [
                        {"scheduler": "LinearLR", "options": {}},
                        {"scheduler": "ExponentialLR", "options": {"gamma": 0.9}},
                        {"scheduler": "ConstantLR", "options": {}},
                    ],
                    "milestones": [6, 3],
                },
                probe_steps=8,
                note="milestones not increasing",
            ),
        ],
    ),
    Scheduler(
        "MultiplicativeLR",
        [
            Config("const-0.95", {"lrLambda": {"kind": "const", "factor": 0.95}}, resume_at=60),
            Config(
                "per-group",
                {"lrLambda": [{"kind": "const", "factor": 0.9}, {"kind": "pow", "base": 0.999}]},
                resume_at=45,
                note="a factor per group; the second is 0.999 ** epoch",
            ),
        ],
        [
            Refusal({"lrLambda": [{"kind": "const", "factor": 0.9}]}, note="one lambda in a list for two groups"),
        ],
    ),
    Scheduler(
        "CyclicLR",
        [
            Config("triangular", {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 10}, resume_at=37),
            Config(
                "triangular2-per-group",
                {"baseLr": [0.001, 0.0001], "maxLr": [0.1, 0.01], "stepSizeUp": 7, "stepSizeDown": 13, "mode": "triangular2"},
                resume_at=50,
            ),
            Config(
                "exp-range-momenta",
                {"baseLr": 0.001, "maxLr": 0.05, "stepSizeUp": 8, "mode": "exp_range", "gamma": 0.97, "baseMomentum": 0.85, "maxMomentum": 0.95},
                resume_at=61,
            ),
            Config("no-momentum-iterations", {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 5, "cycleMomentum": False, "mode": "exp_range", "gamma": 0.99}, resume_at=33),
        ],
        [
            Refusal({"baseLr": 0.001, "maxLr": 0.1, "mode": "bogus"}),
            Refusal({"baseLr": [0.001], "maxLr": 0.1}, note="one baseLr in a list for two groups"),
        ],
    ),
    Scheduler(
        "ChainedScheduler",
        [
            Config(
                "warmup-exponential",
                {
                    "schedulers": [
                        {"scheduler": "LinearLR", "options": {"startFactor": 0.1, "totalIters": 10}},
                        {"scheduler": "ExponentialLR", "options": {"gamma": 0.97}},
                    ]
                },
                resume_at=25,
            ),
            Config(
                "constant-cosine",
                {
                    "schedulers": [
                        {"scheduler": "ConstantLR", "options": {"factor": 0.5, "totalIters": 20}},
                        {"scheduler": "CosineAnnealingLR", "options": {"tMax": 50}},
                    ]
                },
                resume_at=70,
            ),
        ],
        [
            Refusal({"schedulers": []}, note="no scheduler"),
        ],
    ),
    Scheduler(
        "SWALR",
        [
            Config("cos-10", {"swaLr": 0.01, "annealEpochs": 10}, resume_at=5),
            Config("linear-per-group", {"swaLr": [0.05, 0.001], "annealEpochs": 25, "annealStrategy": "linear"}, resume_at=12),
            Config("no-anneal", {"swaLr": 0.02, "annealEpochs": 0}, resume_at=50),
        ],
        [
            Refusal({"swaLr": 0.01, "annealStrategy": "exp"}),
            Refusal({"swaLr": 0.01, "annealEpochs": -1}),
            Refusal({"swaLr": [0.01], "annealEpochs": 5}, note="one swaLr in a list for two groups"),
        ],
    ),
    Scheduler(
        "ReduceLROnPlateau",
        [
            Config("min-rel", {"mode": "min", "factor": 0.5, "patience": 5}, metrics="loss", resume_at=60),
            Config(
                "max-abs-cooldown-min-lr",
                {
                    "mode": "max",
                    "factor": 0.3,
                    "patience": 2,
                    "threshold": 0.01,
                    "thresholdMode": "abs",
                    "cooldown": 3,
                    "minLr": [0.001, 0.0001],
                },
                metrics="accuracy",
                resume_at=40,
            ),
            Config(
                "min-abs-eps",
                {"thresholdMode": "abs", "threshold": 0.001, "patience": 3, "factor": 0.1, "minLr": 1e-05, "eps": 0.0001},
                metrics="loss",
                resume_at=80,
                note="eps 1e-4: a reduction smaller than eps is not applied",
            ),
        ],
        [
            Refusal({"factor": 1.0}),
            Refusal({"factor": 2.0}),
            Refusal({"mode": "avg"}),
            Refusal({"thresholdMode": "pct"}),
            Refusal({"minLr": [0.0]}, note="one minLr in a list for two groups"),
            Refusal({"factor": -0.5}, probe_steps=0),
        ],
    ),
]


def run_refusal_plateau(ref: Refusal) -> dict:
    """ReduceLROnPlateau's step takes a metric: probe with a constant one."""
    out = {"options": ref.options}
    if ref.note:
        out["note"] = ref.note
    opt, _ = make_optimizer()
    before = copy.deepcopy(group_snapshot(opt))
    try:
        S.ReduceLROnPlateau(opt, **{snake(k): v for k, v in ref.options.items()})
    except Exception as e:  # noqa: BLE001
        out.update({"raises": error_name(e), "message": str(e), "when": "construct"})
        out["optimizerChanged"] = group_snapshot(opt) != before
        return out
    out.update({"raises": None, "probeSteps": ref.probe_steps})
    return out


def write_schedulers() -> list[Path]:
    out_dir = FIXTURES / "torch-schedulers"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    print(f"== schedulers: torch {torch.__version__}")
    print(f"{'scheduler':<28} {'config':<34} {'resume at':>9}  optimizer first / scheduler first (rows equal to the uninterrupted run)")
    for sch in SCHEDULERS:
        configs = [run_config(sch.name, cfg) for cfg in sch.configs]
        if sch.name == "ReduceLROnPlateau":
            refused = [run_refusal_plateau(r) for r in sch.refused]
        else:
            refused = [run_refusal(sch.name, r) for r in sch.refused]
        fixture = {
            "generatedBy": GENERATED_BY + " --only schedulers",
            "torchVersion": TORCH_VERSION,
            # The lrs are CPython float arithmetic: math.cos and float ** come from the C library.
            "python": platform.python_version(),
            "libm": " ".join(platform.libc_ver()),
            "scheduler": sch.name,
            "configs": configs,
            "refused": refused,
        }
        path = out_dir / f"{sch.name}.json"
        write_json(path, fixture)
        written.append(path)
        for c in configs:
            r, r2 = c["resume"], c["resumeSchedulerFirst"]

            def show(x):
                return "yes" if x["matchesUninterrupted"] else f"NO {x['mismatchedRows'][:4]}{'...' if len(x['mismatchedRows']) > 4 else ''}"

            print(f"{sch.name:<28} {c['name']:<34} {r['at']:>9}  {show(r)} / {show(r2)}" + ("" if r["torchLoadWeightsOnly"] else "  (torch.load needs weights_only=False)"))
        for r in refused:
            print(f"{'':<28}   refused {json.dumps(r['options'])[:60]:<60} -> {r['raises']}" + (f" at {r['when']}" if r["raises"] else ""))
    report_stray(out_dir, written)
    return written


# ---------------------------------------------------------------------------


def report_stray(out_dir: Path, written: list[Path]) -> None:
    names = {p.name for p in written}
    stray = sorted(p.name for p in out_dir.iterdir() if p.name not in names)
    if stray:
        print(f"warning: {out_dir} also holds files this script did not write: {stray}", file=sys.stderr)
    print(f"wrote {len(written)} files to {out_dir.relative_to(REPO_ROOT)}")


def main() -> int:
    warnings.simplefilter("ignore")  # torch's deprecation and call-order warnings: not what is recorded
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if ARGS.clip_nofma is not None:
        return clip_nofma_main()
    if ARGS.only in (None, "clip"):
        write_clip()
    if ARGS.only in (None, "schedulers"):
        write_schedulers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
