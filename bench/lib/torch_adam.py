# torch.optim.Adam on the CPU, driven over stdin/stdout by bench/threads.mjs (one JSON object a
# line each way), so that its steps can be measured interleaved with lucid-optim's. Not a
# benchmark by itself:
#
#   python bench/lib/torch_adam.py --threads 1     torch.set_num_threads(1)
#   python bench/lib/torch_adam.py --threads all   torch's default intra-op threads
#
# Requests (each answered by one line; {"error": ...} if it failed):
#   {"cmd": "info"}                                    -> {"torch", "threads"}
#   {"cmd": "check", "sizes": [...]}                   -> {"results": [{"size", "data"}]}
#   {"cmd": "create", "id", "impl", "size"}            -> {}   impl: "fused" or "single"
#   {"cmd": "run", "id", "steps"}                      -> {"ms"}: the steps, timed in here
#   {"cmd": "dispose", "id"}                           -> {}
# It exits when its stdin closes.
#
# The data are bench/lib/data.mjs's makeData([n]), regenerated here (the same mulberry32 values,
# vectorized), so that torch steps the very values lucid-optim steps: "check" hashes them (SHA-256
# of the parameter's then the gradient's float32 bits, null without numpy) for the parent to
# compare with lucid-optim's. Only the inputs: after a step, torch's AVX2/AVX-512 kernels (fused
# multiply-adds) and MKL's sqrt leave its parameters a few ulps from lucid-optim's, as
# docs/fidelity.md explains.

import argparse
import hashlib
import json
import sys
import time

import torch

SEED = 0x9E3779B9
MASK = 0xFFFFFFFF
TWO_23 = float(2**23)


def imul(x, y):
    """Math.imul on uint32 values held in int64 tensors, without overflowing int64."""
    low = (x & 0xFFFF) * y
    high = (((x >> 16) * y) & 0xFFFF) << 16
    return (low + high) & MASK


def mulberry32(start, count):
    """Values start .. start + count - 1 (0-based) of reference/rng.mjs's mulberry32Uint32(SEED)."""
    a = (SEED + torch.arange(start + 1, start + count + 1, dtype=torch.int64) * 0x6D2B79F5) & MASK
    t = imul(a ^ (a >> 15), a | 1)
    t = t ^ ((t + imul(t ^ (t >> 7), t | 61)) & MASK)
    return t ^ (t >> 14)


def make_data(n):
    """makeData([n]): values in [-1, 1), gradients of magnitude in [1/64, 1 + 1/64) with a random sign."""
    p = (((mulberry32(0, n) >> 8) - 2**23).to(torch.float64) / TWO_23).to(torch.float32)
    bits = mulberry32(n, n) >> 8
    magnitude = ((bits & 0x7FFFFF) + 0x20000).to(torch.float64) / TWO_23
    g = torch.where((bits & 0x800000) != 0, -magnitude, magnitude).to(torch.float32)
    return p, g


data = {}


def model(impl, size):
    if size not in data:
        data.clear()  # one size at a time: 10M elements are 80 MB
        data[size] = make_data(size)
    values, grad = data[size]
    p = values.clone().requires_grad_(True)
    p.grad = grad.clone()
    # Adam's defaults but lr 1e-3 (its default too); fused=True: one kernel over the tensor;
    # foreach=False: the single-tensor path, one torch op after another (CPU's default anyway).
    options = {"fused": True} if impl == "fused" else {"foreach": False}
    return p, torch.optim.Adam([p], lr=1e-3, **options)


def bits_hash(*tensors):
    try:
        hash = hashlib.sha256()
        for t in tensors:
            hash.update(t.detach().contiguous().numpy().tobytes())
        return hash.hexdigest()
    except Exception:  # no numpy: not checked
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", required=True)
    args = parser.parse_args()
    if args.threads != "all":
        torch.set_num_threads(int(args.threads))
    models = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            cmd = request["cmd"]
            if cmd == "info":
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads()}
            elif cmd == "check":
                results = []
                for size in request["sizes"]:
                    p, _ = model("single", size)
                    results.append({"size": size, "data": bits_hash(p, p.grad)})
                reply = {"results": results}
            elif cmd == "create":
                models[request["id"]] = model(request["impl"], request["size"])
                reply = {}
            elif cmd == "run":
                _, opt = models[request["id"]]
                steps = request["steps"]
                start = time.perf_counter()
                for _ in range(steps):
                    opt.step()
                reply = {"ms": (time.perf_counter() - start) * 1e3}
            elif cmd == "dispose":
                del models[request["id"]]
                reply = {}
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception as error:  # reported to the parent, which stops
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
