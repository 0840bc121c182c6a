"""What muon.py and adafactor.py share: float32 values as short decimals, the compact JSON layout
of their fixtures (one top-level key per line), and the warning about files they did not write."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def f32_list(a) -> list[float]:
    """Row-major float32 values, each the shortest decimal that rounds to it in float32 (numpy's
    str of the float32), as the double it parses to, whose repr json writes: the same digits."""
    return [float(str(x)) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def write_fixture(path: Path, fixture: dict) -> None:
    """`fixture` as JSON, one top-level key per line, each value compact."""
    items = list(fixture.items())
    lines = ["{"] + [f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}{',' if n < len(items) - 1 else ''}" for n, (k, v) in enumerate(items)] + ["}"]
    path.write_text("\n".join(lines) + "\n")


def warn_about_others(out: Path, written: set[str], root: Path) -> None:
    """Warn about every file in `out` the script did not write this run (it leaves them alone)."""
    for other in sorted(set(p.name for p in out.iterdir()) - written):
        print(f"warning: {out.relative_to(root)}/{other} was not written by this script", file=sys.stderr)
