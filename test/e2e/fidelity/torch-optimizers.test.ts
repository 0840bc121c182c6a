// lucid-optim against real torch 2.15, bit for bit, for every algorithm with golden fixtures from
// scripts/golden/optimizers.py (schema in scripts/golden/README.md): each fixture is one case run
// by torch.optim.<Class>(foreach=False) with ATEN_CPU_CAPABILITY=default (no fused multiply-adds,
// each float32 operation rounded on its own, as lucid-optim's kernels), and records torch's
// parameters and `optimizer.state[p]` after every step. Every expected number below is torch's.
//
// Regenerate: .venv-golden/bin/python scripts/golden/optimizers.py
import { beforeAll, expect, test } from 'vitest';
import { init } from 'lucid-optim';
import { GOLDEN } from './golden.js';
import { DIRECTORIES, describeTorchFixtures } from './optimizer-fixtures.js';

beforeAll(() => init());

test('every golden directory of the optimizers is read here', () => {
  // A new algorithm's directory (torch-rmsprop, ...) must be added to DIRECTORIES to be tested.
  // (The others have suites of their own: Adam's and AdamW's, checkpoints, clipping, schedulers,
  // test/optim/averaged-model.test.ts for torch-averaging, test/torch/safety.test.ts for torch-refused, torch-muon.test.ts, torch-adafactor.test.ts and torch-lbfgs.test.ts for theirs.)
  expect(Object.keys(GOLDEN).filter((d) => !/^torch-(adam|adamw)(-nofma)?$|^torch-(checkpoints|clip|schedulers|averaging|refused|muon|adafactor|lbfgs)$/.test(d))).toEqual(DIRECTORIES);
});

describeTorchFixtures('simd');
