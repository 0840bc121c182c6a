"""Golden fixtures for lucid-optim's element-wise optimizers, produced by the real torch.optim classes
with ATen's generic kernels (no fused multiply-adds).

Run from the repository root (the script finds its output directories from its own path):

    .venv-golden/bin/python scripts/golden/optimizers.py                  # every optimizer in ALGORITHMS
    .venv-golden/bin/python scripts/golden/optimizers.py --optimizer sgd  # one optimizer

Writes one JSON file per case into test/fixtures/torch-<optimizer>/ (today: test/fixtures/torch-sgd/,
torch.optim.SGD) and nothing else. It rewrites the files of its own cases, warns about other files in
those directories, and writes the same bytes every time it runs (torch 2.15.0 on Linux x86-64).

How torch is run: torch.optim.<Class>(..., foreach=False), PyTorch's single-tensor path, on float32
CPU tensors, one thread, with ATEN_CPU_CAPABILITY=default set before `import torch`: ATen's generic
kernels, no fused multiply-add, every float32 operation rounded on its own, which is what
lucid-optim's kernel computes. ATen reads the variable once, at import, and the script asserts that
torch.backends.cpu.get_cpu_capability() reports DEFAULT. Each case's initial values and gradients come
from Python's random.Random seeded with the CRC-32 of the case name, as in generate.py (its random()
stream is stable across Python versions), so a case named like an Adam case of generate.py starts
from the same initial values.

Adding an algorithm (RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop): one entry in
ALGORITHMS (the torch class, its cases, optionally a float32 numpy model of one parameter's step and
an algorithm-wide check), and its cases. The runner, the data, the JSON layout and the output
directory are shared. Before writing a case the script asserts, for every step, everything the
algorithm's `check` says about torch (for SGD: when state exists, what the first momentum buffer is,
that buffers are updated in place and kept while momentum is 0, ...) and, when a model is given, that
torch's parameters and state are the model's bits (NaN compared as NaN).

JSON layout (one file per case; compact, as generate.py's: one top-level key per line, one step of
`grads` and one checkpoint per line. A checkpoint after each of 45 steps makes 41-65 KB a file for
SGD; indent=1 would make up to 88 KB):

  generatedBy, torchVersion, python, cpuCapability ("DEFAULT"), optimizer (the torch.optim class
  name), case, note (what the case is for),
  groups   [{params: [indices], <every option of the algorithm>}]: torch's keyword names camelCased
           (weight_decay -> weightDecay), torch's defaults filled in, read back from
           optimizer.param_groups after construction; not foreach/fused/differentiable/capturable.
           Numbers are written as floats (torch's default 0 as 0.0);
  changes  [{afterStep, group, key, value}]: once step afterStep is done,
           param_groups[group][snake_case(key)] = value;
  params   [{shape, initial}]: row-major float32 values;
  grads    grads[step - 1][param]: row-major float32 values, or null (p.grad is None that step);
  checkpoints  [{afterStep, params, state}] after every step: torch's parameters and, per parameter,
           null (no entry in optimizer.state) or {<torch's state key>: value}, a tensor as a flat
           row-major list, a 0-d tensor or Python number as a number.

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


def run_torch(algo: "Algorithm", case: Case, initial, grads, changes=None) -> Run:
    """torch over the case; records everything after every step. `changes` overrides the case's."""
    changes = case.changes if changes is None else changes
    params = [torch.nn.Parameter(torch.from_numpy(x.copy()).reshape(shape)) for x, shape in zip(initial, case.shapes)]
    torch_groups = [{"params": [params[i] for i in idx], **opts} for idx, opts in case.groups]
    opt = algo.cls(torch_groups, foreach=False)
    for g in opt.param_groups:
        assert g["foreach"] is False and not g.get("fused") and not g.get("differentiable") and not g.get("capturable")
    groups = [
        {"params": list(idx), **{camel(k): option_json(g[k]) for k in opt.defaults if k not in NOT_OPTIONS}}
        for (idx, _), g in zip(case.groups, opt.param_groups)
    ]
    group_of = [next(gi for gi, (idx, _) in enumerate(case.groups) if i in idx) for i in range(len(params))]
    assert sorted(i for idx, _ in case.groups for i in idx) == list(range(len(params)))

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
    """torch's parameters and state after every step are the float32 model's bits."""
    p = [x.copy() for x in run.initial]
    state: list[dict | None] = [None] * len(p)
    with np.errstate(all="ignore"):  # overflow, NaN and subnormals are what the edge cases are for
        for step in range(1, STEPS + 1):
            for i, g in enumerate(run.grads[step - 1]):
                if g is not None:
                    p[i], state[i] = algo.model(run.options[step - 1][run.group_of[i]], p[i], g, state[i])
            for i in range(len(p)):
                where = f"{run.case.name} step {step} param {i}"
                assert same_bits(p[i], run.params[step][i]), f"{where}: torch's parameter is not the model's"
                got = run.state[step][i]
                assert (got is None) == (state[i] is None), f"{where}: state entry {got is None} vs model's {state[i] is None}"
                if got is not None:
                    assert list(got) == list(state[i]), (where, list(got), list(state[i]))
                    for k in got:
                        assert same_bits(got[k], state[i][k]), f"{where}: state {k} is not the model's"


def sgd_model(opts: dict, p: np.ndarray, g: np.ndarray, state: dict | None):
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
# The table


@dataclass(frozen=True)
class Algorithm:
    """One torch.optim class: its cases, and what the script asserts about it."""

    cls: type
    cases: tuple[Case, ...]
    # float32 numpy model of one parameter's step: (group options, p, g, state or None) -> (p, state or None)
    model: Callable | None = None
    # Algorithm-wide assertions on every run.
    check: Callable | None = None


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

# name -> the torch class, its cases (written to test/fixtures/torch-<name>/) and its checks.
ALGORITHMS = {
    "sgd": Algorithm(torch.optim.SGD, SGD_CASES, model=sgd_model, check=check_sgd),
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
    written = []
    for case in algo.cases:
        initial, grads = (case.data or make_data)(case)
        if case.data is None:
            check_data(initial, grads)
        run = run_torch(algo, case, initial, grads)
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
            "optimizer": algo.cls.__name__,
            "case": case.name,
            "note": case.note,
            "groups": run.groups,
            "changes": [{"afterStep": a, "group": g, "key": camel(k), "value": option_json(v)} for a, g, k, v in case.changes],
            "params": [{"shape": list(shape), "initial": values_json(x)} for shape, x in zip(case.shapes, initial)],
            "grads": [[None if g is None else values_json(g) for g in row] for row in grads],
            "checkpoints": run.checkpoints,
        }
        path = out / f"{case.name}.json"
        path.write_text(fixture_json(fixture), encoding="utf-8")
        written.append(path.name)
        print(f"{case.name:<26} {path.stat().st_size:>7} bytes")

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
    for name in [args.optimizer] if args.optimizer else list(ALGORITHMS):
        write_set(name, capability)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
