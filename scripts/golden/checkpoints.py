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
  expected.json       for each file, the value in the canonical JSON form test/torch/torch-helpers.ts
                      `canonical` produces (ints as decimal strings, floats as the hex of their
                      big-endian float64 bits, tensors as dtype, shape and the hex of their
                      contiguous little-endian bytes);
  versions.json       torch, safetensors and Python versions.

    .venv-golden/bin/python scripts/golden/checkpoints.py --verify FILE.pt [FILE.pt ...]

By hand, the other direction: loads each FILE (written by lucid-optim's saveTorch) with
torch.load(weights_only=True) and prints its canonical JSON, one line per file, for comparison with
the JS side's `canonical` (see docs/checkpoints.md).

Resuming an optimizer across the border (torch 2.15's Adam, AdamW, SGD, RMSprop, Adagrad, Adadelta,
Adamax, NAdam, RAdam, ASGD and Rprop), both ways:

  adam-resume.pt      torch.save(opt.state_dict()) of torch.optim.Adam(foreach=False) after K = 3
  adamw-resume.pt     steps (AdamW: the same with torch.optim.AdamW), two groups: group 0 holds `a`
                      [3] (no gradient at step 5) and `b` [2, 3] (no gradient before step 6: absent
                      from the saved state), group 1 holds `c` [2, 2] with AMSGrad, lr 1e-2, betas
                      (0.8, 0.99); weight decay 1e-2 (Adam: L2 in group 0 only; AdamW: both groups);
  sgd-resume.pt       torch.save(opt.state_dict()) of torch.optim.SGD(foreach=False) after K = 3
                      steps, the same shapes and missing gradients (values of its own): group 0
                      (`a`, `b`) momentum 0.9, Nesterov, weight decay 1e-2, lr 0.05 (only `a` has a
                      momentum_buffer in the saved state); group 1 (`c`) momentum 0, lr 0.1: no
                      state at all;
  <name>-resume.pt    the same for rmsprop, adagrad, adadelta, adamax, nadam, radam, asgd, rprop
                      (torch.optim.RMSprop, ...; foreach=False), K = 3, the same shapes and missing
                      gradients, values of their own, groups from RESUME_GROUPS (group 0: `a`, `b`;
                      group 1: `c`), chosen so that the saved state is not trivial:
                        RMSprop  0: lr 1e-2, momentum 0.9, centered, weight decay 1e-2 (a: step,
                                 square_avg, momentum_buffer, grad_avg); 1: lr 5e-3, alpha 0.9
                                 (c: step, square_avg);
                        Adagrad  0: lr 5e-2, lr_decay 1e-2, weight decay 1e-2; 1: lr 0.1, eps 1e-8;
                                 the constructor creates every parameter's state, so `b` is in the
                                 saved state too, {step: 0, sum: 0};
                        Adadelta 0: rho 0.95, weight decay 1e-2; 1: lr 0.5, eps 1e-5, maximize;
                        Adamax   0: weight decay 1e-2; 1: lr 1e-2, betas (0.8, 0.99), maximize;
                        NAdam    0: L2 weight decay 1e-2; 1: lr 1e-2, betas (0.8, 0.99), decoupled
                                 weight decay 1e-2, momentum_decay 0.1 (mu_product about 0.091 and
                                 0.066 at the save);
                        RAdam    0: L2 weight decay 1e-2; 1: lr 1e-2, betas (0.8, 0.99), decoupled
                                 weight decay 1e-2 (rho_t > 5 from a parameter's 6th step: after the
                                 save, at step 7 for `a`, 6 for `c`; never for `b`);
                        ASGD     0: lr 1e-2, lambd 1e-2, t0 1, weight decay 1e-2 (eta below lr and
                                 mu 0.5 at the save, ax averaging from step 4); 1: lr 5e-2 (mu 1);
                        Rprop    0: defaults; 1: lr 5e-2, etas (0.3, 1.5), step_sizes (1e-3, 0.1),
                                 maximize;
                      the script asserts which parameters have state at the save and with which
                      keys (SAVED_KEYS);
  adam-resume.json    what a reader needs to continue: the groups (torch keyword arguments, pairs
  adamw-resume.json   as lists; Adam's with their betas), the shapes, the initial values, the
  sgd-resume.json     gradients of all K + N = 3 + 4 steps (null: no gradient), the parameters
  <name>-resume.json  after step K (the saved file's), and torch's parameters and state after each
                      of the N steps it took after saving (`after[j]`: after step K + 1 + j; state
                      keys are torch's, camelCased: step, expAvg, expAvgSq, maxExpAvgSq;
                      momentumBuffer; squareAvg, gradAvg, sum, accDelta, expInf, muProduct, eta, mu,
                      ax, prev, stepSize; 0-d tensors as numbers). For the classes with a square
                      root (CORRECT_SQRT) a top-level "sqrt" says whose ran (below).

These runs use ATEN_CPU_CAPABILITY=default (set before `import torch`, in a second process the
script starts with --resume; `--resume` alone rewrites only these 22 files): ATen's generic kernels,
no fused multiply-adds, each operation rounded on its own as in lucid-optim's kernel (the no-FMA
comparison of scripts/golden/generate.py). For Adam and AdamW torch.sqrt stays MKL's (see
scripts/golden/README.md), so an Adam parameter may differ from lucid's by what one ulp of the square
root makes; the moments do not. RMSprop, Adagrad, Adadelta, NAdam and RAdam run with the correctly
rounded sqrt of scripts/golden/optimizers.py (its Sqrt: torch.Tensor.sqrt/sqrt_ replaced for the run
when torch's is not correctly rounded on this CPU, as their fixtures' "sqrt" says), so, like SGD,
Adamax, ASGD and Rprop (no square root), everything is expected bit for bit. For those 8 the script
also replays all K + N steps with optimizers.py's float32 model of the class and asserts torch's
parameters and state are its bits; and for every class it loads the saved file (weights_only) into
an optimizer built with other hyperparameters and asserts the N steps after are the same bits.

    node scripts/golden/lucid-resume.mjs OUTDIR
    .venv-golden/bin/python scripts/golden/checkpoints.py --verify-resume OUTDIR

By hand, lucid to torch: the node script (on dist/, after `npm run build`) steps lucid-optim's Adam
and AdamW K steps on the data of the *-resume.json fixtures, writes
saveTorch(opt.stateDict({ format: 'torch' })) as OUTDIR/{adam,adamw}-lucid.pt and lucid's
parameters and state for the N steps after as OUTDIR/{adam,adamw}-lucid.json. --verify-resume loads
each .pt with torch.load(weights_only=True) into optimizer.load_state_dict, takes the N steps and
compares: state bit for bit, each parameter bit for bit or one square-root ulp away (each step
starts from lucid's parameters, so that one such ulp is not carried on). Prints one line per
optimizer and exits 1 on any other difference (docs/checkpoints.md records the result).
OUTDIR/<name>-lucid.{pt,json} for the other classes (sgd, rmsprop, adagrad, adadelta, adamax, nadam,
radam, asgd, rprop; the same layout, state entries null or {<camelCased torch keys>}) are checked the
same way when present, state and parameters bit for bit (with the same square root as the fixtures);
when absent, that class is reported as not checked (lucid-resume.mjs lists the classes it writes).
"""
import collections
import json
import math
import os
import pathlib
import platform
import random
import struct
import subprocess
import sys

# The optimizer runs (--resume, --verify-resume) use ATen's generic kernels: no fused multiply-adds.
# ATen reads the variable once, when torch is imported, so the plain run re-runs itself with
# --resume for those (the other fixtures were written with the CPU's own kernels, which the random
# initialisation of model.pt depends on).
if sys.argv[1:2] in (['--resume'], ['--verify-resume']):
    os.environ['ATEN_CPU_CAPABILITY'] = 'default'

import torch  # noqa: E402
import safetensors  # noqa: E402
import safetensors.torch  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / 'test' / 'torch'))
import stdlib_check  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'torch-checkpoints'
NAMES = {torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16', torch.bfloat16: 'bfloat16',
         torch.int64: 'int64', torch.int32: 'int32', torch.int16: 'int16', torch.int8: 'int8', torch.uint8: 'uint8',
         torch.bool: 'bool'}


def torch_tensor(v):
    """A torch.Tensor in stdlib_check's canonical form: dtype, shape and the raw little-endian bytes."""
    if not isinstance(v, torch.Tensor):
        raise TypeError(type(v))
    raw = v.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    return {'tensor': {'dtype': NAMES[v.dtype], 'shape': list(v.shape), 'data': raw.hex()}}


def canonical(v):
    """The canonical JSON form of test/torch/stdlib_check.py (the test's own, standard library only)."""
    return stdlib_check.canonical(v, torch_tensor)


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


# Resuming an optimizer: K steps before the save, N after.
K, N = 3, 4
SHAPES = {'a': [3], 'b': [2, 3], 'c': [2, 2]}
NAMES_ORDER = ['a', 'b', 'c']  # parameter indices 0, 1, 2 across the groups
NO_GRAD = {'a': {5}, 'b': {1, 2, 3, 4, 5}}  # 1-based steps without a gradient
# The optimizers with resume fixtures ({name.lower()}-resume.{pt,json}), in the order they are written.
RESUME_CLASSES = {'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW, 'SGD': torch.optim.SGD,
                  'RMSprop': torch.optim.RMSprop, 'Adagrad': torch.optim.Adagrad, 'Adadelta': torch.optim.Adadelta,
                  'Adamax': torch.optim.Adamax, 'NAdam': torch.optim.NAdam, 'RAdam': torch.optim.RAdam,
                  'ASGD': torch.optim.ASGD, 'Rprop': torch.optim.Rprop}
# Adam and AdamW run with torch's own sqrt (MKL's; --verify-resume allows lucid a square-root ulp);
# these, whose single-tensor paths take a square root too, with optimizers.py's correctly rounded
# one when torch's is not (optimizers.Sqrt), so that everything is compared bit for bit.
CORRECT_SQRT = ('RMSprop', 'Adagrad', 'Adadelta', 'NAdam', 'RAdam')
# Group 0 holds a and b, group 1 holds c; each class's groups exercise its state (see the docstring).
RESUME_GROUPS = {
    # Group 0: Nesterov momentum with L2 decay (a's buffer is in the saved state, b's is not yet);
    # group 1: momentum 0, so torch keeps no state for c at all.
    'SGD': ({'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 1e-2}, {'lr': 0.1, 'momentum': 0.0}),
    # a: {step, square_avg, momentum_buffer, grad_avg}; c: {step, square_avg}.
    'RMSprop': ({'lr': 1e-2, 'momentum': 0.9, 'centered': True, 'weight_decay': 1e-2}, {'lr': 5e-3, 'alpha': 0.9}),
    # The constructor gives every parameter {step 0, sum 0}: b's is in the saved state with step 0.
    'Adagrad': ({'lr': 5e-2, 'lr_decay': 1e-2, 'weight_decay': 1e-2}, {'lr': 0.1, 'eps': 1e-8}),
    'Adadelta': ({'lr': 1.0, 'rho': 0.95, 'weight_decay': 1e-2}, {'lr': 0.5, 'eps': 1e-5, 'maximize': True}),
    'Adamax': ({'lr': 2e-3, 'weight_decay': 1e-2}, {'lr': 1e-2, 'betas': (0.8, 0.99), 'maximize': True}),
    # mu_product after 3 steps: 0.0912 (group 0), 0.0656 (group 1).
    'NAdam': ({'weight_decay': 1e-2}, {'lr': 1e-2, 'betas': (0.8, 0.99), 'weight_decay': 1e-2,
                                        'decoupled_weight_decay': True, 'momentum_decay': 0.1}),
    # rho_t > 5 from a parameter's 6th step: after the save for a (its 6th step is step 7) and c (step 6).
    'RAdam': ({'weight_decay': 1e-2}, {'lr': 1e-2, 'betas': (0.8, 0.99), 'weight_decay': 1e-2, 'decoupled_weight_decay': True}),
    # t0 1: mu is 1 / (step - 1) from step 3 on (0.5 at the save), ax averages from step 4; eta decays.
    'ASGD': ({'lr': 1e-2, 'lambd': 1e-2, 't0': 1.0, 'weight_decay': 1e-2}, {'lr': 5e-2}),
    'Rprop': ({'lr': 1e-2}, {'lr': 5e-2, 'etas': (0.3, 1.5), 'step_sizes': (1e-3, 0.1), 'maximize': True}),
}
# The state entries torch has saved after K steps, per parameter (None: none), which the lucid side must match.
SAVED_KEYS = {
    'SGD': (['momentum_buffer'], None, None),
    'RMSprop': (['step', 'square_avg', 'momentum_buffer', 'grad_avg'], None, ['step', 'square_avg']),
    'Adagrad': (['step', 'sum'],) * 3,
    'Adadelta': (['step', 'square_avg', 'acc_delta'], None, ['step', 'square_avg', 'acc_delta']),
    'Adamax': (['step', 'exp_avg', 'exp_inf'], None, ['step', 'exp_avg', 'exp_inf']),
    'NAdam': (['step', 'mu_product', 'exp_avg', 'exp_avg_sq'], None, ['step', 'mu_product', 'exp_avg', 'exp_avg_sq']),
    'RAdam': (['step', 'exp_avg', 'exp_avg_sq'], None, ['step', 'exp_avg', 'exp_avg_sq']),
    'ASGD': (['step', 'eta', 'mu', 'ax'], None, ['step', 'eta', 'mu', 'ax']),
    'Rprop': (['step', 'prev', 'step_size'], None, ['step', 'prev', 'step_size']),
}


def resume_groups(optimizer):
    """The groups as torch keyword arguments (params as indices)."""
    if optimizer in RESUME_GROUPS:
        first, second = RESUME_GROUPS[optimizer]
        return [{'params': [0, 1], **first}, {'params': [2], **second}]
    decay = {'Adam': (1e-2, 0.0), 'AdamW': (1e-2, 1e-2)}[optimizer]
    return [
        {'params': [0, 1], 'weight_decay': decay[0]},
        {'params': [2], 'lr': 1e-2, 'betas': (0.8, 0.99), 'amsgrad': True, 'weight_decay': decay[1]},
    ]


def resume_groups_json(optimizer):
    """The groups as the fixture writes them: torch's keyword arguments (pairs as lists), Adam's betas always spelled out."""
    if optimizer in RESUME_GROUPS:
        return [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in resume_groups(optimizer)]
    return [dict(g, betas=list(g.get('betas', (0.9, 0.999)))) for g in resume_groups(optimizer)]


def golden_optimizers():
    """scripts/golden/optimizers.py, for its Sqrt and its float32 models (imported on demand: it
    imports numpy, and torch with ATEN_CPU_CAPABILITY=default, which the --resume runs have set)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import optimizers
    return optimizers


def use_sqrt(optimizer):
    """Sets the square root the next runs use: the correctly rounded one for CORRECT_SQRT when
    torch's is not (measured once), torch's own otherwise. Returns the fixture's "sqrt" note or None."""
    sqrt = golden_optimizers().Sqrt
    sqrt.setup()
    sqrt.patched = optimizer in CORRECT_SQRT and sqrt.incorrect > 0
    return sqrt.note if optimizer in CORRECT_SQRT else None


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def resume_data(optimizer):
    """Initial values and the gradients of all K + N steps, float32, from random.Random (stable across Pythons)."""
    rng = random.Random(f'resume-{optimizer}')
    initial = [[f32(rng.uniform(-2, 2)) for _ in range(math.prod(SHAPES[n]))] for n in NAMES_ORDER]
    grads = [[None if step in NO_GRAD.get(n, ()) else [f32(rng.uniform(-1, 1) * 10 ** rng.randint(-3, 0)) for _ in range(math.prod(SHAPES[n]))]
              for n in NAMES_ORDER] for step in range(1, K + N + 1)]
    return initial, grads


def torch_optimizer(optimizer, params):
    cls = RESUME_CLASSES[optimizer]
    groups = [dict(g, params=[params[i] for i in g['params']]) for g in resume_groups(optimizer)]
    return cls(groups, foreach=False)


def set_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else torch.tensor(g, dtype=torch.float32).reshape(p.shape)


def flat(t):
    return t.detach().reshape(-1).tolist()


def camel(key):
    head, *rest = key.split('_')
    return head + ''.join(w[:1].upper() + w[1:] for w in rest)


def state_of(opt, params):
    """optimizer.state per parameter, in torch's key order camelCased (exp_avg -> expAvg,
    momentum_buffer -> momentumBuffer): a 0-d tensor (Adam's step) as a number, others flattened;
    None where torch has no state."""
    out = []
    for p in params:
        s = opt.state.get(p)
        if not s:
            out.append(None)
            continue
        out.append({camel(k): v.item() if v.dim() == 0 else flat(v) for k, v in s.items()})
    return out


def all_values(entries):
    """Every number in a list of params / state lists (None entries skipped)."""
    for entry in entries:
        if isinstance(entry, dict):
            yield from all_values(entry.values())
        elif isinstance(entry, list):
            yield from all_values(entry)
        elif entry is not None:
            yield entry


def check_with_model(optimizer, opt, initial, grads, trace):
    """The 8 classes of optimizers.py: torch's parameters and state after every one of the K + N
    steps (trace[t - 1]) are its float32 model's bits, groups and data as here."""
    golden = golden_optimizers()
    import numpy as np
    name = optimizer.lower()
    model = getattr(golden, f'{name}_model')
    group_of = [0, 0, 1]
    options = [{k: v for k, v in g.items() if k != 'params'} for g in opt.param_groups]
    p = [np.array(v, dtype=np.float32) for v in initial]
    state = [golden.adagrad_init(opt.defaults, x) if optimizer == 'Adagrad' else None for x in p]
    with np.errstate(all='ignore'):
        for t, (row, (want_params, want_state)) in enumerate(zip(grads, trace), start=1):
            for i, g in enumerate(row):
                if g is not None:
                    p[i], state[i] = model(options[group_of[i]], p[i], np.array(g, dtype=np.float32), state[i], opt.defaults)
            got_state = [None if s is None else {camel(k): v if isinstance(v, float) else v.tolist() for k, v in s.items()} for s in state]
            assert same_float32_bits([x.tolist() for x in p], want_params), f'{optimizer} step {t}: parameters are not the model\'s'
            assert same_float32_bits(got_state, want_state), f'{optimizer} step {t}: state is not the model\'s'


def resume_fixtures():
    for optimizer in RESUME_CLASSES:
        sqrt_note = use_sqrt(optimizer)
        initial, grads = resume_data(optimizer)
        params = [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32).reshape(SHAPES[n])) for v, n in zip(initial, NAMES_ORDER)]
        opt = torch_optimizer(optimizer, params)
        trace = []  # torch's parameters and state after each of the K + N steps
        for step in range(K):
            set_grads(params, grads[step])
            opt.step()
            trace.append(([flat(p) for p in params], state_of(opt, params)))
        name = optimizer.lower()
        if optimizer in SAVED_KEYS:
            # What the lucid side must reproduce: which parameters have state at the save, with which
            # keys (SGD: only a has a buffer, b had no gradient yet, c's group has momentum 0;
            # Adagrad: b too, the constructor's step 0 and zero sum).
            saved = opt.state_dict()['state']
            assert [list(saved[i]) if i in saved else None for i in range(3)] == list(SAVED_KEYS[optimizer]), saved
        torch.save(opt.state_dict(), OUT / f'{name}-resume.pt')
        saved_params = [flat(p) for p in params]
        after = []
        for step in range(K, K + N):
            set_grads(params, grads[step])
            opt.step()
            after.append({'afterStep': step + 1, 'params': [flat(p) for p in params], 'state': state_of(opt, params)})
            trace.append((after[-1]['params'], after[-1]['state']))
        fixture = {
            'generatedBy': 'scripts/golden/checkpoints.py', 'torchVersion': torch.__version__.split('+')[0],
            'cpuCapability': torch.backends.cpu.get_cpu_capability(), **({'sqrt': sqrt_note} if sqrt_note else {}),
            'optimizer': optimizer, 'groups': resume_groups_json(optimizer),
            'shapes': [SHAPES[n] for n in NAMES_ORDER], 'initial': initial, 'grads': grads, 'savedAfterStep': K,
            'savedParams': saved_params, 'after': after,
        }
        if optimizer == 'SGD':
            # --verify-resume compares SGD bit for bit with lucid's JSON, where JSON.stringify writes
            # -0 as 0: with no zero in the data, a sign lost that way cannot show up as a difference.
            assert all(x != 0 for a in after for v in a['params'] + [s['momentumBuffer'] for s in a['state'] if s] for x in v)
        if optimizer in RESUME_GROUPS:
            # The same for every class compared bit for bit: no -0.0 after the save (zeros are +0.0:
            # Rprop's prev where the sign changed).
            assert not any(x == 0 and math.copysign(1, x) < 0 for a in after for x in all_values(a['params'] + a['state']))
        if optimizer in SAVED_KEYS and optimizer != 'SGD':
            check_with_model(optimizer, opt, initial, grads, trace)
        # The saved file alone continues the run: loaded (weights_only) into an optimizer built with
        # other hyperparameters, it takes the same N steps to the same bits.
        params2 = [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32).reshape(SHAPES[n])) for v, n in zip(saved_params, NAMES_ORDER)]
        opt2 = RESUME_CLASSES[optimizer]([{'params': params2[:2]}, {'params': params2[2:]}], lr=0.5, foreach=False)
        opt2.load_state_dict(torch.load(OUT / f'{name}-resume.pt', weights_only=True))
        for j, step in enumerate(range(K, K + N)):
            set_grads(params2, grads[step])
            opt2.step()
            assert same_float32_bits([flat(p) for p in params2], after[j]['params']), (optimizer, step + 1)
            assert same_float32_bits(state_of(opt2, params2), after[j]['state']), (optimizer, step + 1)
        (OUT / f'{name}-resume.json').write_text(json.dumps(fixture, indent=1) + '\n')


