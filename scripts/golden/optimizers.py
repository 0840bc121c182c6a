"""Golden fixtures for lucid-optim's element-wise optimizers, produced by the real torch.optim classes
with ATen's generic kernels (no fused multiply-adds).

Run from the repository root (the script finds its output directories from its own path):

    .venv-golden/bin/python scripts/golden/optimizers.py                  # every optimizer in ALGORITHMS
    .venv-golden/bin/python scripts/golden/optimizers.py --optimizer sgd  # one optimizer

Writes one JSON file per case into test/fixtures/torch-<optimizer>/ (sgd, rmsprop, adagrad,
adadelta, adamax, nadam, radam, asgd, rprop: torch.optim.SGD, RMSprop, Adagrad, Adadelta, Adamax,
NAdam, RAdam, ASGD, Rprop) and nothing else. It rewrites the files of its own cases, warns about
other files in those directories, and writes the same bytes every time it runs (torch 2.15.0 on
Linux x86-64, on the same CPU: see sqrt below).

How torch is run: torch.optim.<Class>(..., foreach=False), PyTorch's single-tensor path, on float32
CPU tensors, one thread, with ATEN_CPU_CAPABILITY=default set before `import torch`: ATen's generic
kernels, no fused multiply-add, every float32 operation rounded on its own, which is what
lucid-optim's kernel computes. ATen reads the variable once, at import, and the script asserts that
torch.backends.cpu.get_cpu_capability() reports DEFAULT. Each case's initial values and gradients come
from Python's random.Random seeded with the CRC-32 of the case name, as in generate.py (its random()
stream is stable across Python versions), so a case named like an Adam case of generate.py starts
from the same initial values (and cases of the same name in two directories share their data).

sqrt: torch's float32 Tensor.sqrt is MKL's vsSqrt, which ATEN_CPU_CAPABILITY does not reach and which
is not correctly rounded on every CPU (on the AMD EPYC that wrote these sets, 1000224 of the
6000010 values of Sqrt.sample() are one ulp off: 16.67%). lucid-optim's sqrt is IEEE's, correctly
rounded. So the script first measures torch's sqrt against numpy's (Sqrt.measure) and, when any value
differs, replaces torch.Tensor.sqrt, torch.Tensor.sqrt_ (in place) and torch.sqrt for the run with a
correctly rounded one (numpy's float32 sqrt); everything else stays torch's own. The fixtures of the
algorithms whose single-tensor path takes a square root (RMSprop, Adagrad, Adadelta, NAdam, RAdam)
say which it was in a top-level "sqrt" string ("torch's sqrt patched to be correctly rounded (MKL's
was N of M values off by one ulp on this CPU)", or "torch's own (correctly rounded on this CPU)"); the
script asserts that SGD, Adamax, ASGD and Rprop never call it.

Adding an algorithm: one entry in ALGORITHMS (the torch class, its cases, a float32 numpy model of one
parameter's step, an algorithm-wide check, optionally the state the constructor creates, whether it
takes a square root, and a probe of torch behaviour no fixture can hold), and its cases. The runner,
the data, the JSON layout and the output directory are shared. Before writing a case the script
asserts, for every step, everything the algorithm's `check` says about torch (SGD: when state exists,
what the first momentum buffer is, that buffers are updated in place and kept while momentum is 0,
...; the others, check_lifecycle: when state appears and with which keys, in place updates, step
counts, skipped parameters), that torch's parameters and state (before step 1 too) are the model's
bits (NaN compared as NaN), and the case's own check. The models (see "The other element-wise
optimizers" below for the rounding of each torch operation) are the recipe lucid-optim's kernels
follow; every x ** y they compute (C's pow, through Python) is checked against mpmath and reported.

JSON layout (one file per case; compact, as generate.py's: one top-level key per line, one step of
`grads` and one checkpoint per line. A checkpoint after each of 45 steps makes 41-65 KB a file for
SGD (indent=1 would make up to 88 KB), 53-104 KB for the others, by the size of their state):

  generatedBy, torchVersion, python, cpuCapability ("DEFAULT"), [sqrt (see above)], optimizer (the
  torch.optim class name), case, note (what the case is for),
  defaults only when the case gives the constructor keyword arguments besides the groups (Adagrad's
           initial_accumulator_value): optimizer.defaults, every option camelCased as in groups. The
           groups inherit what they do not set; Adagrad fills its sums from here, not from the group;
  groups   [{params: [indices], [addedAfterStep], <every option of the algorithm>}]: torch's keyword
           names camelCased (weight_decay -> weightDecay, step_sizes -> stepSizes), torch's defaults
           filled in, read back from optimizer.param_groups after construction; not
           foreach/fused/differentiable/capturable. Numbers are written as floats (torch's default 0
           as 0.0), pairs (betas, etas, step_sizes) as lists. A group with addedAfterStep N is not
           given to the constructor: once step N is done (after that step's changes),
           optimizer.add_param_group({params, <its options as torch keyword arguments>}) (its
           parameters have no gradient before; Adagrad's added-group case only);
  changes  [{afterStep, group, key, value}]: once step afterStep is done,
           param_groups[group][snake_case(key)] = value;
  params   [{shape, initial}]: row-major float32 values;
  grads    grads[step - 1][param]: row-major float32 values, or null (p.grad is None that step);
  initialState  only when torch has state before step 1 (Adagrad: its constructor creates {step: 0,
           sum} for every parameter of its groups): per parameter, as a checkpoint's state. Not a
           checkpoint with afterStep 0: checkpoints[k] stays the state after step k + 1;
  checkpoints  [{afterStep, params, state}] after every step: torch's parameters and, per parameter,
           null (no entry in optimizer.state) or {<torch's state key>: value} in torch's key order, a
           tensor as a flat row-major list, a 0-d tensor (step, mu_product, eta, mu: float32) or
           Python number as a number.

Every float32 value is Python's repr of the float (the shortest decimal that parses back to the same
double, which is the float32 value exactly); non-finite values are the strings "NaN", "Infinity" and
"-Infinity". Group options are Python floats written the same way (lr 0.1 is the double 0.1: torch
rounds it to float32 inside each kernel call).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# ATen reads the variable once, when torch is imported: it must be set before `import torch`.
os.environ["ATEN_CPU_CAPABILITY"] = "default"

import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATED_BY = "scripts/golden/optimizers.py"

STEPS = 45
SHAPES = ((7,), (4, 4))
NO_GRAD_PARAM = 1
NO_GRAD_STEPS = (10, 11, 30)  # 1-based steps at which parameter 1 has grad None
# Implementation switches, not options of the algorithm: left out of the fixture's groups.
NOT_OPTIONS = ("params", "foreach", "fused", "differentiable", "capturable")


@dataclass(frozen=True)
class Case:
    """One fixture: groups as torch keyword arguments, changes, data shape, what the case shows."""

    name: str
    note: str
    # Each group: (param indices, torch keyword arguments; omitted ones get torch's defaults).
    groups: tuple[tuple[tuple[int, ...], dict], ...]
    # (after_step, group, torch key, value): param_groups[group][key] = value once after_step is done.
    changes: tuple[tuple[int, int, str, float], ...] = ()
    shapes: tuple[tuple[int, ...], ...] = SHAPES
    # Data other than make_data's: (case) -> (initial, grads).
    data: Callable | None = None
    # Case-specific assertions on the finished run (after the algorithm-wide ones).
    check: Callable | None = None
    # Keyword arguments of the constructor besides the groups (torch's defaults otherwise): they
    # become optimizer.defaults, which the groups inherit and (Adagrad) the state is created from.
    defaults: dict = field(default_factory=dict)
    # Groups added later: (after_step, param indices, torch keyword arguments): once step after_step
    # is done (and its changes made), optimizer.add_param_group({params, **options}).
    added: tuple[tuple[int, tuple[int, ...], dict], ...] = ()


@dataclass
class Run:
    """A finished torch run, with what the checks need besides the fixture's JSON."""

    case: Case
    initial: list[np.ndarray]
    grads: list[list[np.ndarray | None]]
    opt: torch.optim.Optimizer
    groups: list[dict]  # the fixture's groups
    group_of: list[int]  # parameter index -> group index
    # options[step - 1][group]: the group's options during that step (changes included)
    options: list[list[dict]] = field(default_factory=list)
    # params[step] / state[step] after step (index 0: before step 1): numpy copies; state entries
    # None (no entry) or {key: np.ndarray or float}
    params: list[list[np.ndarray]] = field(default_factory=list)
    state: list[list[dict | None]] = field(default_factory=list)
    # state_ptrs[step][i] = {key: data_ptr} of the state tensors; grad_ptrs[step - 1][i]
    state_ptrs: list[list[dict | None]] = field(default_factory=list)
    grad_ptrs: list[list[int | None]] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)
    initial_state: list[dict | None] = field(default_factory=list)  # as a checkpoint's state, before step 1


# ---------------------------------------------------------------------------
# Data


