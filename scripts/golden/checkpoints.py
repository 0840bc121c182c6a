"""Checkpoint fixtures for lucid-optim's loadTorch/loadSafetensors, written by real torch.save and
by the safetensors package.

    .venv-golden/bin/python scripts/golden/checkpoints.py

Writes into test/fixtures/torch-checkpoints/ (and nothing else):

  model.pt            torch.save(model_state) : an OrderedDict state dict (module.state_dict() of a
                      small nn.Sequential, with its `_metadata` attribute) plus tensors of every
                      dtype lucid-optim supports, a transposed view, a slice with a storage offset
                      and a 0-d tensor, several of them views of one shared storage;
  adam.pt             torch.save(opt.state_dict()) of torch.optim.Adam after 2 steps on two
                      parameters (one with no gradient at the second step), AMSGrad on;
  model.safetensors   safetensors.torch.save_file of contiguous tensors of every dtype, with metadata;
  expected.json       for each file, the value in the canonical JSON form test/torch/helpers.ts
                      `canonical` produces (ints as decimal strings, floats as the hex of their
                      big-endian float64 bits, tensors as dtype, shape and the hex of their
                      contiguous little-endian bytes);
  versions.json       torch, safetensors and Python versions.

    .venv-golden/bin/python scripts/golden/checkpoints.py --verify FILE.pt [FILE.pt ...]

By hand, the other direction: loads each FILE (written by lucid-optim's saveTorch) with
torch.load(weights_only=True) and prints its canonical JSON, one line per file, for comparison with
the JS side's `canonical` (see docs/checkpoints.md).
"""
import collections
import json
import pathlib
import platform
import struct

import torch
import safetensors
import safetensors.torch

OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'torch-checkpoints'
NAMES = {torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16', torch.bfloat16: 'bfloat16',
         torch.int64: 'int64', torch.int32: 'int32', torch.int16: 'int16', torch.int8: 'int8', torch.uint8: 'uint8',
         torch.bool: 'bool'}


def canonical(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return {'bool': v}
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'float': struct.pack('>d', v).hex()}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, (list, tuple)):
        return {'list': [canonical(x) for x in v]}
    if isinstance(v, dict):
        return {'dict': [[canonical(k), canonical(x)] for k, x in v.items()]}
    if isinstance(v, torch.Tensor):
        raw = v.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        return {'tensor': {'dtype': NAMES[v.dtype], 'shape': list(v.shape), 'data': raw.hex()}}
    raise TypeError(type(v))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    state = model.state_dict()  # OrderedDict with a _metadata attribute
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    state['views.base'] = base
    state['views.t'] = base.t()                 # stride (1, 4), shares base's storage
    state['views.slice'] = base[1:, 2:]          # storage offset 6, stride (4, 1)
    state['views.row'] = base[2]                 # storage offset 8
    state['views.scalar'] = base[1, 1]           # 0-d, offset 5
    state['dtypes.float64'] = torch.tensor([3.141592653589793, -1e-300], dtype=torch.float64)
    state['dtypes.float16'] = torch.tensor([1.0, -2.0, 65504.0], dtype=torch.float16)
    state['dtypes.bfloat16'] = torch.tensor([1.0, -0.5, 3e38], dtype=torch.bfloat16)
    state['dtypes.int64'] = torch.tensor([-(2 ** 63), 2 ** 63 - 1, 0], dtype=torch.int64)
    state['dtypes.int32'] = torch.tensor([-(2 ** 31), 7], dtype=torch.int32)
    state['dtypes.int16'] = torch.tensor([-32768, 32767], dtype=torch.int16)
    state['dtypes.int8'] = torch.tensor([-128, 127], dtype=torch.int8)
    state['dtypes.uint8'] = torch.tensor([0, 255], dtype=torch.uint8)
    state['dtypes.bool'] = torch.tensor([[True, False], [False, True]])
    state['dtypes.empty'] = torch.zeros(0, 3)
    torch.save(state, OUT / 'model.pt')

    w1 = torch.nn.Parameter(torch.randn(3))
    w2 = torch.nn.Parameter(torch.randn(2, 2))
    opt = torch.optim.Adam([{'params': [w1]}, {'params': [w2], 'lr': 0.01}], lr=1e-3, amsgrad=True, foreach=False)
    for step in range(2):
        opt.zero_grad(set_to_none=True)
        loss = (w1 ** 2).sum() + ((w2 ** 2).sum() if step == 0 else 0)
        loss.backward()
        opt.step()
    adam = opt.state_dict()
    torch.save(adam, OUT / 'adam.pt')

    tensors = {
        'f32': torch.randn(2, 3), 'f64': torch.randn(2, dtype=torch.float64),
        'f16': torch.randn(3).half(), 'bf16': torch.randn(3).bfloat16(),
        'i64': torch.tensor([-(2 ** 63), 5]), 'i32': torch.tensor([1, -2], dtype=torch.int32),
        'i16': torch.tensor([3], dtype=torch.int16), 'i8': torch.tensor([-1], dtype=torch.int8),
        'u8': torch.tensor([200], dtype=torch.uint8), 'bool': torch.tensor([True, False]),
        'scalar': torch.tensor(2.5),
    }
    metadata = {'format': 'pt', 'source': 'scripts/golden/checkpoints.py'}
    safetensors.torch.save_file(tensors, OUT / 'model.safetensors', metadata=metadata)

    # Reload with weights_only=True: what the fixtures hold is what torch reads back.
    expected = {
        'model.pt': canonical(torch.load(OUT / 'model.pt', weights_only=True)),
        'adam.pt': canonical(torch.load(OUT / 'adam.pt', weights_only=True)),
        'model.safetensors': {'tensors': canonical(dict(sorted(tensors.items()))), 'metadata': metadata},
    }
    (OUT / 'expected.json').write_text(json.dumps(expected, indent=1) + '\n')
    (OUT / 'versions.json').write_text(json.dumps({'torch': torch.__version__, 'safetensors': safetensors.__version__,
                                                   'python': platform.python_version()}, indent=1) + '\n')


if __name__ == '__main__':
    import sys
    if sys.argv[1:2] == ['--verify']:
        for path in sys.argv[2:]:
            print(json.dumps(canonical(torch.load(path, weights_only=True))))
    else:
        main()
