"""Golden fixtures for lucid-optim's Adafactor, produced by the real torch.optim.Adafactor (torch 2.15).

Run from anywhere (the script finds the repository from its own path):

    .venv-golden/bin/python scripts/golden/adafactor.py

Writes one JSON file per case into test/fixtures/torch-adafactor/, and torch's own file of the
optimizer's state_dict() after the last step of the cases in SAVED (<case>-state.pt), and nothing
else; it rewrites its own files and warns about others there.

How torch is run: torch.optim.Adafactor(foreach=False), its single-tensor path, on float32 CPU
tensors, one thread, with ATEN_CPU_CAPABILITY=default set before `import torch` (ATen's generic
element-wise kernels, no fused multiply-add). Adafactor's norms and means are reductions, which
torch sums in float32 in its own order and lucid-optim in float64: the test bounds the distance
(test/e2e/fidelity/torch-adafactor.test.ts). A case's initial values and gradients come from
Python's random.Random seeded with the CRC-32 of the case name (gaussian: weights with deviation
0.5, gradients 1).

JSON layout (one file per case; camelCase):
  generatedBy, torchVersion, python, cpuCapability ("DEFAULT"), optimizer ("Adafactor"), case, note,
  groups       [{params: [indices], <every option, torch's value read back from param_groups>}]
               (eps a list whose first element may be null: torch's None);
  params       [{shape, initial}]: row-major float32 values;
  grads        grads[step - 1][param]: row-major float32 values, or null (p.grad is None that step);
  checkpoints  after every step (layer-sizes: steps 1 and 10): {afterStep, params, state}, state[i] null before parameter i's
               first gradient, else {step, rowVar, colVar} (2 or more dimensions) or {step, variance}.

Every float32 value is written as the shortest decimal that rounds to it in float32 (numpy's str of
the float32): parse it and round once (Math.fround). Options are Python floats as they are.
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

from fixture_json import camel, f32_list, groups_json, warn_about_others, write_case  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "test" / "fixtures" / "torch-adafactor"
GENERATED_BY = "scripts/golden/adafactor.py"
STEPS = 10
SAVED = ("defaults",)
# Cases whose files would be large: the checkpoints kept.
KEPT = {"layer-sizes": (1, 10)}

# (name, note, shapes, groups: [(param indices, torch keyword arguments)], {param: steps with no grad})
CASES = [
    (
        "defaults",
        "torch's defaults on a matrix, a vector, a 3-D tensor (2 factored matrices) and a 0-d tensor",
        [(3, 7), (5,), (2, 3, 4), ()],
        [((0, 1, 2, 3), {})],
        {},
    ),
    (
        "options",
        "lr 0.05, beta2_decay -0.5, eps (1e-30, 1e-2), d 2, weight decay 0.01, maximize; parameter 1 has no gradient at steps 3 and 4",
        [(6, 10), (10, 6), (9,)],
        [((0, 1, 2), {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-30, 1e-2), "d": 2.0, "weight_decay": 0.01, "maximize": True})],
        {1: (3, 4)},
    ),
    (
        "two-groups",
        "two groups: the defaults, and lr 1e-3 with eps (1e-3, 1e-3) and beta2_decay 0 (a plain mean of the latest squares)",
        [(4, 8), (8,), (8, 4), (1, 12)],
        [((0, 1), {}), ((2, 3), {"lr": 1e-3, "eps": (1e-3, 1e-3), "beta2_decay": 0.0})],
        {},
    ),
    (
        "layer-sizes",
        "larger matrices (more columns than one chunk of lucid's column sums), sides that are not multiples of 4, lr 0.02; checkpoints after steps 1 and 10 only",
        [(33, 70), (24, 40), (50,)],
        [((0, 1, 2), {"lr": 0.02})],
        {},
    ),
]


def make_data(name: str, shapes):
    rng = random.Random(zlib.crc32(name.encode()))
    size = lambda s: math.prod(s) if s else 1  # noqa: E731
    initial = [np.array([rng.gauss(0.0, 0.5) for _ in range(size(s))], dtype=np.float32).reshape(s) for s in shapes]
    grads = [[np.array([rng.gauss(0.0, 1.0) for _ in range(size(s))], dtype=np.float32).reshape(s) for s in shapes] for _ in range(STEPS)]
    return initial, grads


def main() -> None:
    torch.set_num_threads(1)
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT", torch.backends.cpu.get_cpu_capability()
    OUT.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, note, shapes, groups, no_grad in CASES:
        initial, grads = make_data(name, shapes)
        params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in initial]
        opt = torch.optim.Adafactor([{"params": [params[i] for i in indices], **kwargs} for indices, kwargs in groups], foreach=False)
        checkpoints = []
        step_grads = []
        for step in range(1, STEPS + 1):
            row = []
            for i, p in enumerate(params):
                skip = step in no_grad.get(i, ())
                p.grad = None if skip else torch.from_numpy(grads[step - 1][i].copy())
                row.append(None if skip else f32_list(grads[step - 1][i]))
            step_grads.append(row)
            opt.step()
            if step not in KEPT.get(name, range(1, STEPS + 1)):
                continue
            state = []
            for p in params:
                s = opt.state.get(p)
                if not s:
                    state.append(None)
                    continue
                entry = {"step": float(s["step"].item())}
                for key in ("row_var", "col_var", "variance"):
                    if key in s:
                        entry[camel(key)] = f32_list(s[key].detach().numpy())
                state.append(entry)
            checkpoints.append({"afterStep": step, "params": [f32_list(p.detach().numpy()) for p in params], "state": state})
        fixture_groups = groups_json(((indices, group) for (indices, _), group in zip(groups, opt.param_groups)), ("foreach",))
        fixture = {
            "generatedBy": GENERATED_BY,
            "torchVersion": torch.__version__,
            "python": platform.python_version(),
            "cpuCapability": torch.backends.cpu.get_cpu_capability(),
            "optimizer": "Adafactor",
            "case": name,
            "note": note,
            "groups": fixture_groups,
            "params": [{"shape": list(s), "initial": f32_list(v)} for s, v in zip(shapes, initial)],
            "grads": step_grads,
            "checkpoints": checkpoints,
        }
        path = write_case(OUT, name, fixture, written, (lambda saved: torch.save(opt.state_dict(), saved)) if name in SAVED else None)
        print(f"{path.relative_to(REPO_ROOT)}: {len(checkpoints)} steps")
    warn_about_others(OUT, written, REPO_ROOT)


if __name__ == "__main__":
    main()
