"""Golden fixtures for lucid-optim's LBFGS, produced by the real torch.optim.LBFGS (torch 2.15).

Run from anywhere (the script finds the repository from its own path):

    .venv-golden/bin/python scripts/golden/lbfgs.py

Writes one JSON file per case into test/fixtures/torch-lbfgs/, and torch's own file of the
optimizer's state_dict() after the cases in SAVED (<case>-state.pt), and nothing else; it rewrites
its own files and warns about others there.

How torch is run: torch.optim.LBFGS on float32 CPU tensors, one thread, with
ATEN_CPU_CAPABILITY=default set before `import torch`. The objective is separable, so that a
JavaScript closure can compute torch's gradients bit for bit from the fixture's numbers:

    u = x - m;  loss = (c * u ** 2 + e * u ** 4).sum()   over every parameter's elements

whose gradient, as torch's autograd computes it in float32, is
`c * (2 * u) + e * (4 * ((u * u) * u))` (each product rounded to float32; `e` is 0 in the quadratic
cases, where the second term is an exact 0). LBFGS's dot products and sums are reductions (BLAS in
float32 here, float64 in lucid-optim), so the test bounds the distance and expects torch's
closure count. m, c and e come from Python's random.Random seeded with the CRC-32 of the case name.

JSON layout (camelCase):
  generatedBy, torchVersion, python, cpuCapability ("DEFAULT"), optimizer ("LBFGS"), case, note,
  options      {lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn,
               maximize}: torch's param_groups[0], read back;
  sign         1, or -1 where the closure returns -loss (the maximize case maximizes -loss);
  params       [{shape, initial, m, c, e}]: row-major float32 values;
  steps        one entry per `step(closure)` call: {loss (what step returned), funcEvals, nIter,
               params (after it)};
  state        after the last step: {t, hDiag, ro, prevLoss, historyLen, d, alSet (how many `al`
               entries are not None)}.
Every float32 value is the shortest decimal that rounds to it in float32 (numpy's str).
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

from fixture_json import camel, f32_list, warn_about_others, write_case  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "test" / "fixtures" / "torch-lbfgs"
GENERATED_BY = "scripts/golden/lbfgs.py"
SAVED = ("quartic-strong-wolfe",)

# (name, note, shapes, quartic, sign, torch keyword arguments, step() calls)
CASES = [
    ("quadratic", "torch's defaults (lr 1, max_iter 20, no line search) on a separable quadratic over a vector and a matrix", [(5,), (2, 3)], False, 1, {}, 2),
    ("quartic-strong-wolfe", "the strong-Wolfe line search on a quadratic plus quartic objective", [(4,), (3, 2)], True, 1, {"line_search_fn": "strong_wolfe"}, 3),
    ("history-3", "strong Wolfe, history_size 3 (the history drops its oldest pair), max_iter 12", [(7,)], True, 1, {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 12}, 2),
    ("maximize-max-eval", "maximize the negated quadratic, lr 0.5, max_iter 5, max_eval 6 (a step ends on max_eval), tolerance_grad 1e-5", [(3,), (2, 2)], False, -1, {"maximize": True, "lr": 0.5, "max_iter": 5, "max_eval": 6, "tolerance_grad": 1e-5}, 3),
]


def make_data(name: str, shapes, quartic: bool):
    rng = random.Random(zlib.crc32(name.encode()))
    out = []
    for s in shapes:
        n = math.prod(s)
        f = lambda lo, hi: np.array([rng.uniform(lo, hi) for _ in range(n)], dtype=np.float32).reshape(s)  # noqa: E731
        out.append({"initial": f(-2.0, 2.0), "m": f(-1.0, 1.0), "c": f(0.5, 4.0), "e": f(0.05, 0.5) if quartic else np.zeros(s, dtype=np.float32)})
    return out


def main() -> None:
    torch.set_num_threads(1)
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT", torch.backends.cpu.get_cpu_capability()
    OUT.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, note, shapes, quartic, sign, kwargs, calls in CASES:
        data = make_data(name, shapes, quartic)
        params = [torch.nn.Parameter(torch.from_numpy(d["initial"].copy())) for d in data]
        consts = [{k: torch.from_numpy(d[k].copy()) for k in ("m", "c", "e")} for d in data]
        opt = torch.optim.LBFGS(params, **kwargs)

        def closure():
            opt.zero_grad()
            loss = sum((k["c"] * (p - k["m"]) ** 2 + k["e"] * (p - k["m"]) ** 4).sum() for p, k in zip(params, consts))
            loss = sign * loss
            loss.backward()
            return loss

        steps = []
        for _ in range(calls):
            loss = opt.step(closure)
            s = opt.state[params[0]]
            steps.append({"loss": float(loss.detach()), "funcEvals": s["func_evals"], "nIter": s["n_iter"], "params": [f32_list(p.detach().numpy()) for p in params]})
        s = opt.state[params[0]]
        scalar = lambda v: float(v.item()) if torch.is_tensor(v) else float(v)  # noqa: E731
        state = {
            "t": scalar(s["t"]),
            "hDiag": scalar(s["H_diag"]),
            "ro": [scalar(v) for v in s["ro"]],
            "prevLoss": scalar(s["prev_loss"]),
            "historyLen": len(s["old_dirs"]),
            "d": f32_list(s["d"].numpy()),
            "alSet": sum(v is not None for v in s.get("al", [])),
        }
        group = opt.param_groups[0]
        options = {camel(k): v for k, v in group.items() if k != "params"}
        fixture = {
            "generatedBy": GENERATED_BY,
            "torchVersion": torch.__version__.split("+")[0],
            "python": platform.python_version(),
            "cpuCapability": torch.backends.cpu.get_cpu_capability(),
            "optimizer": "LBFGS",
            "case": name,
            "note": note,
            "options": options,
            "sign": sign,
            "params": [{"shape": list(s_), "initial": f32_list(d["initial"]), "m": f32_list(d["m"]), "c": f32_list(d["c"]), "e": f32_list(d["e"])} for s_, d in zip(shapes, data)],
            "steps": steps,
            "state": state,
        }
        path = write_case(OUT, name, fixture, written, (lambda saved: torch.save(opt.state_dict(), saved)) if name in SAVED else None)
        print(f"{path.relative_to(REPO_ROOT)}: {[(x['funcEvals'], x['nIter']) for x in steps]}")
    warn_about_others(OUT, written, REPO_ROOT)


if __name__ == "__main__":
    main()
