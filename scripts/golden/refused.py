"""Files torch.load(weights_only=True) refuses, made from one torch.save file, with torch's verdicts.

Run from the repository root:

    .venv-golden/bin/python scripts/golden/refused.py

Writes test/fixtures/torch-refused/: base.pt (torch.save({"w": torch.arange(6.0)})), one hostile
variant of it per case below, and verdicts.json (for each file: what torch.load(path,
weights_only=True) did: "loads", or the exception's type and message). The safety matrix
(test/torch/safety.test.ts) asserts that loadTorch refuses every file torch refuses.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "torch-refused"


def base() -> bytes:
    buf = io.BytesIO()
    torch.save({"w": torch.arange(6, dtype=torch.float32)}, buf)
    return buf.getvalue()


def rezip(good: bytes, mutate) -> bytes:
    """The entries of `good`, each through mutate(name, data) -> (name, data) or None (dropped), zipped again as torch's writer stores them."""
    source = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        for name in source.namelist():
            kept = mutate(name, source.read(name))
            if kept is not None:
                z.writestr(zipfile.ZipInfo(kept[0]), kept[1])
    return out.getvalue()


def zip64_cd_size(good: bytes, size: int) -> bytes:
    """`good` with its zip64 end record's central-directory size set to `size` (torch's writer writes a zip64 end record)."""
    b = bytearray(good)
    at = b.rfind(b"PK\x06\x06")
    assert at >= 0, "torch.save wrote no zip64 end record"
    struct.pack_into("<Q", b, at + 40, size)
    return bytes(b)


CASES = {
    "bigger-record.pt": ("a storage record holding more bytes than its tensor's storage declares", lambda g: rezip(g, lambda n, d: (n, d + b"\0\0\0\0") if n.endswith("/data/0") else (n, d))),
    "newer-version.pt": ("a version record newer than torch reads", lambda g: rezip(g, lambda n, d: (n, b"99\n") if n.endswith("/version") and "/.data/" not in n else (n, d))),
    "no-version.pt": ("no version record", lambda g: rezip(g, lambda n, d: None if n.endswith("version") else (n, d))),
    "version-zero.pt": ("version 0, older than torch reads", lambda g: rezip(g, lambda n, d: (n, b"0\n") if n.endswith("/version") and "/.data/" not in n else (n, d))),
    "bad-storage-alignment.pt": ("a .storage_alignment record that is not an integer", lambda g: rezip(g, lambda n, d: (n, b"abc") if n.endswith("/.storage_alignment") else (n, d))),
    "zip64-cd-size-huge.pt": ("the zip64 end record declares a central directory of 2^40 bytes", lambda g: zip64_cd_size(g, 1 << 40)),
    "zip64-cd-size-zero.pt": ("the zip64 end record declares a central directory of 0 bytes for 7 entries", lambda g: zip64_cd_size(g, 0)),
}


def verdict(path: Path) -> dict:
    try:
        torch.load(path, weights_only=True)
        return {"torch": "loads"}
    except Exception as e:  # noqa: BLE001
        return {"torch": "refuses", "error": type(e).__name__, "message": str(e).split("\n")[0]}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    good = base()
    (OUT / "base.pt").write_bytes(good)
    verdicts = {"generatedBy": ".venv-golden/bin/python scripts/golden/refused.py", "torchVersion": torch.__version__.split("+")[0], "files": {"base.pt": {"what": "torch.save({'w': torch.arange(6.0)})", **verdict(OUT / "base.pt")}}}
    for name, (what, make) in CASES.items():
        (OUT / name).write_bytes(make(good))
        verdicts["files"][name] = {"what": what, **verdict(OUT / name)}
    (OUT / "verdicts.json").write_text(json.dumps(verdicts, indent=1) + "\n")
    for name, v in verdicts["files"].items():
        print(f"{name:<24} {v['torch']:<8} {v.get('message', '')[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
