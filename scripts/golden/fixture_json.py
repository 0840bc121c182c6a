"""What muon.py, adafactor.py and sparse_adam.py share: float32 values as short decimals, torch's
option names camelCased, the fixture's groups, the compact JSON layout of their fixtures (one
top-level key per line), and the warning about files they did not write."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def f32_list(a) -> list[float]:
    """Row-major float32 values, each the shortest decimal that rounds to it in float32 (numpy's
    str of the float32), as the double it parses to, whose repr json writes: the same digits."""
    return [float(str(x)) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def camel(key: str) -> str:
    """torch's snake_case name in camelCase, as lucid-optim names it (`weight_decay` -> `weightDecay`)."""
    head, *rest = key.split("_")
    return head + "".join(w.capitalize() for w in rest)


def groups_json(groups, leave_out: tuple[str, ...] = ()) -> list[dict]:
    """The fixture's groups from (parameter indices, torch's options read back from param_groups)
    pairs: {params: [indices], <every option but those in `leave_out`, camelCased, tuples as lists>}."""
    out = []
    for indices, options in groups:
        entry = {"params": list(indices)}
        for key, value in options.items():
            if key != "params" and key not in leave_out:
                entry[camel(key)] = list(value) if isinstance(value, tuple) else value
        out.append(entry)
    return out


def write_fixture(path: Path, fixture: dict) -> None:
    """`fixture` as JSON, one top-level key per line, each value compact."""
    items = list(fixture.items())
    lines = ["{"] + [f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}{',' if n < len(items) - 1 else ''}" for n, (k, v) in enumerate(items)] + ["}"]
    path.write_text("\n".join(lines) + "\n")


def write_case(out: Path, name: str, fixture: dict, written: set[str], save_state=None) -> Path:
    """Writes `out/<name>.json`, and with `save_state` (a function of a path, which torch.saves the
    optimizer's state_dict() there) `out/<name>-state.pt`; records both in `written`."""
    path = out / f"{name}.json"
    write_fixture(path, fixture)
    written.add(path.name)
    if save_state is not None:
        saved = out / f"{name}-state.pt"
        save_state(saved)
        written.add(saved.name)
    return path


def warn_about_others(out: Path, written: set[str], root: Path) -> None:
    """Warn about every file in `out` the script did not write this run (it leaves them alone)."""
    for other in sorted(set(p.name for p in out.iterdir()) - written):
        print(f"warning: {out.relative_to(root)}/{other} was not written by this script", file=sys.stderr)