def f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def f32_scalar(x: float) -> float:
    """x rounded to float32 (round to nearest even), as torch casts a Python scalar for a float32 kernel."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


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
    """Initial values and the gradient sequence for one case (generate.py's recipe, STEPS steps).

    Gradients: about 1 in 8 elements exactly zero each step (at least one per parameter per step),
    and each nonzero element keeps its previous sign or flips it (at least one flip per parameter
    per step after step 1); parameter 1 has no gradient at NO_GRAD_STEPS.
    """
    rng = random.Random(zlib.crc32(case.name.encode()))
    sizes = [math.prod(s) for s in case.shapes]
    initial = [f32([rng.choice((-1.0, 1.0)) * spread_magnitude(rng) for _ in range(n)]) for n in sizes]

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
                values.append(signs[j][e] * spread_magnitude(rng))
            row.append(f32(values))
        if step in NO_GRAD_STEPS:
            row[NO_GRAD_PARAM] = None
        prev = [p if g is None else g for p, g in zip(prev, row)]
        grads.append(row)
    return initial, grads


def check_data(initial, grads) -> None:
    for j in range(len(initial)):
        seq = [g[j] for g in grads if g[j] is not None]
        assert all((g == 0).any() for g in seq), "every step needs an exact zero"
        # Consecutive steps only: across a step without gradient the signs may have flipped back. A
        # [3] parameter can have its one nonzero element where the next step's forced zero falls.
        pairs = [(a[j], b[j]) for a, b in zip(grads, grads[1:]) if a[j] is not None and b[j] is not None]
        flips = [((a * b) < 0).any() for a, b in pairs]
        assert all(flips) or len(initial[j]) < 7, "every step after the first needs a sign flip"
        assert all(np.isfinite(g).all() for g in seq) and np.isfinite(initial[j]).all()
    for step in NO_GRAD_STEPS:
        assert grads[step - 1][NO_GRAD_PARAM] is None


F32_MAX = float(np.finfo(np.float32).max)
INF, NAN = math.inf, math.nan
INF_NAN_STEP = 25  # edge-grads: the step whose gradient holds an Infinity and a NaN


def edge_data(case: Case):
    """make_data's values with edge values written over some elements (edge-grads: lr 0.1, momentum
    0.9, weight decay 0.01).

    Parameter 0 ([7]): element 0 starts at 0.0 with gradients +0.0 and -0.0 in turn; element 1 starts
    at -0.0 with -0.0 gradients; element 2 starts at the subnormal 1e-40 with subnormal gradients;
    element 3 starts at -3e38 with gradients -3e38 (the buffer 0.9 * b + g overflows to -Infinity at
    step 2); element 4 starts at 3.3e38 with gradients -3e37 (the parameter's own update overflows
    to +Infinity at step 3); elements 5 and 6 get +Infinity and NaN at step INF_NAN_STEP.
    Parameter 1 ([4, 4]): element 0 starts at float32's max; element 1 at the smallest subnormal
    2**-149 with gradient 0.0 (0.01 * 2**-149 underflows to 0); element 2 at -1e-40 with gradient -0.0
    (the weight decay term alone, a subnormal, moves it); element 3 gets gradients 3e38 (its buffer
    overflows to +Infinity at step 2); element 4 gets -0.0, element 5 the smallest subnormal.
    """
    initial, grads = make_data(case)
    p0, p1 = initial
    p0[0], p0[1], p0[2], p0[3], p0[4] = 0.0, -0.0, 1e-40, -3e38, 3.3e38
    p1[0], p1[1], p1[2] = F32_MAX, 2.0**-149, -1e-40
    for step, row in enumerate(grads, start=1):
        g0, g1 = row
        g0[0] = 0.0 if step % 2 else -0.0
        g0[1] = -0.0
        g0[2] = (1e-40, -3e-41, 2.0**-149)[step % 3]
        g0[3] = -3e38
        g0[4] = -3e37
        if step == INF_NAN_STEP:
            g0[5], g0[6] = INF, NAN
        if g1 is not None:
            g1[1], g1[2], g1[3], g1[4], g1[5] = 0.0, -0.0, 3e38, -0.0, 2.0**-149
    return initial, grads


def tiny_decay_data(case: Case):
    """make_data's values with one element per parameter that never gets a nonzero gradient (tiny-weight-decay).

    float32(1e-45) is 2**-149, so 2**-149 * p is 0 for |p| < 0.5 and a subnormal above: added to an
    exact-zero gradient it is all the buffer gets, every step, at those elements (p stays > 1 in
    magnitude: lr * b is far below half an ulp of p).
    """
    initial, grads = make_data(case)
    for j in range(len(initial)):
        initial[j][0] = np.float32(1000.0) if initial[j][0] >= 0 else np.float32(-3.5)
    for row in grads:
        for g in row:
            if g is not None:
                g[0] = 0.0
    return initial, grads


def underflow_decay_data(case: Case):
    """make_data's values with -0.0 gradients and one infinite parameter (underflow-weight-decay).

    weight_decay 1e-46 is 0 in float32, so grad.add(param, alpha=wd) adds 0 * param: -0.0 + (+0.0)
    is +0.0 (the sign of a zero gradient changes where param > 0), and 0 * Infinity is NaN.
    """
    initial, grads = make_data(case)
    initial[0][0] = INF
    initial[0][1] = abs(initial[0][1])  # positive: 0 * p is +0.0, which turns a -0.0 gradient into +0.0
    initial[1][2] = -abs(initial[1][2])  # negative: 0 * p is -0.0, which keeps a -0.0 gradient
    for row in grads:
        row[0][1] = -0.0
        if row[1] is not None:
            row[1][2] = -0.0
            row[1][3] = -0.0
    return initial, grads


# ---------------------------------------------------------------------------
# torch


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def option_json(value):
    """A group option as the fixture writes it: numbers as floats (torch's default 0 is the int 0)."""
    assert not isinstance(value, torch.Tensor), "tensor options are not written"
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return number_json(float(value))
    if isinstance(value, (tuple, list)):
        return [option_json(v) for v in value]
    raise TypeError(type(value))


def number_json(x: float):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def values_json(a) -> list:
    """Row-major float32 values (a numpy array or tensor) as JSON numbers; float32 -> float is exact."""
    if isinstance(a, torch.Tensor):
        assert a.dtype == torch.float32, a.dtype
        a = a.detach().reshape(-1).numpy()
    assert a.dtype == np.float32, a.dtype
    return [number_json(float(x)) for x in a.reshape(-1)]


def state_value_json(v):
    """A state value: a tensor as a flat row-major list, a 0-d tensor or Python number as a number."""
    if isinstance(v, torch.Tensor):
        if v.dim() == 0:
            return number_json(float(v.item()))
        return values_json(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return number_json(float(v))
    raise TypeError(type(v))


def state_copy(v):
    """A state value copied for the checks: tensors as float32 numpy arrays, numbers as floats."""
    if isinstance(v, torch.Tensor):
        return v.detach().clone().numpy().reshape(-1) if v.dim() else float(v.item())
    return float(v)


# ---------------------------------------------------------------------------
# sqrt


class Sqrt:
    """Whose square root the runs use, and how often the optimizers called it.

    torch's float32 Tensor.sqrt on the CPU is MKL's vsSqrt (ATEN_CPU_CAPABILITY does not reach
    MKL's own dispatch), which is not correctly rounded on every CPU. setup() compares it with
    numpy's (IEEE, correctly rounded) on a fixed sample (measure()), then routes torch.Tensor.sqrt,
    torch.Tensor.sqrt_ (in place: same tensor, same storage) and torch.sqrt through Sqrt.sqrt, which
    counts the calls and, when any value of the sample differed, computes a correctly rounded square
    root (numpy's, float32) instead of torch's. Everything else stays torch's own.
    """

    note: str | None = None  # what the fixtures of an algorithm with a square root say
    calls = 0
    patched = False  # whether Sqrt.sqrt is numpy's (else torch's own)
    incorrect = 0  # how many values of the sample torch's own sqrt did not round correctly
    original = (torch.Tensor.sqrt, torch.Tensor.sqrt_, torch.sqrt)

    @staticmethod
    def sample() -> np.ndarray:
        rng = np.random.default_rng(2150)
        return np.concatenate([
            # Every finite non-negative float32 bit pattern equally likely: most exponents, subnormals included.
            rng.integers(0, 0x7F800000, size=4_000_000, dtype=np.uint32).view(np.float32),
            rng.uniform(0.0, 2.0, size=1_000_000).astype(np.float32),
            (10.0 ** rng.uniform(-12.0, 12.0, size=1_000_000)).astype(np.float32),
            f32([0.0, -0.0, INF, NAN, -1.0, -INF, 2.0**-149, F32_MAX, 1.0, 4.0]),
        ])

    @classmethod
    def measure(cls) -> tuple[int, int, int]:
        """(values torch's sqrt does not round correctly, values tried, largest distance in ulps), torch's own sqrt."""
        x = cls.sample()
        with np.errstate(invalid="ignore"):
            want = np.sqrt(x)
        got = cls.original[0](torch.from_numpy(x.copy())).numpy()
        # The optimizers' tensors hold 3, 7 or 16 values: torch's results there are the same as on one long tensor.
        for n in (3, 7, 16):
            k = 48_000 // n * n
            small = np.concatenate([cls.original[0](torch.from_numpy(x[j:j + n].copy())).numpy() for j in range(0, k, n)])
            assert same_bits(small, got[:k]), f"sqrt on {n}-element tensors differs from one long tensor"
        off = bits(got) != bits(want)
        ulps = np.abs(got[off].view(np.int32).astype(np.int64) - want[off].view(np.int32).astype(np.int64))
        assert not (np.isnan(got[off]) | np.isnan(want[off])).any(), "NaN where the other is not"
        return int(off.sum()), len(x), int(ulps.max(initial=0))

    @classmethod
    def sqrt(cls, t: torch.Tensor) -> torch.Tensor:
        """The square root the runs use: numpy's correctly rounded one when patched, else torch's own."""
        assert t.dtype == torch.float32 and t.device.type == "cpu" and not t.requires_grad, (t.dtype, t.device)
        cls.calls += 1
        if not cls.patched:
            return cls.original[0](t)
        with np.errstate(invalid="ignore"):
            return torch.from_numpy(np.asarray(np.sqrt(t.numpy()), dtype=np.float32))

    @classmethod
    def install(cls) -> None:
        """Route Tensor.sqrt, Tensor.sqrt_ and torch.sqrt through Sqrt.sqrt (which counts the calls)."""
        def sqrt(self, *args, **kwargs):
            assert not args and not kwargs
            return cls.sqrt(self)

        def sqrt_(self, *args, **kwargs):
            assert not args and not kwargs
            ptr = self.data_ptr()
            self.copy_(cls.sqrt(self))
            assert self.data_ptr() == ptr
            return self

        def torch_sqrt(input, *args, **kwargs):
            assert not args and not kwargs, "torch.sqrt(out=...) is not patched"
            return cls.sqrt(input)

        torch.Tensor.sqrt, torch.Tensor.sqrt_, torch.sqrt = sqrt, sqrt_, torch_sqrt

    @classmethod
    def setup(cls) -> None:
        """Measure torch's sqrt; patch it when it is not correctly rounded. Idempotent."""
        if cls.note is not None:
            return
        bad, n, ulps = cls.measure()
        cls.install()
        cls.incorrect = bad
        if bad:
            cls.patched = True
            off = "one ulp" if ulps == 1 else f"up to {ulps} ulps"
            cls.note = f"torch's sqrt patched to be correctly rounded (MKL's was {bad} of {n} values off by {off} on this CPU)"
            print(f"sqrt: torch's float32 sqrt is not correctly rounded on this CPU ({bad} of {n} values, "
                  f"{100 * bad / n:.2f}%): Tensor.sqrt, Tensor.sqrt_ and torch.sqrt patched to numpy's correctly rounded one")
        else:
            cls.note = "torch's own (correctly rounded on this CPU)"
            print(f"sqrt: torch's float32 sqrt is correctly rounded on this CPU (0 of {n} values differ): not patched")


def run_torch(algo: "Algorithm", case: Case, initial, grads, changes=None) -> Run:
    """torch over the case; records everything after every step. `changes` overrides the case's."""
    changes = case.changes if changes is None else changes
    params = [torch.nn.Parameter(torch.from_numpy(x.copy()).reshape(shape)) for x, shape in zip(initial, case.shapes)]
    torch_groups = [{"params": [params[i] for i in idx], **opts} for idx, opts in case.groups]
    opt = algo.cls(torch_groups, foreach=False, **case.defaults)

    def group_json(g: dict, idx, added_after: int | None = None) -> dict:
        assert g["foreach"] is False and not g.get("fused") and not g.get("differentiable") and not g.get("capturable")
        head = {"params": list(idx)} if added_after is None else {"params": list(idx), "addedAfterStep": added_after}
        return {**head, **{camel(k): option_json(g[k]) for k in opt.defaults if k not in NOT_OPTIONS}}

    groups = [group_json(g, idx) for (idx, _), g in zip(case.groups, opt.param_groups)]
    all_groups = [idx for idx, _ in case.groups] + [idx for _, idx, _ in case.added]
    group_of = [next(gi for gi, idx in enumerate(all_groups) if i in idx) for i in range(len(params))]
    assert sorted(i for idx in all_groups for i in idx) == list(range(len(params)))

    run = Run(case, initial, grads, opt, groups, group_of)

    def record(step: int) -> None:
        states, ptrs = [], []
        for p in params:
            if p not in opt.state:  # optimizer.state is a defaultdict: .get would not add one, `in` neither
                states.append(None)
                ptrs.append(None)
                continue
            st = opt.state[p]
            states.append({k: state_copy(v) for k, v in st.items()})
            ptrs.append({k: v.data_ptr() for k, v in st.items() if isinstance(v, torch.Tensor)})
        run.params.append([p.detach().clone().numpy().reshape(-1) for p in params])
        run.state.append(states)
        run.state_ptrs.append(ptrs)
        if not step:
            run.initial_state = [
                None if p not in opt.state else {k: state_value_json(v) for k, v in opt.state[p].items()} for p in params
            ]
        if step:
            run.checkpoints.append({
                "afterStep": step,
                "params": [values_json(p) for p in params],
                "state": [
                    None if p not in opt.state else {k: state_value_json(v) for k, v in opt.state[p].items()}
                    for p in params
                ],
            })

    record(0)
    by_step: dict[int, list] = {}
    for after, gi, key, value in changes:
        by_step.setdefault(after, []).append((gi, key, value))
    added = {after: (idx, opts) for after, idx, opts in case.added}
    assert len(added) == len(case.added), "one added group per step"
    for step in range(1, STEPS + 1):
        for p, g in zip(params, grads[step - 1]):
            p.grad = None if g is None else torch.from_numpy(g.copy()).reshape(p.shape)
        run.grad_ptrs.append([None if p.grad is None else p.grad.data_ptr() for p in params])
        run.options.append([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])
        opt.step()
        record(step)
        for gi, key, value in by_step.get(step, ()):
            assert key in opt.param_groups[gi], key
            opt.param_groups[gi][key] = value
        if step in added:
            idx, opts = added[step]
            opt.add_param_group({"params": [params[i] for i in idx], **opts})
            groups.append(group_json(opt.param_groups[-1], idx, step))
    # Every state tensor, 0-d ones (step, mu_product, eta, mu) included, is float32.
    for st in opt.state.values():
        assert all(v.dtype == torch.float32 for v in st.values() if isinstance(v, torch.Tensor)), st
    return run


# ---------------------------------------------------------------------------
# Checks


def bits(a) -> np.ndarray:
    """float32 bit patterns, every NaN as one pattern (torch and numpy need not agree on NaN payloads)."""
    a = np.asarray(a, dtype=np.float32).reshape(-1)
    out = a.view(np.uint32).copy()
    out[np.isnan(a)] = 0x7FC00000
    return out


def same_bits(a, b) -> bool:
    return np.shape(a) == np.shape(b) and bool((bits(a) == bits(b)).all())


def check_model(algo: "Algorithm", run: Run) -> None:
    """torch's parameters and state after every step are the float32 model's bits (before step 1
    too: the state the constructor creates, Adagrad's)."""
    p = [x.copy() for x in run.initial]
    defaults = run.opt.defaults
    constructed = {i for idx, _ in run.case.groups for i in idx}
    state: list[dict | None] = [
        algo.init_state(defaults, p[i]) if algo.init_state and i in constructed else None for i in range(len(p))
    ]
    with np.errstate(all="ignore"):  # overflow, NaN and subnormals are what the edge cases are for
        for step in range(0, STEPS + 1):
            for i, g in enumerate(run.grads[step - 1] if step else ()):
                if g is not None:
                    p[i], state[i] = algo.model(run.options[step - 1][run.group_of[i]], p[i], g, state[i], defaults)
            for i in range(len(p)):
                where = f"{run.case.name} step {step} param {i}"
                assert same_bits(p[i], run.params[step][i]), f"{where}: torch's parameter is not the model's"
                got = run.state[step][i]
                assert (got is None) == (state[i] is None), f"{where}: state entry {got is None} vs model's {state[i] is None}"
                if got is not None:
                    assert list(got) == list(state[i]), (where, list(got), list(state[i]))
                    for k in got:
                        assert same_bits(got[k], state[i][k]), f"{where}: state {k} is not the model's"


def sgd_model(opts: dict, p: np.ndarray, g: np.ndarray, state: dict | None, defaults: dict | None = None):
    """One step of torch's _single_tensor_sgd for one parameter, in float32, every operation rounded.

    Scalars are rounded to float32 first, as ATen casts a Python scalar for a float32 kernel: the
    weight decay, the momentum, 1 - dampening (computed in float64 by Python, then rounded) and -lr.
    """
    F = np.float32
    g = -g if opts["maximize"] else g  # a negated copy: the caller's gradient is not changed
    if opts["weight_decay"] != 0:  # Python's test on the double: a weight decay that rounds to 0 still adds 0 * p
        g = g + F(opts["weight_decay"]) * p
    if opts["momentum"] != 0:
        state = {} if state is None else state
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.copy()
        else:
            buf = buf * F(opts["momentum"]) + F(1 - opts["dampening"]) * g
        state["momentum_buffer"] = buf
        g = g + F(opts["momentum"]) * buf if opts["nesterov"] else buf
    return p + F(-opts["lr"]) * g, state


def check_sgd(run: Run) -> None:
    """What torch.optim.SGD(foreach=False) does with its state, step by step.

    - A parameter gets a state entry ({"momentum_buffer"} only) at its first step with a gradient
      while its group's momentum is not 0; with momentum 0 torch keeps no state at all.
    - That first buffer is a copy (a new tensor, not p.grad) of the gradient as the step uses it:
      negated under maximize, plus float32(weight_decay) * p when weight_decay != 0.
    - A buffer is updated in place (same storage) for as long as it exists; while momentum is 0 it
      is kept, unchanged, and reused (not cloned again) when momentum comes back.
    - A parameter with grad None is skipped: its value and its state do not change.
    """
    F = np.float32
    name = run.case.name
    for step in range(1, STEPS + 1):
        for i, g in enumerate(run.grads[step - 1]):
            opts = run.options[step - 1][run.group_of[i]]
            before, after = run.state[step - 1][i], run.state[step][i]
            where = f"{name} step {step} param {i}"
            if after is not None:
                assert list(after) == ["momentum_buffer"], (where, list(after))
            if g is None or opts["momentum"] == 0:
                assert (before is None) == (after is None), f"{where}: state appeared or went with no momentum step"
                if before is not None:
                    assert same_bits(before["momentum_buffer"], after["momentum_buffer"]), f"{where}: buffer moved"
                    assert run.state_ptrs[step - 1][i] == run.state_ptrs[step][i], f"{where}: buffer replaced"
                if g is None:
                    assert same_bits(run.params[step - 1][i], run.params[step][i]), f"{where}: skipped parameter moved"
                continue
            assert after is not None, f"{where}: no state after a momentum step"
            if before is None:
                with np.errstate(all="ignore"):
                    want = -g if opts["maximize"] else g
                    if opts["weight_decay"] != 0:
                        want = want + F(opts["weight_decay"]) * run.params[step - 1][i]
                assert same_bits(after["momentum_buffer"], want), f"{where}: first buffer is not the gradient used"
                assert run.state_ptrs[step][i]["momentum_buffer"] != run.grad_ptrs[step - 1][i], f"{where}: buffer is p.grad"
            else:
                assert run.state_ptrs[step - 1][i] == run.state_ptrs[step][i], f"{where}: buffer not updated in place"


def no_state_ever(run: Run) -> None:
    assert all(s is None for row in run.state for s in row), "torch kept state with momentum 0"
    assert len(run.opt.state) == 0


def momentum_switched_on(run: Run) -> None:
    assert all(s is None for row in run.state[: 15 + 1] for s in row), "state before momentum was switched on"
    for i in range(2):
        buf = run.state[16][i]["momentum_buffer"]
        # A fresh buffer at step 16: the gradient itself (no dampening, no decay), not 0.9 * 0 + g.
        assert same_bits(buf, run.grads[15][i]), "step 16's buffer is not a clone of its gradient"


def momentum_switched_off(run: Run) -> None:
    F = np.float32
    for i in range(2):
        buf20 = run.state[20][i]["momentum_buffer"]
        for step in range(21, 31):
            assert same_bits(run.state[step][i]["momentum_buffer"], buf20), "buffer moved while momentum was 0"
            assert run.state_ptrs[step][i] == run.state_ptrs[20][i]
        # Step 31 reuses step 20's buffer in place: 0.9 * b20 + g31, not a clone of g31.
        want = buf20 * F(0.9) + F(1) * run.grads[30][i]
        assert same_bits(run.state[31][i]["momentum_buffer"], want), "step 31 did not continue step 20's buffer"
        assert not same_bits(want, run.grads[30][i])
        assert run.state_ptrs[31][i] == run.state_ptrs[20][i], "step 31's buffer is a new tensor"
    # The steps with momentum 0 were plain SGD: p - lr * g.
    step, i = 25, 0
    want = run.params[step - 1][i] + F(-run.options[step - 1][0]["lr"]) * run.grads[step - 1][i]
    assert same_bits(run.params[step][i], want)


def two_groups(run: Run) -> None:
    assert all(row[1] is None and row[2] is None for row in run.state), "the momentum-0 group has state"
    assert all(row[0] is not None for row in run.state[1:])


def params_unchanged(run: Run) -> None:
    for step in range(1, STEPS + 1):
        for i in range(len(run.initial)):
            assert same_bits(run.params[step][i], run.initial[i]), f"lr 0 moved param {i} at step {step}"
    for i in range(2):
        assert not same_bits(run.state[1][i]["momentum_buffer"], run.state[STEPS][i]["momentum_buffer"])


def differs_from_no_decay(run: Run) -> int:
    """Elements (over every checkpoint) where the run differs from the same data with weight_decay 0."""
    case = run.case
    groups = tuple((idx, dict(opts, weight_decay=0.0)) for idx, opts in case.groups)
    plain = run_torch(ALGORITHMS["sgd"], Case(case.name, case.note, groups, case.changes, case.shapes), run.initial, run.grads)
    return sum(
        int((bits(a) != bits(b)).sum())
        for step in range(1, STEPS + 1)
        for i in range(len(run.initial))
        for a, b in ((run.params[step][i], plain.params[step][i]),
                     (run.state[step][i]["momentum_buffer"], plain.state[step][i]["momentum_buffer"]))
    )


def tiny_weight_decay(run: Run) -> None:
    # 1e-45 is not 0 in float32: it rounds to the smallest subnormal, 2**-149 (1.4e-45).
    assert f32_scalar(1e-45) == 2.0**-149
    # An exact-zero gradient plus 2**-149 * p (|p| >= 0.5) is a nonzero subnormal: element 0 of each
    # parameter never has a gradient, so its buffer is only that term (0.9 * b + 2**-149 * p).
    tiny = np.finfo(np.float32).tiny
    for step in range(1, STEPS + 1):
        for i in range(2):
            b = run.state[step][i]["momentum_buffer"][0]
            assert 0 < abs(b) < tiny and np.sign(b) == np.sign(run.initial[i][0]), (step, i, b)
    n = differs_from_no_decay(run)
    assert n > 0, "weight_decay 1e-45 changed nothing"
    print(f"  tiny-weight-decay: {n} element values differ from weight_decay 0 over the {STEPS} checkpoints")


def underflow_weight_decay(run: Run) -> None:
    assert f32_scalar(1e-46) == 0.0
    buf = run.state[1][0]["momentum_buffer"]
    assert math.isnan(buf[0]), "0 * Infinity should have made the gradient NaN"
    assert buf[1] == 0 and not math.copysign(1, buf[1]) < 0, "-0.0 + 0 * p (p > 0) should be +0.0"
    buf1 = run.state[1][1]["momentum_buffer"]
    assert buf1[2] == 0 and math.copysign(1, buf1[2]) < 0, "-0.0 + 0 * p (p < 0) should stay -0.0"
    assert np.isnan(run.params[STEPS][0][0])
    n = differs_from_no_decay(run)
    assert n > 0
    print(f"  underflow-weight-decay: {n} element values differ from weight_decay 0 over the {STEPS} checkpoints")


def edge_values(run: Run) -> None:
    """What edge_data's elements do (each non-finite value comes and stays where its docstring says)."""
    P, B = run.params, [[None if s is None else s["momentum_buffer"] for s in row] for row in run.state]
    fin = np.isfinite
    # Overflow through the buffer: b = 0.9 * -3.03e38 + -3.03e38 is -Infinity, p - 0.1 * b is +Infinity;
    # then the weight decay term 0.01 * Infinity meets the buffer's -Infinity: NaN for good.
    assert fin(B[1][0][3]) and B[2][0][3] == -INF and P[2][0][3] == INF and np.isnan(P[3][0][3])
    assert B[2][1][3] == INF and P[2][1][3] == -INF and np.isnan(P[STEPS][1][3])
    # Overflow of the update itself: 3.377e38 + 0.1 * 7.2e37 is past float32's max with a finite buffer.
    assert fin(P[2][0][4]) and fin(B[3][0][4]) and P[3][0][4] == INF and np.isnan(P[4][0][4])
    # The Infinity gradient gives -Infinity, then NaN (Infinity - Infinity); the NaN gradient NaN at once.
    assert fin(P[INF_NAN_STEP - 1][0][5:]).all()
    assert P[INF_NAN_STEP][0][5] == -INF and np.isnan(P[INF_NAN_STEP][0][6]) and np.isnan(P[INF_NAN_STEP + 1][0][5])
    assert np.isnan(P[STEPS][0][5:]).all() and np.isnan(B[STEPS][0][5:]).all()
    # Subnormals are kept, not flushed to zero (ATen's default kernels set no FTZ/DAZ).
    tiny = np.finfo(np.float32).tiny
    for step in range(1, STEPS + 1):
        assert 0 < abs(P[step][0][2]) < tiny and 0 < abs(P[step][1][2]) < tiny, step
    assert P[STEPS][1][1] == 2.0**-149 and B[STEPS][1][1] == 0  # 0.01 * 2**-149 underflows to +0.0
    # Zeros keep their IEEE signs: p = -0.0, g = -0.0: b = -0.0 + 0.01 * -0.0 = -0.0, then
    # p - 0.1 * b is -0.0 + +0.0 = +0.0.
    assert B[1][0][1] == 0 and math.copysign(1, B[1][0][1]) < 0
    assert P[1][0][1] == 0 and math.copysign(1, P[1][0][1]) > 0


# ---------------------------------------------------------------------------
# The other element-wise optimizers: float32 models of torch's _single_tensor_<name>
#
# Each model is torch's code op by op, each tensor operation one float32 rounding (numpy's float32
# arithmetic is IEEE single, subnormals kept), each Python scalar computed as torch's Python code
# does (float64, Python's operators left to right, `**` is C's pow) and rounded to float32 once,
# where ATen casts it for a float32 kernel:
#   t.mul_(s)                    t * f32(s)
#   t.add(u, alpha=s)            t + f32(s) * u
#   t.add(s)                     t + f32(s)
#   t.addcmul(u, w, value=s)     t + (f32(s) * u) * w
#   t.addcdiv(u, w, value=s)     t + (f32(s) * u) / w
#   t.lerp_(end, s)              w = f32(s); |w| < 0.5: t + w * (end - t), else end - (end - t) * (1 - w)
#   t / s  (t.div(s))            a true float32 division by f32(s), not a multiplication by a reciprocal
#   s / t  (Tensor.__rtruediv__) t.reciprocal() * f32(s): (1 / t) * f32(s), two roundings
#   0-d t *= s                   f32(t * f32(s)) (NAdam's mu_product)
#   0-d t.copy_(torch.as_tensor(x))   f32(x): x is a Python float, a float64 tensor, rounded once
#   t.sqrt()                     the correctly rounded square root (see Sqrt)
#   torch.sign(t)                1 where t > 0, -1 where t < 0, +0.0 otherwise: ±0 and NaN give +0.0
#   torch.maximum / clamp        NaN if either operand is NaN
# `step` is a float32 0-d tensor; torch's code reads it with .item() (a Python float) for its scalars.

F = np.float32
POW_CALLS: set[tuple[float, float]] = set()  # every (x, y) a model raised x ** y for: checked with mpmath


def pw(x: float, y: float) -> float:
    """Python's float ** float, as torch's Python code computes it (C's pow: glibc's here)."""
    POW_CALLS.add((x, y))
    return x ** y


def grad_l2(opts: dict, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """maximize (a negated copy), then L2 weight decay g + f32(wd) * p when wd != 0 (the double: 1e-46 still adds 0 * p)."""
    g = -g if opts["maximize"] else g
    if opts["weight_decay"] != 0:
        g = g + F(opts["weight_decay"]) * p
    return g


def lerp(a: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """a.lerp_(end, weight) with a Python weight: ATen's two branches (the vectorised one gives the same bits)."""
    w = F(weight)
    if abs(w) < 0.5:
        return a + w * (end - a)
    return end - (end - a) * (F(1) - w)


def addcmul(t: np.ndarray, u: np.ndarray, w: np.ndarray, value: float) -> np.ndarray:
    return t + (F(value) * u) * w


def addcdiv(t: np.ndarray, u: np.ndarray, w: np.ndarray, value: float) -> np.ndarray:
    return t + (F(value) * u) / w


def torch_sign(x: np.ndarray) -> np.ndarray:
    """torch.sign: +0.0 for ±0 and NaN (numpy's sign keeps NaN)."""
    return np.where(x > 0, F(1), np.where(x < 0, F(-1), F(0))).astype(F)


def next_step(state: dict) -> float:
    return float(F(state["step"]) + F(1))


def rmsprop_model(opts, p, g, state, defaults):
    """_single_tensor_rmsprop. State at a parameter's first gradient: step, square_avg, then
    momentum_buffer if momentum > 0 and grad_avg if centered at that moment (zeros); later changes
    of momentum or centered do not add or remove entries (torch raises KeyError if one is switched
    on after the state exists; switched off, the entry is kept, unchanged)."""
    g = grad_l2(opts, p, g)
    if state is None:
        state = {"step": 0.0, "square_avg": np.zeros_like(p)}
        if opts["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p)
        if opts["centered"]:
            state["grad_avg"] = np.zeros_like(p)
    state = dict(state, step=next_step(state))
    alpha = opts["alpha"]
    state["square_avg"] = addcmul(state["square_avg"] * F(alpha), g, g, 1 - alpha)
    if opts["centered"]:
        state["grad_avg"] = lerp(state["grad_avg"], g, 1 - alpha)
        avg = np.sqrt(addcmul(state["square_avg"], state["grad_avg"], state["grad_avg"], -1))
    else:
        avg = np.sqrt(state["square_avg"])
    avg = avg + F(opts["eps"])
    if opts["momentum"] > 0:
        state["momentum_buffer"] = addcdiv(state["momentum_buffer"] * F(opts["momentum"]), g, avg, 1)
        return p + F(-opts["lr"]) * state["momentum_buffer"], state
    return addcdiv(p, g, avg, -opts["lr"]), state


def adagrad_init(defaults, p):
    """What Adagrad's constructor gives every parameter of its groups: step 0 and a sum filled with the
    constructor's initial_accumulator_value (optimizer.defaults), whatever the parameter's group says."""
    return {"step": 0.0, "sum": np.full_like(p, F(defaults["initial_accumulator_value"]))}


def adagrad_model(opts, p, g, state, defaults):
    """_single_tensor_adagrad. clr = lr / (1 + (step - 1) * lr_decay) in float64 with the new step."""
    if state is None:  # a group added later: created at the first gradient, from optimizer.defaults too
        state = adagrad_init(defaults, p)
    step = next_step(state)
    g = grad_l2(opts, p, g)
    clr = opts["lr"] / (1 + (step - 1) * opts["lr_decay"])
    s = addcmul(state["sum"], g, g, 1)
    std = np.sqrt(s) + F(opts["eps"])
    return addcdiv(p, g, std, -clr), {"step": step, "sum": s}


def adadelta_model(opts, p, g, state, defaults):
    """_single_tensor_adadelta."""
    if state is None:
        state = {"step": 0.0, "square_avg": np.zeros_like(p), "acc_delta": np.zeros_like(p)}
    g = grad_l2(opts, p, g)
    rho, eps = opts["rho"], F(opts["eps"])
    square_avg = addcmul(state["square_avg"] * F(rho), g, g, 1 - rho)
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(state["acc_delta"] + eps)
    delta = (delta / std) * g
    acc_delta = addcmul(state["acc_delta"] * F(rho), delta, delta, 1 - rho)
    return p + F(-opts["lr"]) * delta, {"step": next_step(state), "square_avg": square_avg, "acc_delta": acc_delta}


def adamax_model(opts, p, g, state, defaults):
    """_single_tensor_adamax. clr = lr / (1 - beta1 ** step) in float64."""
    if state is None:
        state = {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_inf": np.zeros_like(p)}
    step = next_step(state)
    g = grad_l2(opts, p, g)
    beta1, beta2 = opts["betas"]
    exp_avg = lerp(state["exp_avg"], g, 1 - beta1)
    exp_inf = np.maximum(state["exp_inf"] * F(beta2), np.abs(g) + F(opts["eps"]))
    clr = opts["lr"] / (1 - pw(beta1, step))
    return addcdiv(p, exp_avg, exp_inf, -clr), {"step": step, "exp_avg": exp_avg, "exp_inf": exp_inf}


def decay(opts, p, g):
    """NAdam's and RAdam's weight decay: decoupled p * f32(1 - lr * wd), or L2 into the gradient."""
    g = -g if opts["maximize"] else g
    wd = opts["weight_decay"]
    if wd != 0:
        if opts["decoupled_weight_decay"]:
            p = p * F(1 - opts["lr"] * wd)
        else:
            g = g + F(wd) * p
    return p, g


def nadam_model(opts, p, g, state, defaults):
    """_single_tensor_nadam. mu, mu_next, bias_correction2 and the two addcdiv values are float64;
    mu_product is a float32 0-d tensor multiplied in place by f32(mu); the values read it back."""
    if state is None:
        state = {"step": 0.0, "mu_product": 1.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
    step = next_step(state)
    beta1, beta2 = opts["betas"]
    lr, md = opts["lr"], opts["momentum_decay"]
    bias_correction2 = 1 - pw(beta2, step)
    p, g = decay(opts, p, g)
    mu = beta1 * (1.0 - 0.5 * pw(0.96, step * md))
    mu_next = beta1 * (1.0 - 0.5 * pw(0.96, (step + 1) * md))
    mu_product = float(F(state["mu_product"]) * F(mu))
    exp_avg = lerp(state["exp_avg"], g, 1 - beta1)
    exp_avg_sq = addcmul(state["exp_avg_sq"] * F(beta2), g, g, 1 - beta2)
    denom = np.sqrt(exp_avg_sq / F(bias_correction2)) + F(opts["eps"])
    mu_product_next = mu_product * mu_next
    p = addcdiv(p, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
    p = addcdiv(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))
    return p, {"step": step, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


def radam_rho_t(beta2: float, step: float) -> float:
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * step * pw(beta2, step) / (1 - pw(beta2, step))


def radam_model(opts, p, g, state, defaults):
    """_single_tensor_radam. bias corrections, rho_inf, rho_t and the rectification term are float64;
    when rho_t > 5 the update is ((m / f32(bc1)) * f32(lr)) * ((1 / (sqrt(v) + eps)) * f32(bc2 ** 0.5))
    * f32(rect), otherwise (m / f32(bc1)) * f32(lr) (no square root at all); p + (-1) * update."""
    if state is None:
        state = {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
    step = next_step(state)
    beta1, beta2 = opts["betas"]
    lr = opts["lr"]
    p, g = decay(opts, p, g)
    exp_avg = lerp(state["exp_avg"], g, 1 - beta1)
    exp_avg_sq = addcmul(state["exp_avg_sq"] * F(beta2), g, g, 1 - beta2)
    bias_correction1 = 1 - pw(beta1, step)
    bias_correction2 = 1 - pw(beta2, step)
    bias_corrected_exp_avg = exp_avg / F(bias_correction1)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * pw(beta2, step) / bias_correction2
    if rho_t > 5.0:
        rect = pw((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
        adaptive_lr = (F(1) / (np.sqrt(exp_avg_sq) + F(opts["eps"]))) * F(pw(bias_correction2, 0.5))
        update = ((bias_corrected_exp_avg * F(lr)) * adaptive_lr) * F(rect)
    else:
        update = bias_corrected_exp_avg * F(lr)
    return p + F(-1.0) * update, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


def asgd_model(opts, p, g, state, defaults):
    """_single_tensor_asgd. eta starts as f32(lr) (the group's lr when the state is created), mu as 1;
    the step uses them, then sets eta = f32(lr / (1 + lambd * lr * step) ** alpha) and
    mu = f32(1 / max(1, step - t0)) from the group's current lr (float64, rounded once)."""
    if state is None:
        state = {"step": 0.0, "eta": float(F(opts["lr"])), "mu": 1.0, "ax": np.zeros_like(p)}
    step = next_step(state)
    g = grad_l2(opts, p, g)
    eta = state["eta"]
    p = p * F(1 - opts["lambd"] * eta)
    p = p + F(-eta) * g
    if state["mu"] != 1:
        ax = state["ax"] + (p - state["ax"]) * F(state["mu"])
    else:
        ax = p.copy()
    lr = opts["lr"]
    eta = float(F(lr / pw(1 + opts["lambd"] * lr * step, opts["alpha"])))
    mu = float(F(1 / max(1, step - opts["t0"])))
    return p, {"step": step, "eta": eta, "mu": mu, "ax": ax}


def rprop_model(opts, p, g, state, defaults):
    """_single_tensor_rprop. step_size starts as f32(lr) (the group's lr when the state is created;
    later lr changes do nothing); s = sign(g * prev) -> etaplus (> 0), etaminus (< 0), 1 (0 or NaN);
    step_size = clamp(step_size * s, f32(min), f32(max)); g = 0 where s is etaminus;
    p + (-1 * sign(g)) * step_size; prev = g."""
    if state is None:
        state = {"step": 0.0, "prev": np.zeros_like(p), "step_size": np.full_like(p, F(opts["lr"]))}
    g = -g if opts["maximize"] else g
    etaminus, etaplus = opts["etas"]
    lo, hi = opts["step_sizes"]
    sign = torch_sign(g * state["prev"])
    factor = np.where(sign > 0, F(etaplus), np.where(sign < 0, F(etaminus), F(1))).astype(F)
    step_size = np.minimum(np.maximum(state["step_size"] * factor, F(lo)), F(hi))
    g = np.where(factor == F(etaminus), F(0), g).astype(F)
    p = addcmul(p, torch_sign(g), step_size, -1)
    return p, {"step": next_step(state), "prev": g, "step_size": step_size}


def check_pow_calls() -> None:
    """Every x ** y the models computed, against mpmath at 200 bits: whether glibc's pow (what Python
    and torch's code used here) was correctly rounded on each (what another pow must give)."""
    if not POW_CALLS:
        return
    try:
        import mpmath
    except ImportError:
        print("  pow: mpmath not installed: not checked")
        return
    mpmath.mp.prec = 200
    wrong = []
    for x, y in sorted(POW_CALLS):
        want = float(mpmath.power(mpmath.mpf(x), mpmath.mpf(y)))  # nearest double of the 200-bit value
        if x ** y != want:
            wrong.append((x, y, x ** y, want))
    print(f"  pow: {len(POW_CALLS)} distinct x ** y, {len(POW_CALLS) - len(wrong)} correctly rounded"
          + ("" if not wrong else f"; not: {wrong}"))
    POW_CALLS.clear()


# ---------------------------------------------------------------------------
# Checks of the other algorithms


def check_lifecycle(run: Run, keys: Callable[[dict], list[str]], eager: bool = False) -> None:
    """What each of the 8 algorithms does with its state, step by step.

    - Before step 1 no parameter has state, except with Adagrad (eager), whose constructor gives
      each of its parameters {step: 0, sum}; a group added later gets none until its first gradient.
    - A parameter gets its state at its first step with a gradient, with the keys `keys(options)`
      (in torch's order) for its group's options at that step, step 1; the keys never change after.
    - Every state tensor is updated in place (same storage), step counts the parameter's gradients.
    - A parameter with grad None is skipped: its value and its state do not change.
    """
    name = run.case.name
    constructed = {i for idx, _ in run.case.groups for i in idx}
    for i in range(len(run.initial)):
        before = run.state[0][i]
        if eager and i in constructed:
            assert before is not None and list(before) == ["step", "sum"] and before["step"] == 0, (name, i, before)
        else:
            assert before is None, f"{name} param {i}: state before step 1"
    for step in range(1, STEPS + 1):
        for i, g in enumerate(run.grads[step - 1]):
            before, after = run.state[step - 1][i], run.state[step][i]
            where = f"{name} step {step} param {i}"
            if g is None:
                assert same_bits(run.params[step - 1][i], run.params[step][i]), f"{where}: skipped parameter moved"
                assert (before is None) == (after is None), f"{where}: state appeared or went without a gradient"
                if before is not None:
                    assert list(before) == list(after) and all(same_bits(before[k], after[k]) for k in before), where
                    assert run.state_ptrs[step - 1][i] == run.state_ptrs[step][i], f"{where}: state replaced"
                continue
            assert after is not None, f"{where}: no state after a step"
            if before is None:
                assert list(after) == keys(run.options[step - 1][run.group_of[i]]), (where, list(after))
                assert after["step"] == 1, where
            else:
                assert list(after) == list(before), (where, list(before), list(after))
                assert after["step"] == before["step"] + 1, where
                assert run.state_ptrs[step][i] == run.state_ptrs[step - 1][i], f"{where}: a state tensor was replaced"


def fixed_keys(*keys: str) -> Callable[[dict], list[str]]:
    return lambda opts: list(keys)


def rmsprop_keys(opts: dict) -> list[str]:
    return ["step", "square_avg"] + ["momentum_buffer"] * (opts["momentum"] > 0) + ["grad_avg"] * bool(opts["centered"])


def check_rmsprop(run: Run) -> None:
    check_lifecycle(run, rmsprop_keys)


def check_adagrad(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "sum"), eager=True)
    # The sums start at the constructor's initial_accumulator_value, whatever the groups say.
    init = F(run.opt.defaults["initial_accumulator_value"])
    constructed = {i for idx, _ in run.case.groups for i in idx}
    for i in constructed:
        assert (run.state[0][i]["sum"] == init).all(), (run.case.name, i)


def check_adadelta(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "square_avg", "acc_delta"))


def check_adamax(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "exp_avg", "exp_inf"))


def check_nadam(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "mu_product", "exp_avg", "exp_avg_sq"))


def check_radam(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "exp_avg", "exp_avg_sq"))


def check_asgd(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "eta", "mu", "ax"))


def check_rprop(run: Run) -> None:
    check_lifecycle(run, fixed_keys("step", "prev", "step_size"))
    for step in range(1, STEPS + 1):
        for i, st in enumerate(run.state[step]):
            if st is not None:
                lo, hi = run.options[step - 1][run.group_of[i]]["step_sizes"]
                ss = st["step_size"]
                assert ((ss >= F(lo)) & (ss <= F(hi)) | np.isnan(ss)).all(), (run.case.name, step, i)


# Torch behaviour a fixture cannot hold (the run stops), asserted once per algorithm.


def probe_rmsprop() -> None:
    """momentum or centered switched on after a parameter's state exists: torch's _init_group looks
    the missing entry up and raises KeyError (the state is created once, with the options of that
    moment)."""
    for key, value, missing in (("momentum", 0.9, "momentum_buffer"), ("centered", True, "grad_avg")):
        p = torch.nn.Parameter(torch.ones(3))
        opt = torch.optim.RMSprop([p], foreach=False)
        p.grad = torch.ones(3)
        opt.step()
        opt.param_groups[0][key] = value
        try:
            opt.step()
        except KeyError as e:
            assert e.args == (missing,), e.args
        else:
            raise AssertionError(f"RMSprop accepted {key} switched on after the state exists")
    print("  probe: momentum / centered switched on after the state exists: torch raises KeyError('momentum_buffer' / 'grad_avg')")


def probe_rprop() -> None:
    """torch.sign of ±0, NaN (either sign) and the rest, on the scalar (7 values) and vectorised (16) paths."""
    for n in (7, 16):
        x = torch.tensor(([0.0, -0.0, NAN, -NAN, 2.0**-149, -INF, 3.0, -1e-30] * 2)[:n])
        assert same_bits(x.sign().numpy(), torch_sign(x.numpy())), x.sign()
    print("  probe: torch.sign gives +0.0 for +0.0, -0.0 and NaN (so a NaN product counts as 'no sign change')")


def probe_scalar_ops() -> None:
    """The rounding of the scalar forms the models rely on, on values where the alternatives differ."""
    rng = np.random.default_rng(7)
    x = f32(rng.uniform(0.5, 8.0, size=4096))
    t = torch.from_numpy(x.copy())
    d = 1 - 0.999**3
    assert same_bits((t / d).numpy(), x / F(d)) and not same_bits(x / F(d), x * (F(1) / F(d)))
    assert same_bits(t.div(d).numpy(), x / F(d))
    assert same_bits((d / t).numpy(), (F(1) / x) * F(d)) and not same_bits((F(1) / x) * F(d), F(d) / x)
    # mu_product *= mu: f32(m * f32(mu)), not f32(m * mu) (they differ within 100 NAdam steps).
    m, m32, m64, differ = torch.tensor(1.0), F(1), 1.0, 0
    for step in range(1, 101):
        mu = 0.9 * (1.0 - 0.5 * 0.96 ** (step * 4e-3))
        m *= mu
        m32, m64 = F(m32 * F(mu)), float(F(m64 * mu))
        assert m.item() == float(m32)
        differ += m64 != float(m32)
        m64 = float(m32)
    assert differ, "f32(m * mu) and f32(m * f32(mu)) never differed"
    print("  probe: t / s is a float32 division by f32(s); s / t is (1 / t) * f32(s); 0-d mu_product *= mu is f32(m * f32(mu))"
          f" (f32(m * mu) would differ at {differ} of 100 steps)")


# ---------------------------------------------------------------------------
# Data of the other algorithms


def added_group_data(case: Case):
    """make_data's values for three parameters; parameter 2, in a group added after step ADDED_AFTER,
    has no gradient before."""
    initial, grads = make_data(case)
    for row in grads[:ADDED_AFTER]:
        row[2] = None
    return initial, grads


ADDED_AFTER = 15


def clamp_data(case: Case):
    """make_data's values with, in parameter 0 ([7]), gradients of one sign at every step at elements
    0-2 (Rprop's step size grows by etaplus each step) and of alternating signs at elements 3-5 (it
    shrinks by etaminus every second step: the step after a sign change sees prev = 0)."""
    initial, grads = make_data(case)
    rng = random.Random(zlib.crc32(case.name.encode()) + 1)
    for step, row in enumerate(grads, start=1):
        g0 = row[0]
        for e in range(3):
            g0[e] = (1.0 if e != 1 else -1.0) * spread_magnitude(rng)
        for e in range(3, 6):
            g0[e] = (-1.0) ** (step + e) * spread_magnitude(rng)
    return initial, grads


# Case checks of the other algorithms


def switched_off(run: Run, key: str) -> None:
    """An option switched off after step 20 and on again after step 30: the entry `key` stays, unchanged
    and in place, through steps 21-30, and step 31 continues it (it moves, in place)."""
    for i in range(2):
        kept = run.state[20][i][key]
        for step in range(21, 31):
            assert key in run.state[step][i] and same_bits(run.state[step][i][key], kept), (run.case.name, step, i)
        assert not same_bits(run.state[31][i][key], kept), "step 31 did not use the kept entry"
        assert run.state_ptrs[31][i][key] == run.state_ptrs[20][i][key]


# Elements of edge_data whose g * g overflows (start or gradient near float32's max): (param, element).
HUGE = ((0, 3), (0, 4), (1, 0), (1, 3))


def edge_common(run: Run, inf_gives: float, nan_from: int | None = None, frozen_from: int | None = None) -> None:
    """What edge_data's elements do (see each case's note).

    - Element 6 of parameter 0 (NaN gradient at step INF_NAN_STEP) is NaN from that step to the end;
      element 5 (Infinity gradient) is `inf_gives` (NaN or -Infinity) at that step and NaN at the end.
    - HUGE elements: NaN from step `nan_from` on, or (the overflowed accumulator divides the update
      down to ±0) unchanged from step `frozen_from` to the end, finite.
    - Element 0 of parameter 0 (start 0.0, gradients ±0.0) is +0.0 at every step, element 1 of
      parameter 1 (the smallest subnormal, gradient 0) keeps its value: subnormals are not flushed.
    """
    P = run.params
    assert np.isfinite(P[INF_NAN_STEP - 1][0][5:]).all()
    assert np.isnan([P[t][0][6] for t in range(INF_NAN_STEP, STEPS + 1)]).all(), "the NaN gradient did not stay"
    assert same_bits(P[INF_NAN_STEP][0][5], F(inf_gives)) and np.isnan(P[STEPS][0][5]), P[INF_NAN_STEP][0][5]
    for i, e in HUGE:
        seq = np.array([P[t][i][e] for t in range(STEPS + 1)])
        if nan_from is not None:
            assert np.isfinite(seq[:nan_from]).all() and np.isnan(seq[nan_from:]).all(), (i, e, seq[:4])
        if frozen_from is not None:
            assert np.isfinite(seq).all() and (seq[frozen_from:] == seq[frozen_from]).all(), (i, e, seq[:8])
            assert frozen_from == 0 or seq[frozen_from - 1] != seq[frozen_from]
    for t in range(STEPS + 1):
        assert same_bits(P[t][0][0], F(0.0)) or t == 0, (t, P[t][0][0])
        assert P[t][1][1] == 2.0**-149


def asgd_edge(run: Run) -> None:
    edge_common(run, -INF)
    P, S = run.params, run.state
    assert np.isfinite(P[38][0][4]) and P[39][0][4] == INF and np.isnan(P[40][0][4]) and S[39][0]["ax"][4] == INF


def adagrad_group_sums(run: Run) -> None:
    for i in (1, 2):
        assert run.options[0][run.group_of[i]]["initial_accumulator_value"] == 0.5
        assert (run.state[0][i]["sum"] == F(0.1)).all(), "torch used the group's initial_accumulator_value"


def adagrad_added_group(run: Run) -> None:
    assert all(run.state[step][2] is None for step in range(ADDED_AFTER + 1))
    assert run.opt.param_groups[1]["initial_accumulator_value"] == 0.5
    first = run.state[ADDED_AFTER + 1][2]
    g = run.grads[ADDED_AFTER][2]
    with np.errstate(all="ignore"):
        assert first["step"] == 1 and same_bits(first["sum"], F(0.1) + g * g), "the added group's sum does not start at 0.1"


def eps_zero_nan(run: Run) -> None:
    """With eps 0, an element whose gradients were all 0 so far gets 0 / 0 = NaN (and keeps it)."""
    for i in range(2):
        zero = run.grads[0][i] == 0
        assert zero.any() and np.isnan(run.params[1][i][zero]).all() and np.isfinite(run.params[1][i][~zero]).all()
        assert np.isnan(run.params[STEPS][i][zero]).all()


def adadelta_rho_one(run: Run) -> None:
    for step in range(1, STEPS + 1):
        for i, g in enumerate(run.grads[step - 1]):
            st = run.state[step][i]
            assert not st["square_avg"].any() and not st["acc_delta"].any()
            if g is not None:
                want = run.params[step - 1][i] + F(-run.options[step - 1][0]["lr"]) * g
                assert same_bits(run.params[step][i], want), "rho 1 is not plain SGD"


def radam_rectified(run: Run, first: dict) -> None:
    """The first step (the parameter's own count) at which rho_t > 5, per beta2 (None: never)."""
    for i in range(len(run.initial)):
        beta2 = run.options[0][run.group_of[i]]["betas"][1]
        steps = [t for t in range(1, STEPS + 1) if radam_rho_t(beta2, float(t)) > 5.0]
        got = steps[0] if steps else None
        assert got == first[beta2], (run.case.name, i, beta2, got)
        # Once rectified, rectified for good (rho_t grows with the step).
        assert steps == list(range(got, STEPS + 1)) if got else True


def asgd_averaging(run: Run) -> None:
    """mu becomes 1 / (step - t0) after step t0 + 2 (parameter 0, which has every gradient); ax is p
    until step t0 + 2 and an average from step t0 + 3 on."""
    t0 = int(run.options[0][0]["t0"])
    for step in range(1, STEPS + 1):
        st, p = run.state[step][0], run.params[step][0]
        assert (st["mu"] != 1) == (step >= t0 + 2), (step, st["mu"])
        assert same_bits(st["ax"], p) == (step < t0 + 3), step


def asgd_lr_change(run: Run) -> None:
    o = run.options
    eta20, eta21 = run.state[20][0]["eta"], run.state[21][0]["eta"]
    assert eta20 == F(0.01 / (1 + 1e-4 * 0.01 * 20.0) ** 0.75) and eta21 == F(0.1 / (1 + 1e-4 * 0.1 * 21.0) ** 0.75)
    assert o[20][0]["lr"] == 0.1
    want = run.params[20][0] * F(1 - 1e-4 * eta20) + F(-eta20) * run.grads[20][0]
    assert same_bits(run.params[21][0], want), "step 21 did not use the eta of the old lr"


RPROP_CLAMPS = {"step-size-clamps": (10, 14), "default-clamps": (23, 40)}


def rprop_clamps(run: Run) -> None:
    """step_size of parameter 0: elements 0-2 (one sign) reach the upper clamp, 3-5 (alternating) the lower one."""
    lo, hi = (F(x) for x in run.options[0][0]["step_sizes"])
    at_hi = [t for t in range(1, STEPS + 1) if (run.state[t][0]["step_size"][:3] == hi).all()]
    at_lo = [t for t in range(1, STEPS + 1) if (run.state[t][0]["step_size"][3:6] == lo).all()]
    assert at_hi and at_lo and at_hi == list(range(at_hi[0], STEPS + 1)) and at_lo == list(range(at_lo[0], STEPS + 1))
    assert (at_hi[0], at_lo[0]) == RPROP_CLAMPS[run.case.name], (at_hi[0], at_lo[0])


def rprop_lr_change(run: Run) -> None:
    plain = run_torch(ALGORITHMS["rprop"], run.case, run.initial, run.grads, changes=())
    for step in range(1, STEPS + 1):
        for i in range(2):
            assert same_bits(run.params[step][i], plain.params[step][i])
            assert all(same_bits(run.state[step][i][k], plain.state[step][i][k]) for k in run.state[step][i])


def rprop_edge(run: Run) -> None:
    P, S = run.params, run.state
    t = INF_NAN_STEP
    # The NaN gradient: sign(NaN * prev) is 0 (step size kept), sign(NaN) is 0 (no move), prev = NaN;
    # the next step g * NaN is NaN again: step size kept, p moves by sign(g) * step_size, prev = g.
    assert same_bits(P[t][0][6], P[t - 1][0][6]) and np.isnan(S[t][0]["prev"][6])
    assert S[t + 1][0]["step_size"][6] == S[t][0]["step_size"][6] == S[t - 1][0]["step_size"][6]
    assert run.grads[t][0][6] != 0 and P[t + 1][0][6] != P[t][0][6] and np.isfinite(S[t + 1][0]["prev"][6])
    # The Infinity gradient is only a sign: no parameter is ever non-finite.
    assert all(np.isfinite(x).all() for row in P for x in row)
    # Products of two subnormal gradients underflow to 0: "no sign change", the step size stays lr.
    assert all(S[k][0]["step_size"][2] == F(0.01) for k in range(1, STEPS + 1))
    # -0.0 gradients: sign(-0.0) is 0, the parameter never moves (-1e-40 stays, sign included).
    assert all(same_bits(P[k][1][2], P[0][1][2]) and same_bits(P[k][1][4], P[0][1][4]) for k in range(STEPS + 1))


# ---------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Algorithm:
    """One torch.optim class: its cases, and what the script asserts about it."""

    cls: type
    cases: tuple[Case, ...]
    # float32 numpy model of one parameter's step:
    # (group options, p, g, state or None, optimizer.defaults) -> (p, state or None)
    model: Callable | None = None
    # Algorithm-wide assertions on every run.
    check: Callable | None = None
    # The state the constructor creates for each of its parameters (Adagrad): (optimizer.defaults, p) -> state.
    init_state: Callable | None = None
    # Whether the single-tensor path calls Tensor.sqrt / sqrt_ (the fixtures then say whose sqrt ran).
    sqrt: bool = False
    # Assertions on torch behaviour a fixture cannot hold, run once before the cases.
    probe: Callable | None = None


M = 0.9
SGD_CASES = (
    Case("default", "torch's defaults exactly (lr 1e-3, no momentum): plain p - lr * g, and torch keeps no state at all.",
         (((0, 1), {}),), check=no_state_ever),
    Case("momentum", "Heavy-ball momentum: the buffer starts as a copy of the first gradient, then b = 0.9 * b + g.",
         (((0, 1), {"lr": 0.1, "momentum": M}),)),
    Case("dampening", "Dampening 0.3: b = 0.9 * b + float32(1 - 0.3) * g from the second step on; the first buffer is the undampened gradient.",
         (((0, 1), {"momentum": M, "dampening": 0.3}),)),
    Case("nesterov", "Nesterov momentum: the update is g + 0.9 * b with the buffer just updated.",
         (((0, 1), {"momentum": M, "nesterov": True}),)),
    Case("weight-decay", "L2 weight decay with momentum: g + 0.05 * p enters the buffer (the first buffer included).",
         (((0, 1), {"lr": 0.1, "momentum": M, "weight_decay": 0.05}),)),
    Case("weight-decay-no-momentum", "L2 weight decay without momentum: p - lr * (g + 0.05 * p), no state.",
         (((0, 1), {"lr": 0.1, "weight_decay": 0.05}),), check=no_state_ever),
    Case("maximize", "maximize: the gradient is negated before everything else, so the buffer holds -g.",
         (((0, 1), {"momentum": M, "maximize": True}),)),
    Case("all-options", "Every option at once: maximize, then weight decay, momentum 0.8, Nesterov.",
         (((0, 1), {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True, "maximize": True}),)),
    Case("lr-change", "lr set from 0.1 to 0.01 after step 20; the momentum buffer carries on unchanged.",
         (((0, 1), {"lr": 0.1, "momentum": M}),), changes=((20, 0, "lr", 0.01),)),
    Case("momentum-switched-on", "momentum 0 for 15 steps (no state), then 0.9: step 16 starts a fresh buffer, a copy of that step's gradient.",
         (((0, 1), {}),), changes=((15, 0, "momentum", M),), check=momentum_switched_on),
    Case("momentum-switched-off", "momentum 0.9, set to 0 after step 20 (the buffer is kept, unused), back to 0.9 after step 30 (the old buffer is reused, not a copy of the gradient).",
         (((0, 1), {"momentum": M}),), changes=((20, 0, "momentum", 0.0), (30, 0, "momentum", M)), check=momentum_switched_off),
    Case("two-groups", "Two groups: Nesterov momentum with weight decay for parameter 0, plain SGD (no state) for parameters 1 and 2.",
         (((0,), {"lr": 0.05, "momentum": M, "nesterov": True, "weight_decay": 1e-2}), ((1, 2), {"lr": 0.2, "momentum": 0.0})),
         shapes=((7,), (4, 4), (3,)), check=two_groups),
    Case("large-momentum", "momentum 1.5, which torch accepts (it only refuses momentum < 0): the buffer grows like 1.5**t.",
         (((0, 1), {"momentum": 1.5}),)),
    Case("full-dampening", "dampening 1.0: after the first step the gradient is multiplied by 0 and the buffer only decays.",
         (((0, 1), {"momentum": M, "dampening": 1.0}),)),
    Case("negative-dampening", "dampening -0.5, which torch accepts: b = 0.9 * b + 1.5 * g.",
         (((0, 1), {"momentum": M, "dampening": -0.5}),)),
    Case("tiny-weight-decay", "weight_decay 1e-45: not 0 in float32 but the smallest subnormal 2**-149, so element 0 of each parameter, which never gets a nonzero gradient, has a subnormal buffer.",
         (((0, 1), {"momentum": M, "weight_decay": 1e-45}),), data=tiny_decay_data, check=tiny_weight_decay),
    Case("underflow-weight-decay", "weight_decay 1e-46 rounds to 0 in float32, but torch tests the double and still adds 0 * p: a -0.0 gradient becomes +0.0 where p > 0, and an infinite parameter a NaN gradient.",
         (((0, 1), {"momentum": M, "weight_decay": 1e-46}),), data=underflow_decay_data, check=underflow_weight_decay),
    Case("zero-lr", "lr 0.0: the parameters never change (p + -0.0 * b), while the momentum buffers (weight decay included) still move.",
         (((0, 1), {"lr": 0.0, "momentum": M, "weight_decay": 0.05}),), check=params_unchanged),
    Case("edge-grads", "Zeros of both signs, subnormals, values near float32's max whose updates overflow to Infinity, and an Infinity and a NaN gradient at step 25: torch propagates them.",
         (((0, 1), {"lr": 0.1, "momentum": M, "weight_decay": 0.01}),), data=edge_data, check=edge_values),
)


RMSPROP_CASES = (
    Case("default", "torch's defaults exactly (lr 1e-2, alpha 0.99, eps 1e-8, no momentum, not centered): v = v * 0.99 + (0.01 * g) * g, p + (-lr * g) / (sqrt(v) + eps); state {step, square_avg}.",
         (((0, 1), {}),)),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p enters square_avg and the update.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("momentum", "momentum 0.9: a momentum_buffer created as zeros, b = b * 0.9 + (1 * g) / avg, then p + (-lr) * b.",
         (((0, 1), {"momentum": M}),)),
    Case("centered", "centered: a grad_avg created as zeros, lerped towards g with weight 1 - alpha = 0.01; avg = sqrt(v + (-1 * a) * a) + eps.",
         (((0, 1), {"centered": True}),)),
    Case("centered-momentum", "centered and momentum 0.9: state {step, square_avg, momentum_buffer, grad_avg} in that order.",
         (((0, 1), {"centered": True, "momentum": M}),)),
    Case("small-alpha", "alpha 0.3, centered: lerp's weight 1 - alpha = 0.7 is >= 0.5, so grad_avg takes ATen's other branch, g - (g - a) * (1 - float32(0.7)).",
         (((0, 1), {"alpha": 0.3, "centered": True}),)),
    Case("maximize", "maximize: the gradient is negated first (square_avg does not see the sign, the update does).",
         (((0, 1), {"maximize": True}),)),
    Case("all-options", "Every option at once: maximize, then weight decay 1e-2, alpha 0.9, eps 1e-6, centered, momentum 0.8, lr 1e-3.",
         (((0, 1), {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "weight_decay": 1e-2, "momentum": 0.8, "centered": True, "maximize": True}),)),
    Case("two-groups", "Two groups: centered, momentum 0.9, weight decay 1e-2 for parameter 0; lr 5e-3, alpha 0.9, plain (state {step, square_avg} only) for parameters 1 and 2.",
         (((0,), {"centered": True, "momentum": M, "weight_decay": 1e-2}), ((1, 2), {"lr": 5e-3, "alpha": 0.9})),
         shapes=((7,), (4, 4), (3,))),
    Case("lr-change", "lr 1e-2, momentum 0.9; lr set to 1e-3 after step 20: the buffer carries on, only -lr changes.",
         (((0, 1), {"momentum": M}),), changes=((20, 0, "lr", 1e-3),)),
    Case("momentum-switched-off", "momentum 0.9, set to 0 after step 20 (the buffer stays in the state, unchanged, and the update is the plain addcdiv), back to 0.9 after step 30 (the old buffer continues in place). Switching momentum on after the state exists makes torch raise KeyError: no fixture.",
         (((0, 1), {"momentum": M}),), changes=((20, 0, "momentum", 0.0), (30, 0, "momentum", M)), check=lambda run: switched_off(run, "momentum_buffer")),
    Case("centered-switched-off", "centered, set to False after step 20 (grad_avg stays in the state, unchanged, and avg is sqrt(v) + eps), True again after step 30 (the old grad_avg continues).",
         (((0, 1), {"centered": True}),), changes=((20, 0, "centered", False), (30, 0, "centered", True)), check=lambda run: switched_off(run, "grad_avg")),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with momentum 0.9, centered, weight decay 1e-2: where g * g overflows, square_avg is Infinity and centered's Infinity - grad_avg ** 2 (Infinity too) is NaN, so those parameters are NaN from step 1; the Infinity and the NaN gradient make theirs NaN at step 25; zeros stay +0.0, subnormals are kept.",
         (((0, 1), {"momentum": M, "centered": True, "weight_decay": 1e-2}),), data=edge_data, check=lambda run: edge_common(run, NAN, nan_from=1)),
)

ADAGRAD_CASES = (
    Case("default", "torch's defaults exactly (lr 1e-2, lr_decay 0, initial_accumulator_value 0, eps 1e-10): sum = sum + (1 * g) * g, p + (-lr * g) / (sqrt(sum) + eps). The constructor creates {step 0, sum} for every parameter (initialState).",
         (((0, 1), {}),)),
    Case("lr-decay", "lr_decay 0.05: clr = lr / (1 + (step - 1) * 0.05) in float64 with the parameter's own step (parameter 1 lags after its missing gradients), rounded to float32 once as addcdiv's value -clr.",
         (((0, 1), {"lr_decay": 0.05}),)),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p enters the sum and the update.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("initial-accumulator", "initial_accumulator_value 0.1 given to the constructor (`defaults`): every sum starts at float32(0.1).",
         (((0, 1), {}),), defaults={"initial_accumulator_value": 0.1}),
    Case("maximize", "maximize: the gradient is negated first.",
         (((0, 1), {"maximize": True}),)),
    Case("all-options", "Every option at once, given to the constructor (`defaults`: Adagrad fills its sums from there): lr 5e-2, lr_decay 1e-2, weight decay 1e-2, initial_accumulator_value 0.5, eps 1e-6, maximize.",
         (((0, 1), {}),), defaults={"lr": 5e-2, "lr_decay": 1e-2, "weight_decay": 1e-2, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
    Case("two-groups", "Constructor initial_accumulator_value 0.1 (`defaults`); group 1 (parameters 1 and 2, a third parameter [3]) overrides it with 0.5, lr 5e-2, lr_decay 1e-2: torch fills every sum, group 1's included, with the constructor's 0.1 (initialState); the group's 0.5 is never used.",
         (((0,), {}), ((1, 2), {"lr": 5e-2, "lr_decay": 1e-2, "initial_accumulator_value": 0.5})),
         shapes=((7,), (4, 4), (3,)), defaults={"initial_accumulator_value": 0.1}, check=lambda run: adagrad_group_sums(run)),
    Case("added-group", f"Constructor initial_accumulator_value 0.1 (`defaults`); parameter 2 ([3]) comes in a group added with add_param_group after step {ADDED_AFTER} (`addedAfterStep`) with lr 5e-2, initial_accumulator_value 0.5: it has no state until its first gradient (step {ADDED_AFTER + 1}), and that sum starts from the constructor's 0.1 too.",
         (((0, 1), {}),), added=((ADDED_AFTER, (2,), {"lr": 5e-2, "initial_accumulator_value": 0.5}),),
         shapes=((7,), (4, 4), (3,)), defaults={"initial_accumulator_value": 0.1}, data=added_group_data, check=lambda run: adagrad_added_group(run)),
    Case("lr-change", "lr_decay 1e-2; lr set from 1e-2 to 1e-3 after step 20: clr uses the group's lr at each step, the sum carries on.",
         (((0, 1), {"lr_decay": 1e-2}),), changes=((20, 0, "lr", 1e-3),)),
    Case("eps-zero", "eps 0 (torch accepts it): an element whose gradients have all been 0 has sum 0, and its update (-lr * 0) / 0 is NaN: the parameter is NaN from its first zero gradient on.",
         (((0, 1), {"eps": 0.0}),), check=lambda run: eps_zero_nan(run)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with weight decay 1e-2: where g * g overflows the sum to Infinity, the update (-lr * g) / Infinity is ±0 and the parameter never moves again (from step 1); the Infinity gradient gives Infinity / Infinity = NaN at step 25, the NaN gradient NaN.",
         (((0, 1), {"weight_decay": 1e-2}),), data=edge_data, check=lambda run: edge_common(run, NAN, frozen_from=0)),
)

ADADELTA_CASES = (
    Case("default", "torch's defaults exactly (lr 1.0, rho 0.9, eps 1e-6): v = v * 0.9 + (0.1 * g) * g; delta = (sqrt(u + eps) / sqrt(v + eps)) * g; u = u * 0.9 + (0.1 * delta) * delta; p + (-lr) * delta.",
         (((0, 1), {}),)),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p enters square_avg and delta.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("maximize", "maximize: the gradient is negated first.",
         (((0, 1), {"maximize": True}),)),
    Case("rho-zero", "rho 0 (torch accepts 0 <= rho <= 1): square_avg = v * 0 + (1 * g) * g and acc_delta = u * 0 + (1 * delta) * delta: no memory beyond one step.",
         (((0, 1), {"rho": 0.0}),)),
    Case("rho-one", "rho 1: 1 - rho is 0, so square_avg and acc_delta stay 0 and delta = (sqrt(eps) / sqrt(eps)) * g = g: plain SGD, p + (-lr) * g.",
         (((0, 1), {"lr": 0.1, "rho": 1.0}),), check=lambda run: adadelta_rho_one(run)),
    Case("all-options", "Every option at once: maximize, then weight decay 1e-2, lr 0.5, rho 0.95, eps 1e-5.",
         (((0, 1), {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 1e-2, "maximize": True}),)),
    Case("two-groups", "Two groups: rho 0.5, weight decay 1e-2 for parameter 0; lr 0.1, eps 1e-4 for parameters 1 and 2 (a third parameter [3]).",
         (((0,), {"rho": 0.5, "weight_decay": 1e-2}), ((1, 2), {"lr": 0.1, "eps": 1e-4})), shapes=((7,), (4, 4), (3,))),
    Case("lr-change", "lr set from 1.0 to 0.1 after step 20: square_avg and acc_delta carry on, only -lr changes.",
         (((0, 1), {}),), changes=((20, 0, "lr", 0.1),)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with weight decay 1e-2: where g * g overflows square_avg to Infinity, delta = (sqrt(u + eps) / Infinity) * g is ±0 and the parameter never moves; the Infinity gradient gives 0 * Infinity = NaN at step 25.",
         (((0, 1), {"weight_decay": 1e-2}),), data=edge_data, check=lambda run: edge_common(run, NAN, frozen_from=0)),
)

ADAMAX_CASES = (
    Case("default", "torch's defaults exactly (lr 2e-3, betas (0.9, 0.999), eps 1e-8): m = lerp(m, g, 0.1); u = maximum(u * 0.999, |g| + eps); p + (-clr * m) / u with clr = lr / (1 - 0.9 ** step) in float64. No square root.",
         (((0, 1), {}),)),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p enters both moments.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("maximize", "maximize: the gradient is negated first (exp_inf does not see the sign).",
         (((0, 1), {"maximize": True}),)),
    Case("small-beta1", "betas (0.3, 0.999): lerp's weight 1 - beta1 = 0.7 >= 0.5 takes ATen's other branch, g - (g - m) * (1 - float32(0.7)).",
         (((0, 1), {"betas": (0.3, 0.999)}),)),
    Case("beta2-zero", "betas (0.9, 0.0): u * 0 loses the history, exp_inf is |g| + eps at each step.",
         (((0, 1), {"betas": (0.9, 0.0)}),)),
    Case("all-options", "Every option at once: maximize, then weight decay 1e-2, lr 1e-2, betas (0.8, 0.99), eps 1e-6.",
         (((0, 1), {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2, "maximize": True}),)),
    Case("two-groups", "Two groups: weight decay 1e-2, betas (0.8, 0.99) for parameter 0; lr 1e-2, maximize for parameters 1 and 2 (a third parameter [3]).",
         (((0,), {"betas": (0.8, 0.99), "weight_decay": 1e-2}), ((1, 2), {"lr": 1e-2, "maximize": True})), shapes=((7,), (4, 4), (3,))),
    Case("lr-change", "lr set from 2e-3 to 2e-4 after step 20: clr uses the group's lr at each step.",
         (((0, 1), {}),), changes=((20, 0, "lr", 2e-4),)),
    Case("eps-zero", "eps 0 (torch accepts it): where every gradient so far was 0, exp_avg and exp_inf are 0 and the update (-clr * 0) / 0 is NaN.",
         (((0, 1), {"eps": 0.0}),), check=lambda run: eps_zero_nan(run)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with weight decay 1e-2: exp_inf holds |g| itself, so nothing overflows: the gradient-3e38 element moves by about lr each step, the ones near float32's max by less than half an ulp (unchanged); the Infinity gradient gives Infinity / Infinity = NaN at step 25 and torch.maximum keeps the NaN in exp_inf.",
         (((0, 1), {"weight_decay": 1e-2}),), data=edge_data, check=lambda run: edge_common(run, NAN)),
)

NADAM_CASES = (
    Case("default", "torch's defaults exactly (lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum_decay 4e-3): mu = 0.9 * (1 - 0.5 * 0.96 ** (step * 4e-3)) in float64, mu_product (float32) *= mu, two addcdiv with float64 values rounded once.",
         (((0, 1), {}),)),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p enters both moments and the update.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("decoupled-weight-decay", "decoupled weight decay 0.05: p * float32(1 - lr * 0.05) before the update; the gradient is not decayed.",
         (((0, 1), {"weight_decay": 0.05, "decoupled_weight_decay": True}),)),
    Case("maximize", "maximize: the gradient is negated first.",
         (((0, 1), {"maximize": True}),)),
    Case("momentum-decay", "momentum_decay 0.1: mu = 0.9 * (1 - 0.5 * 0.96 ** (0.1 * step)) grows from 0.4518 (step 1) to 0.5255 (step 45), against 0.4501 to 0.4533 with the default 4e-3.",
         (((0, 1), {"momentum_decay": 0.1}),)),
    Case("zero-momentum-decay", "momentum_decay 0: 0.96 ** 0 is 1, so mu = mu_next = 0.45 at every step and mu_product is float32(0.45) multiplied in float32 step after step.",
         (((0, 1), {"momentum_decay": 0.0}),)),
    Case("small-beta1", "betas (0.3, 0.999): lerp's weight 0.7 takes ATen's other branch; mu is 0.3 * (...).",
         (((0, 1), {"betas": (0.3, 0.999)}),)),
    Case("all-options", "Every option at once: maximize, decoupled weight decay 1e-2, lr 1e-2, betas (0.8, 0.99), eps 1e-6, momentum_decay 1e-2.",
         (((0, 1), {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2, "momentum_decay": 1e-2, "decoupled_weight_decay": True, "maximize": True}),)),
    Case("two-groups", "Two groups: decoupled weight decay 1e-2 for parameter 0; L2 weight decay 1e-2, betas (0.8, 0.99), momentum_decay 0.1 for parameters 1 and 2 (a third parameter [3]).",
         (((0,), {"weight_decay": 1e-2, "decoupled_weight_decay": True}), ((1, 2), {"weight_decay": 1e-2, "betas": (0.8, 0.99), "momentum_decay": 0.1})),
         shapes=((7,), (4, 4), (3,))),
    Case("lr-change", "lr set from 2e-3 to 2e-4 after step 20: both addcdiv values use the group's lr at each step; mu_product carries on.",
         (((0, 1), {}),), changes=((20, 0, "lr", 2e-4),)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with weight decay 1e-2: where g * g overflows exp_avg_sq to Infinity, denom is Infinity and both addcdiv terms are ±0: the parameter never moves; the Infinity gradient gives Infinity / Infinity = NaN at step 25.",
         (((0, 1), {"weight_decay": 1e-2}),), data=edge_data, check=lambda run: edge_common(run, NAN, frozen_from=0)),
)

RADAM_CASES = (
    Case("default", "torch's defaults exactly (lr 1e-3, betas (0.9, 0.999), eps 1e-8): rho_t > 5 is false for steps 1-5 (update m / bc1 * lr, no square root) and true from step 6 (rectified); parameter 1's steps lag after its missing gradients.",
         (((0, 1), {}),), check=lambda run: radam_rectified(run, {0.999: 6})),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p enters both moments.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("decoupled-weight-decay", "decoupled weight decay 0.05: p * float32(1 - lr * 0.05) before the update.",
         (((0, 1), {"weight_decay": 0.05, "decoupled_weight_decay": True}),)),
    Case("maximize", "maximize: the gradient is negated first.",
         (((0, 1), {"maximize": True}),)),
    Case("late-rectification", "betas (0.9, 0.7): rho_inf = 2 / 0.3 - 1 = 5.67 and rho_t crosses 5 only at step 10 (parameter 0 at global step 10, parameter 1 at its own step 10, global step 12).",
         (((0, 1), {"betas": (0.9, 0.7)}),), check=lambda run: radam_rectified(run, {0.7: 10})),
    Case("never-rectified", "betas (0.9, 0.6): rho_inf = 4 < 5, so rho_t > 5 is never true: every step is m / bc1 * lr, exp_avg_sq is kept but never used (no square root at all).",
         (((0, 1), {"betas": (0.9, 0.6)}),), check=lambda run: radam_rectified(run, {0.6: None})),
    Case("small-beta1", "betas (0.3, 0.999): lerp's weight 0.7 takes ATen's other branch.",
         (((0, 1), {"betas": (0.3, 0.999)}),)),
    Case("all-options", "Every option at once: maximize, decoupled weight decay 1e-2, lr 1e-2, betas (0.8, 0.99) (rectified from step 6), eps 1e-6.",
         (((0, 1), {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2, "decoupled_weight_decay": True, "maximize": True}),),
         check=lambda run: radam_rectified(run, {0.99: 6})),
    Case("two-groups", "Two groups: L2 weight decay 1e-2 for parameter 0 (rectified from step 6); betas (0.9, 0.7) (from step 10), decoupled weight decay 1e-2, lr 1e-2 for parameters 1 and 2 (a third parameter [3]).",
         (((0,), {"weight_decay": 1e-2}), ((1, 2), {"lr": 1e-2, "betas": (0.9, 0.7), "weight_decay": 1e-2, "decoupled_weight_decay": True})),
         shapes=((7,), (4, 4), (3,)), check=lambda run: radam_rectified(run, {0.999: 6, 0.7: 10})),
    Case("lr-change", "lr set from 1e-3 to 1e-4 after step 20: the update m / bc1 * f32(lr) (* adaptive lr * rect) takes the group's lr at each step; the moments carry on.",
         (((0, 1), {}),), changes=((20, 0, "lr", 1e-4),)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with weight decay 1e-2: steps 1-5 are not rectified (m / bc1 * lr, no square root), so the elements whose g * g overflows exp_avg_sq still move (by about lr * g); from step 6 their adaptive lr is 1 / sqrt(Infinity) = 0 and they stop for good. The Infinity gradient gives NaN at step 25.",
         (((0, 1), {"weight_decay": 1e-2}),), data=edge_data, check=lambda run: edge_common(run, NAN, frozen_from=5)),
)

ASGD_CASES = (
    Case("default", "torch's defaults exactly (lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6): p * float32(1 - lambd * eta) + (-eta) * g; mu stays 1, so ax is a copy of p; eta = lr / (1 + lambd * lr * step) ** 0.75 after each step. No square root.",
         (((0, 1), {}),)),
    Case("weight-decay", "L2 weight decay 0.05: g + 0.05 * p.",
         (((0, 1), {"weight_decay": 0.05}),)),
    Case("maximize", "maximize: the gradient is negated first.",
         (((0, 1), {"maximize": True}),)),
    Case("small-t0", "t0 10: mu = 1 / max(1, step - 10) is 1 until step 11 and 1 / (step - 10) after, so from step 13 ax averages: ax + (p - ax) * mu.",
         (((0, 1), {"t0": 10.0}),), check=lambda run: asgd_averaging(run)),
    Case("t0-zero", "t0 0: mu = 1 / max(1, step) is set to 1 / 2 after step 2 (used from step 3), so ax is the running mean of the parameters from step 2 on.",
         (((0, 1), {"t0": 0.0}),), check=lambda run: asgd_averaging(run)),
    Case("large-lambd", "lambd 0.1, alpha 0.5, lr 0.1: the decay factor 1 - lambd * eta is 0.99 and eta visibly decays.",
         (((0, 1), {"lr": 0.1, "lambd": 0.1, "alpha": 0.5}),)),
    Case("all-options", "Every option at once: maximize, weight decay 1e-2, lr 5e-2, lambd 1e-3, alpha 0.6, t0 5.",
         (((0, 1), {"lr": 5e-2, "lambd": 1e-3, "alpha": 0.6, "t0": 5.0, "weight_decay": 1e-2, "maximize": True}),)),
    Case("two-groups", "Two groups: t0 10, weight decay 1e-2 for parameter 0; lr 5e-2, lambd 1e-2 for parameters 1 and 2 (a third parameter [3]).",
         (((0,), {"t0": 10.0, "weight_decay": 1e-2}), ((1, 2), {"lr": 5e-2, "lambd": 1e-2})), shapes=((7,), (4, 4), (3,))),
    Case("lr-change", "t0 10; lr set from 1e-2 to 1e-1 after step 20: step 21 still moves with the eta computed after step 20 from the old lr; eta picks the new lr up after step 21.",
         (((0, 1), {"t0": 10.0}),), changes=((20, 0, "lr", 0.1),), check=lambda run: asgd_lr_change(run)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25) with weight decay 1e-2, t0 10: plain SGD-like steps p * (1 - lambd * eta) - eta * g; the 3.3e38 parameter with gradients -3e37 reaches Infinity at step 39 and NaN at 40 (ax follows); the Infinity gradient gives -Infinity at step 25, then NaN.",
         (((0, 1), {"weight_decay": 1e-2, "t0": 10.0}),), data=edge_data, check=lambda run: asgd_edge(run)),
)

RPROP_CASES = (
    Case("default", "torch's defaults exactly (lr 1e-2, etas (0.5, 1.2), step_sizes (1e-6, 50)): step_size starts at lr, x1.2 where g * prev > 0, x0.5 where < 0 (and that gradient is zeroed), x1 where 0; p + (-1 * sign(g)) * step_size. No square root.",
         (((0, 1), {}),)),
    Case("maximize", "maximize: the gradient is negated first.",
         (((0, 1), {"maximize": True}),)),
    Case("etas", "etas (0.3, 1.5): the step size is multiplied by float32(1.5) where g * prev > 0 and by float32(0.3) where < 0.",
         (((0, 1), {"etas": (0.3, 1.5)}),)),
    Case("step-size-clamps", "step_sizes (1e-4, 0.05), parameter 0 with gradients of one sign at elements 0-2 and alternating signs at 3-5: step_size reaches the upper clamp 0.05 at step 10 (0.01 * 1.2 ** 9 > 0.05) and the lower 1e-4 at step 14 (0.01 * 0.5 ** 7 < 1e-4: halved every second step, as the step after a sign change sees prev = 0) and stays there.",
         (((0, 1), {"step_sizes": (1e-4, 0.05)}),), data=clamp_data, check=lambda run: rprop_clamps(run)),
    Case("default-clamps", "torch's step_sizes (1e-6, 50) with lr 1.0 and the same kind of gradients: step_size reaches 50 at step 23 (1.2 ** 22) and 1e-6 at step 40 (halved every second step).",
         (((0, 1), {"lr": 1.0}),), data=clamp_data, check=lambda run: rprop_clamps(run)),
    Case("all-options", "Every option at once: maximize, lr 5e-2, etas (0.4, 1.3), step_sizes (1e-4, 1.0).",
         (((0, 1), {"lr": 5e-2, "etas": (0.4, 1.3), "step_sizes": (1e-4, 1.0), "maximize": True}),)),
    Case("two-groups", "Two groups: etas (0.3, 1.5) for parameter 0; lr 5e-2, step_sizes (1e-3, 0.1), maximize for parameters 1 and 2 (a third parameter [3]).",
         (((0,), {"etas": (0.3, 1.5)}), ((1, 2), {"lr": 5e-2, "step_sizes": (1e-3, 0.1), "maximize": True})), shapes=((7,), (4, 4), (3,))),
    Case("lr-change", "lr set from 1e-2 to 1e-1 after step 20: nothing changes, lr is read only when a parameter's state is created (step_size = lr); the run is the same bits as without the change.",
         (((0, 1), {}),), changes=((20, 0, "lr", 0.1),), check=lambda run: rprop_lr_change(run)),
    Case("edge-grads", "SGD's edge values (edge_data: zeros of both signs, subnormals, values near float32's max, an Infinity and a NaN gradient at step 25; Rprop has no weight decay): torch.sign(NaN) is 0, so the NaN step keeps the step size, leaves the parameter unchanged and only makes prev NaN (the next step sees NaN * g, sign 0 again); an Infinity gradient is just its sign; two subnormal gradients multiply to 0 (no sign change: step size kept); -0.0 gradients never move their parameters. No value ever becomes non-finite.",
         (((0, 1), {}),), data=edge_data, check=lambda run: rprop_edge(run)),
)

# name -> the torch class, its cases (written to test/fixtures/torch-<name>/) and its checks.
ALGORITHMS = {
    "sgd": Algorithm(torch.optim.SGD, SGD_CASES, model=sgd_model, check=check_sgd),
    "rmsprop": Algorithm(torch.optim.RMSprop, RMSPROP_CASES, model=rmsprop_model, check=check_rmsprop, sqrt=True, probe=probe_rmsprop),
    "adagrad": Algorithm(torch.optim.Adagrad, ADAGRAD_CASES, model=adagrad_model, check=check_adagrad, init_state=adagrad_init, sqrt=True),
    "adadelta": Algorithm(torch.optim.Adadelta, ADADELTA_CASES, model=adadelta_model, check=check_adadelta, sqrt=True),
    "adamax": Algorithm(torch.optim.Adamax, ADAMAX_CASES, model=adamax_model, check=check_adamax),
    "nadam": Algorithm(torch.optim.NAdam, NADAM_CASES, model=nadam_model, check=check_nadam, sqrt=True, probe=probe_scalar_ops),
    "radam": Algorithm(torch.optim.RAdam, RADAM_CASES, model=radam_model, check=check_radam, sqrt=True, probe=probe_scalar_ops),
    "asgd": Algorithm(torch.optim.ASGD, ASGD_CASES, model=asgd_model, check=check_asgd),
    "rprop": Algorithm(torch.optim.Rprop, RPROP_CASES, model=rprop_model, check=check_rprop, probe=probe_rprop),
}


def out_dir(name: str) -> Path:
    return REPO_ROOT / "test" / "fixtures" / f"torch-{name}"


# ---------------------------------------------------------------------------
# Output


def fixture_json(obj: dict) -> str:
    """Compact JSON, one top-level key (and one step / checkpoint) per line."""

    def dump(v) -> str:
        return json.dumps(v, allow_nan=False, separators=(",", ":"))

    lines = []
    for key, value in obj.items():
        if key in ("grads", "checkpoints") and value:
            inner = ",\n  ".join(dump(x) for x in value)
            lines.append(f" {dump(key)}:[\n  {inner}\n ]")
        else:
            lines.append(f" {dump(key)}:{dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_set(name: str, capability: str) -> None:
    algo = ALGORITHMS[name]
    out = out_dir(name)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== {algo.cls.__name__}: torch {torch.__version__}, numpy {np.__version__}, CPU capability {capability}")
    if algo.probe:
        algo.probe()
    written = []
    sqrt_calls = Sqrt.calls
    for case in algo.cases:
        initial, grads = (case.data or make_data)(case)
        if case.data is None:
            check_data(initial, grads)
        calls = Sqrt.calls
        run = run_torch(algo, case, initial, grads)
        assert algo.sqrt or Sqrt.calls == calls, f"{name} called sqrt"
        if algo.check:
            algo.check(run)
        if algo.model:
            check_model(algo, run)
        if case.check:
            case.check(run)
        fixture = {
            "generatedBy": f"{GENERATED_BY} --optimizer {name}",
            "torchVersion": torch.__version__.split("+")[0],
            "python": platform.python_version(),
            "cpuCapability": capability,
            **({"sqrt": Sqrt.note} if algo.sqrt else {}),
            "optimizer": algo.cls.__name__,
            "case": case.name,
            "note": case.note,
            **({"defaults": {camel(k): option_json(v) for k, v in run.opt.defaults.items() if k not in NOT_OPTIONS}}
               if case.defaults else {}),
            "groups": run.groups,
            "changes": [{"afterStep": a, "group": g, "key": camel(k), "value": option_json(v)} for a, g, k, v in case.changes],
            "params": [{"shape": list(shape), "initial": values_json(x)} for shape, x in zip(case.shapes, initial)],
            "grads": [[None if g is None else values_json(g) for g in row] for row in grads],
            # The state the constructor created, before step 1 (Adagrad's): the layout of a checkpoint's state.
            **({"initialState": run.initial_state} if any(s is not None for s in run.state[0]) else {}),
            "checkpoints": run.checkpoints,
        }
        path = out / f"{case.name}.json"
        path.write_text(fixture_json(fixture), encoding="utf-8")
        written.append(path.name)
        print(f"{case.name:<26} {path.stat().st_size:>7} bytes")

    assert not algo.sqrt or Sqrt.calls > sqrt_calls, f"{name} never called sqrt"
    check_pow_calls()
    stray = sorted(p.name for p in out.iterdir() if p.name not in written)
    if stray:
        print(f"warning: {out} also holds files this script did not write: {stray}", file=sys.stderr)
    print(f"wrote {len(written)} files to {out.relative_to(REPO_ROOT)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Write golden fixtures of torch.optim's element-wise optimizers.")
    parser.add_argument("--optimizer", choices=sorted(ALGORITHMS), help="write one optimizer's fixtures only (default: all)")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    capability = torch.backends.cpu.get_cpu_capability()
    assert capability == "DEFAULT", f"ATEN_CPU_CAPABILITY=default was not honoured (capability {capability})"
    names = [args.optimizer] if args.optimizer else list(ALGORITHMS)
    Sqrt.setup()
    for name in names:
        write_set(name, capability)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
