"""Golden fixtures for lucid-optim's Muon, produced by the real torch.optim.Muon (torch 2.15).

Run from anywhere (the script finds the repository from its own path):

    .venv-golden/bin/python scripts/golden/muon.py

Writes one JSON file per case into test/fixtures/torch-muon/, and for the cases in SAVED torch's
own file of the optimizer's state_dict() after the last step (<case>-state.pt), and nothing else; it rewrites its own
files and warns about others there.

How torch is run: torch.optim.Muon on float32 CPU tensors, one thread, with
ATEN_CPU_CAPABILITY=default set before `import torch` (ATen's generic element-wise kernels, no
fused multiply-add: the momentum buffer's two lerps are then the bits lucid-optim computes). Each
case runs twice from the same data:

  bfloat16  torch as shipped: `_zeropower_via_newtonschulz` runs the Newton–Schulz iteration in
            bfloat16 (8 significant bits), matrix products by torch's CPU BLAS;
  float32   the same function with its one bfloat16 cast made a float32 copy: the module's global
            `torch` is replaced, for that run only, by a proxy whose `bfloat16` is `torch.float32`
            (every other name is torch's own). This is torch's iteration at the precision
            lucid-optim computes it in; only the summation order of the products differs.

A case's initial values and gradients come from Python's random.Random seeded with the CRC-32 of
the case name (gaussian values: weights with deviation 0.5, gradients with deviation 1), so the
data does not depend on numpy or torch's generators.

JSON layout (one file per case; camelCase):
  generatedBy, torchVersion, python, cpuCapability ("DEFAULT"), optimizer ("Muon"), case, note,
  groups   [{params: [indices], <every option, torch's value read back from param_groups>}]
           (nsCoefficients a list, adjustLrFn null or a string);
  params   [{shape, initial}]: row-major float32 values;
  grads    grads[step - 1][param]: row-major float32 values, or null (p.grad is None that step);
  runs     {bfloat16: [...], float32: [...]}: after every step (layer-sizes: steps 1 and 3),
           {afterStep, params}, and in the float32 run momentumBuffers (a buffer null before the
           parameter's first gradient; the script asserts the bfloat16 run's are the same bits);
  torchRunsDistance  for scale, how far torch's two runs are from each other: the largest, over
           parameters and steps, of ||p_bfloat16 - p_float32||_2 / ||p_float32 - p_0||_2.

Every float32 value is written as the shortest decimal that rounds to it in float32 (numpy's str of
the float32): a reader parses it and rounds once (Math.fround) to get the value back. Options are
Python floats as they are (lr 0.02 is the double 0.02).
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
import torch.optim._muon as muon_module  # noqa: E402

from fixture_json import f32_list, groups_json, warn_about_others, write_fixture  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "test" / "fixtures" / "torch-muon"
GENERATED_BY = "scripts/golden/muon.py"
STEPS = 10
# Cases whose optimizer.state_dict() is also saved, with torch.save, as <case>-state.pt.
SAVED = ("defaults", "no-nesterov")
# Cases whose files would be large: (steps, checkpoints kept).
SHORT = {"layer-sizes": (3, (1, 3))}

# (name, note, shapes, groups: [(param indices, torch keyword arguments)], steps with no grad for param 0)
CASES = [
    ("defaults", "torch's defaults on a wide, a square and a tall matrix", [(3, 7), (5, 5), (9, 4)], [((0, 1, 2), {})], ()),
    (
        "no-nesterov",
        "nesterov False, momentum 0.9, lr 0.02, weight decay 0.01; parameter 0 has no gradient at steps 3 and 4",
        [(6, 10), (10, 6)],
        [((0, 1), {"lr": 0.02, "momentum": 0.9, "nesterov": False, "weight_decay": 0.01})],
        (3, 4),
    ),
    (
        "adjust-lr-fns",
        "each adjust_lr_fn on a wide and a tall matrix, one group each",
        [(4, 10), (10, 4), (4, 10), (10, 4), (4, 10), (10, 4)],
        [
            ((0, 1), {"lr": 0.02, "adjust_lr_fn": "original"}),
            ((2, 3), {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw"}),
            ((4, 5), {"lr": 0.02, "adjust_lr_fn": "spectral_unclamped"}),
        ],
        (),
    ),
    (
        "ns-options",
        "ns_steps 3, ns_coefficients (2, -1.5, 0.5), eps 1e-3, momentum 0.5, weight decay 0",
        [(8, 8), (1, 12)],
        [((0, 1), {"lr": 0.05, "ns_steps": 3, "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-3, "momentum": 0.5, "weight_decay": 0.0})],
        (),
    ),
    (
        "layer-sizes",
        "larger matrices, sides that are not multiples of 4, lr 0.02 (3 steps, checkpoints after steps 1 and 3 only)",
        [(32, 48), (48, 32), (33, 50)],
        [((0, 1, 2), {"lr": 0.02})],
        (),
    ),
]


def make_data(name: str, shapes, steps: int):
    rng = random.Random(zlib.crc32(name.encode()))
    initial = [np.array([rng.gauss(0.0, 0.5) for _ in range(math.prod(s))], dtype=np.float32).reshape(s) for s in shapes]
    grads = [[np.array([rng.gauss(0.0, 1.0) for _ in range(math.prod(s))], dtype=np.float32).reshape(s) for s in shapes] for _ in range(steps)]
    return initial, grads


class Float32Torch:
    """torch, except that `bfloat16` is float32: `_zeropower_via_newtonschulz` then copies to float32."""

    def __getattr__(self, name):
        return torch.float32 if name == "bfloat16" else getattr(torch, name)


def run(initial, grads, groups, no_grad_steps, precision: str, kept):
    params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in initial]
    torch_groups = [{"params": [params[i] for i in indices], **kwargs} for indices, kwargs in groups]
    opt = torch.optim.Muon(torch_groups)
    original = muon_module.torch
    if precision == "float32":
        muon_module.torch = Float32Torch()
    try:
        checkpoints = []
        for step in range(1, len(grads) + 1):
            for i, p in enumerate(params):
                skip = i == 0 and step in no_grad_steps
                p.grad = None if skip else torch.from_numpy(grads[step - 1][i].copy())
            opt.step()
            if step not in kept:
                continue
            buffers = []
            for p in params:
                s = opt.state.get(p)
                buffers.append(None if not s else f32_list(s["momentum_buffer"].detach().numpy()))
            checkpoints.append({"afterStep": step, "params": [f32_list(p.detach().numpy()) for p in params], "momentumBuffers": buffers})
    finally:
        muon_module.torch = original
    read_back = []
    for indices, group in zip((g[0] for g in groups), opt.param_groups):
        options = {k: v for k, v in group.items() if k != "params"}
        read_back.append((indices, options))
    return checkpoints, read_back, opt


def distance(bf16, f32, initial) -> float:
    worst = 0.0
    for a, b in zip(bf16, f32):
        for pa, pb, p0 in zip(a["params"], b["params"], initial):
            pa, pb, p0 = (np.array(x, dtype=np.float64) for x in (pa, pb, p0.reshape(-1)))
            worst = max(worst, float(np.linalg.norm(pa - pb) / np.linalg.norm(pb - p0)))
    return worst


def main() -> None:
    torch.set_num_threads(1)
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT", torch.backends.cpu.get_cpu_capability()
    OUT.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, note, shapes, groups, no_grad_steps in CASES:
        steps, kept = SHORT.get(name, (STEPS, tuple(range(1, STEPS + 1))))
        initial, grads = make_data(name, shapes, steps)
        bf16, read_back, opt = run(initial, grads, groups, no_grad_steps, "bfloat16", kept)
        f32, _, _ = run(initial, grads, groups, no_grad_steps, "float32", kept)
        if name in SAVED:
            # torch's own file of the optimizer after the last step (its momentum buffers are the
            # float32 run's last momentumBuffers, bit for bit).
            saved = OUT / f"{name}-state.pt"
            torch.save(opt.state_dict(), saved)
            written.add(saved.name)
        # The momentum buffers do not depend on the iteration: both runs must agree bit for bit
        # (the file keeps them once, in the float32 run).
        assert [c["momentumBuffers"] for c in bf16] == [c["momentumBuffers"] for c in f32], name
        for c in bf16:
            del c["momentumBuffers"]
        fixture_groups = groups_json(read_back)
        fixture = {
            "generatedBy": GENERATED_BY,
            "torchVersion": torch.__version__,
            "python": platform.python_version(),
            "cpuCapability": torch.backends.cpu.get_cpu_capability(),
            "optimizer": "Muon",
            "case": name,
            "note": note,
            "groups": fixture_groups,
            "params": [{"shape": list(s), "initial": f32_list(v)} for s, v in zip(shapes, initial)],
            "grads": [[None if (i == 0 and step + 1 in no_grad_steps) else f32_list(g) for i, g in enumerate(step_grads)] for step, step_grads in enumerate(grads)],
            "runs": {"bfloat16": bf16, "float32": f32},
            "torchRunsDistance": distance(bf16, f32, initial),
        }
        path = OUT / f"{name}.json"
        write_fixture(path, fixture)
        written.add(path.name)
        print(f"{path.relative_to(REPO_ROOT)}: torch bfloat16 vs float32 iteration: {fixture['torchRunsDistance']:.3e} relative")
    warn_about_others(OUT, written, REPO_ROOT)


if __name__ == "__main__":
    main()
