"""Golden fixtures for lucid-optim's SparseAdam, produced by the real torch.optim.SparseAdam (torch 2.15).

Run from anywhere (the script finds the repository from its own path):

    .venv-golden/bin/python scripts/golden/sparse_adam.py

Writes one JSON file per case into test/fixtures/torch-sparse-adam/, and torch's own file of the
optimizer's state_dict() after the last step of the cases in SAVED (<case>-state.pt), and nothing
else; it rewrites its own files and warns about others there.

How torch is run: torch.optim.SparseAdam, whose step is `torch.optim._functional.sparse_adam` (it
has no foreach or fused path), on float32 CPU tensors, one thread, with ATEN_CPU_CAPABILITY=default
set before `import torch` (ATen's generic element-wise kernels, no fused multiply-add): every
operation is element-wise on the coalesced gradient's rows, so lucid-optim must give torch's bits.
Its one square root (`exp_avg_sq_update_values.sqrt_()`) is MKL's, which is not correctly rounded on
every CPU: optimizers.py's Sqrt measures it and, where it is not, patches it with a correctly rounded
one for the run; the fixtures' "sqrt" says which. A gradient is a sparse COO tensor of rows of the
parameter's first dimension, made uncoalesced on purpose: rows out of order and repeated (three
times), which `coalesce()` sorts and sums. Initial values and gradients come from Python's
random.Random seeded with the CRC-32 of the case name (gaussian: weights 0.5, gradients 1).

JSON layout: optimizers.py's (the runner of test/e2e/fidelity/optimizer-fixtures.ts reads both),
except that a gradient is {indices: [rows], values: [row-major float32 values, indices.length
rows]}, or null (p.grad is None), and the state's `step` is torch's Python int:
  generatedBy, torchVersion, python, cpuCapability ("DEFAULT"), sqrt, optimizer ("SparseAdam"),
  case, note, groups [{params, lr, betas, eps, maximize}] (torch's values read back from
  param_groups), changes [], params [{shape, initial}], grads[step - 1][param],
  checkpoints [{afterStep, params, state}] after every step, state[i] null before parameter i's
  first gradient, else {step, exp_avg, exp_avg_sq} in torch's order (camelCased).
"""

from __future__ import annotations

import math
import os
import platform
import random
import zlib
from pathlib import Path

os.environ["ATEN_CPU_CAPABILITY"] = "default"

import numpy as np  # noqa: E402
import torch  # noqa: E402

from fixture_json import f32_list, groups_json, warn_about_others, write_case  # noqa: E402
from optimizers import Sqrt  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "test" / "fixtures" / "torch-sparse-adam"
GENERATED_BY = "scripts/golden/sparse_adam.py"
STEPS = 12
SAVED = ("defaults",)

# (name, note, shapes, groups: [(param indices, torch keyword arguments)], rows(name, param, step, first) -> indices or None)
CASES = [
    (
        "defaults",
        "torch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8) on two embeddings; rows out of order and repeated up to three times; parameter 1 has an empty gradient at step 4 (its step still counts) and none at step 7",
        [(10, 4), (6, 3)],
        [((0, 1), {})],
        {1: {4: "empty", 7: None}},
    ),
    (
        "options",
        "lr 1e-2, betas (0.8, 0.99), eps 1e-6, maximize, in one group; the defaults with lr 5e-2 in a second",
        [(8, 5), (5, 2), (9, 1)],
        [((0, 1), {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}), ((2,), {"lr": 5e-2})],
        {},
    ),
    (
        "shapes",
        "a vector (each row one element), a 3-D tensor (rows of 2 x 3 values) and a matrix whose every row is given each step",
        [(7,), (4, 2, 3), (3, 9)],
        [((0, 1, 2), {"lr": 1e-2})],
        {2: "all"},
    ),
]