def sqrt_ulp_explains(before, after_lucid, after_torch, m, v, lr, beta1, beta2, eps, step, factor):
    """Whether lucid's parameter is the float32 update with the correctly rounded square root and
    torch's the same update with the square root one ulp away (each operation rounded to float32, in
    torch's op order; AdamW's factor 1 - lr * wd computed in float64, then rounded, as param.mul_ does)."""
    import numpy as np
    F = np.float32
    neg_step_size = F(-(lr / (1 - beta1 ** step)))
    bc2_sqrt = F(math.sqrt(1 - beta2 ** step))

    def update(off):
        s = np.sqrt(F(v))
        if off:
            s = np.nextafter(s, F(math.inf) if off > 0 else F(-math.inf))
        return F(F(F(before) * F(factor)) + F(F(neg_step_size * F(m)) / F(F(s / bc2_sqrt) + F(eps))))

    return update(0) == F(after_lucid) and any(update(off) == F(after_torch) for off in (1, -1))


def same_float32_bits(a, b):
    """Nested lists/dicts/None of numbers: the same structure and the same float32 bits everywhere."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_float32_bits(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same_float32_bits(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    return struct.pack('<f', a) == struct.pack('<f', b)


def verify_resume(outdir):
    outdir = pathlib.Path(outdir)
    failures = 0
    for optimizer in RESUME_CLASSES:
        name = optimizer.lower()
        # Adam and AdamW with torch's own (MKL's) sqrt and a square-root ulp allowed on parameters;
        # every other class bit for bit (the CORRECT_SQRT ones with the same sqrt as their fixtures).
        exact = optimizer not in ('Adam', 'AdamW')
        if exact and not (outdir / f'{name}-lucid.pt').exists():
            # lucid's side (scripts/golden/lucid-resume.mjs) may not write this class yet.
            print(f'{optimizer}: no {name}-lucid.pt in {outdir}: not checked')
            continue
        use_sqrt(optimizer)
        lucid = json.loads((outdir / f'{name}-lucid.json').read_text())
        fx = json.loads((OUT / f'{name}-resume.json').read_text())
        sd = torch.load(outdir / f'{name}-lucid.pt', weights_only=True)
        params = [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32).reshape(s)) for v, s in zip(lucid['savedParams'], fx['shapes'])]
        # Built with other hyperparameters: load_state_dict must bring the saved ones.
        cls = RESUME_CLASSES[optimizer]
        opt = cls([{'params': params[:2]}, {'params': params[2:]}], lr=0.5, foreach=False)
        opt.load_state_dict(sd)
        equal = ulp = other = 0
        for j, want in enumerate(lucid['after']):
            step = fx['savedAfterStep'] + 1 + j
            before = [flat(p) for p in params]
            set_grads(params, fx['grads'][step - 1])
            opt.step()
            got_state = state_of(opt, params)
            # Bit for bit (JSON.stringify writes every float32 exactly; see resume_fixtures on -0).
            same_state = same_float32_bits(got_state, want['state']) if exact else got_state == want['state']
            if not same_state:
                other += 1
                print(f'{optimizer} step {step}: state differs: torch {got_state} lucid {want["state"]}')
            for i, p in enumerate(params):
                group = opt.param_groups[0 if i < 2 else 1]
                for e, (t, l) in enumerate(zip(flat(p), want['params'][i])):
                    if struct.pack('<f', t) == struct.pack('<f', l):
                        equal += 1
                        continue
                    if exact:
                        # No square root, or the same correctly rounded one: only the same bits will do.
                        other += 1
                        print(f'{optimizer} step {step} param {i}[{e}]: torch {t}, lucid {l}')
                        continue
                    s = got_state[i]
                    v = s['maxExpAvgSq'][e] if 'maxExpAvgSq' in s else s['expAvgSq'][e]
                    factor = 1 - group['lr'] * group['weight_decay'] if group['decoupled_weight_decay'] else 1.0
                    # lucid's parameter is the update with the correctly rounded sqrt; torch's, MKL's.
                    if sqrt_ulp_explains(before[i][e], l, t, s['expAvg'][e], v, group['lr'], *group['betas'], group['eps'], s['step'], factor):
                        ulp += 1
                    else:
                        other += 1
                        print(f'{optimizer} step {step} param {i}[{e}]: torch {t}, lucid {l}: not a sqrt ulp')
            # Next step from lucid's parameters, so that a sqrt ulp is not carried on.
            with torch.no_grad():
                for p, v in zip(params, want['params']):
                    p.copy_(torch.tensor(v, dtype=torch.float32).reshape(p.shape))
        groups = [{k: v for k, v in g.items() if k != 'params'} for g in opt.param_groups]
        sqrt_ulps = '' if exact else f'{ulp} a sqrt ulp apart, '
        print(f'{optimizer}: torch.load(weights_only=True) + load_state_dict OK; {len(lucid["after"])} steps: state bit for bit: '
              f'{"yes" if other == 0 else "NO"}; parameters: {equal} element steps equal, {sqrt_ulps}{other} other differences; '
              f'groups after loading: {groups}')
        failures += other
    return failures


if __name__ == '__main__':
    if sys.argv[1:2] == ['--verify']:
        for path in sys.argv[2:]:
            print(json.dumps(canonical(torch.load(path, weights_only=True))))
    elif sys.argv[1:2] == ['--verify-resume']:
        sys.exit(1 if verify_resume(sys.argv[2]) else 0)
    elif sys.argv[1:2] == ['--resume']:
        assert torch.backends.cpu.get_cpu_capability() == 'DEFAULT'
        resume_fixtures()
    else:
        main()
        subprocess.run([sys.executable, __file__, '--resume'], check=True)
