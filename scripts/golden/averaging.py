"""Golden fixtures for lucid-optim's AveragedModel, produced by torch.optim.swa_utils.AveragedModel.

Run from the repository root:

    .venv-golden/bin/python scripts/golden/averaging.py

Writes test/fixtures/torch-averaging/<case>.json (one per case) and
test/fixtures/torch-averaging/ema-state-dict.pt (torch.save of one case's AveragedModel.state_dict(),
for the checkpoint test), and nothing else.

How torch is run: a small model (nn.Sequential(Linear(3, 5), Tanh(), Linear(5, 2)), its four float32
parameters named 0.weight, 0.bias, 2.weight, 2.bias) wrapped in AveragedModel on the CPU, with
ATEN_CPU_CAPABILITY=default set before `import torch` (ATen's generic kernels, no fused multiply-add:
the EMA is torch._foreach_lerp_, whose vectorized kernel would otherwise fuse). Before each
update_parameters(model) the model's parameters are set to new values (Python's random.Random seeded
with the CRC-32 of the case name, rounded to float32), as a training step would; the fixture holds
those values and the averaged parameters after each update, as float32 bit patterns, and n_averaged.

Cases: SWA (torch's default avg_fn on the CPU, get_swa_avg_fn: averaged + (current - averaged) /
(n_averaged + 1)) and EMA (multi_avg_fn=get_ema_multi_avg_fn(decay): lerp with weight 1 - decay)
for decays whose weights take both branches of torch's lerp (|weight| < 0.5 and >= 0.5).
"""

from __future__ import annotations

import json
import os
import random
import sys
import zlib
from pathlib import Path

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # before torch is imported: ATen reads it once

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "torch-averaging"
GENERATED_BY = ".venv-golden/bin/python scripts/golden/averaging.py"

CASES = [
    {"name": "swa-12", "average": "swa", "updates": 12},
    {"name": "ema-0.999", "average": "ema", "decay": 0.999, "updates": 20},
    {"name": "ema-0.9", "average": "ema", "decay": 0.9, "updates": 15},
    {"name": "ema-0.3", "average": "ema", "decay": 0.3, "updates": 10, "note": "weight 0.7: torch's lerp takes its |weight| >= 0.5 branch"},
]


def bits(t: torch.Tensor) -> list[str]:
    return ["0x%08x" % b for b in t.detach().contiguous().view(-1).numpy().view(np.uint32).tolist()]


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))


def run(case: dict) -> dict:
    rng = random.Random(zlib.crc32(case["name"].encode()))
    net = model()
    if case["average"] == "swa":
        averaged = AveragedModel(net)
    else:
        averaged = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(case["decay"]))
    names = [n for n, _ in net.named_parameters()]
    steps = []
    for _ in range(case["updates"]):
        with torch.no_grad():
            for p in net.parameters():
                values = np.array([rng.uniform(-2.0, 2.0) for _ in range(p.numel())], dtype=np.float32)
                p.copy_(torch.from_numpy(values).view_as(p))
        averaged.update_parameters(net)
        steps.append(
            {
                "source": [bits(p) for p in net.parameters()],
                "averaged": [bits(p) for p in averaged.module.parameters()],
                "nAveraged": int(averaged.n_averaged),
            }
        )
    out = {"generatedBy": GENERATED_BY, "torchVersion": torch.__version__.split("+")[0], "cpuCapability": torch.backends.cpu.get_cpu_capability()}
    out.update({k: v for k, v in case.items() if k != "updates"})
    out["params"] = [{"name": n, "shape": list(p.shape)} for n, p in zip(names, net.parameters())]
    out["stateDictKeys"] = list(averaged.state_dict().keys())
    out["steps"] = steps
    return out, averaged


def main() -> int:
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT", torch.backends.cpu.get_cpu_capability()
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for case in CASES:
        fixture, averaged = run(case)
        path = OUT / f"{case['name']}.json"
        path.write_text(json.dumps(fixture, indent=1) + "\n")
        written.append(path)
        if case["name"] == "ema-0.9":
            pt = OUT / "ema-state-dict.pt"
            torch.save(averaged.state_dict(), pt)
            written.append(pt)
        print(f"{case['name']:<12} {len(fixture['steps'])} updates, state dict keys {fixture['stateDictKeys']}")
    stray = sorted(set(OUT.iterdir()) - set(written))
    for s in stray:
        print(f"warning: {s} is not written by this script", file=sys.stderr)
    print(f"wrote {len(written)} files to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