def rows_of(rng: random.Random, first: int, how) -> list[int] | None:
    """The rows of one sparse gradient: None (no gradient), [] (an empty one), every row once in a
    shuffled order ("all"), or a random count of rows with repeats, out of order."""
    if how is None:
        return None
    if how == "empty":
        return []
    if how == "all":
        rows = list(range(first))
        rng.shuffle(rows)
        return rows
    rows = [rng.randrange(first) for _ in range(rng.randint(1, first))]
    rows += [rows[0]] * 2  # one row three times: coalesce's order of summation shows
    rng.shuffle(rows)
    return rows


def make_data(name: str, shapes, plan):
    rng = random.Random(zlib.crc32(name.encode()))
    initial = [np.array([rng.gauss(0.0, 0.5) for _ in range(math.prod(s))], dtype=np.float32).reshape(s) for s in shapes]
    grads = []
    for step in range(1, STEPS + 1):
        row = []
        for i, shape in enumerate(shapes):
            how = plan.get(i, {})
            how = how.get(step, "random") if isinstance(how, dict) else how
            rows = rows_of(rng, shape[0], how)
            if rows is None:
                row.append(None)
                continue
            width = math.prod(shape[1:])
            values = np.array([rng.gauss(0.0, 1.0) for _ in range(len(rows) * width)], dtype=np.float32)
            row.append((rows, values))
        grads.append(row)
    return initial, grads


def sparse_grad(rows: list[int], values: np.ndarray, shape) -> torch.Tensor:
    indices = torch.tensor([rows], dtype=torch.int64).reshape(1, len(rows))
    return torch.sparse_coo_tensor(indices, torch.from_numpy(values.copy()).reshape(len(rows), *shape[1:]), shape, check_invariants=True)


def main() -> None:
    torch.set_num_threads(1)
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT", torch.backends.cpu.get_cpu_capability()
    Sqrt.setup()
    OUT.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, note, shapes, groups, plan in CASES:
        initial, grads = make_data(name, shapes, plan)
        params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in initial]
        opt = torch.optim.SparseAdam([{"params": [params[i] for i in indices], **kwargs} for indices, kwargs in groups])
        checkpoints, step_grads = [], []
        calls = Sqrt.calls
        for step in range(1, STEPS + 1):
            row = []
            for p, shape, grad in zip(params, shapes, grads[step - 1]):
                if grad is None:
                    p.grad = None
                    row.append(None)
                    continue
                rows, values = grad
                p.grad = sparse_grad(rows, values, shape)
                assert not p.grad.is_coalesced() or len(rows) <= 1
                row.append({"indices": rows, "values": f32_list(values)})
            step_grads.append(row)
            opt.step()
            state = []
            for p in params:
                s = opt.state.get(p)
                if not s:
                    state.append(None)
                    continue
                assert list(s) == ["step", "exp_avg", "exp_avg_sq"] and type(s["step"]) is int, s.keys()
                state.append({"step": s["step"], "expAvg": f32_list(s["exp_avg"].numpy()), "expAvgSq": f32_list(s["exp_avg_sq"].numpy())})
            checkpoints.append({"afterStep": step, "params": [f32_list(p.detach().numpy()) for p in params], "state": state})
        assert Sqrt.calls > calls, "SparseAdam took no square root"
        fixture_groups = groups_json((indices, group) for (indices, _), group in zip(groups, opt.param_groups))
        fixture = {
            "generatedBy": GENERATED_BY,
            "torchVersion": torch.__version__.split("+")[0],
            "python": platform.python_version(),
            "cpuCapability": torch.backends.cpu.get_cpu_capability(),
            "sqrt": Sqrt.note,
            "optimizer": "SparseAdam",
            "case": name,
            "note": note,
            "groups": fixture_groups,
            "changes": [],
            "params": [{"shape": list(s), "initial": f32_list(v)} for s, v in zip(shapes, initial)],
            "grads": step_grads,
            "checkpoints": checkpoints,
        }
        path = write_case(OUT, name, fixture, written, (lambda saved: torch.save(opt.state_dict(), saved)) if name in SAVED else None)
        print(f"{path.relative_to(REPO_ROOT)}: {len(checkpoints)} steps")
    warn_about_others(OUT, written, REPO_ROOT)


if __name__ == "__main__":
    main()
