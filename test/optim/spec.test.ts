// Every optimizer class against its algorithm's spec (Rust owns it: crates/optim-core/src/algorithms/,
// exported by crates/optim-wasm/src/spec.rs): the one TypeScript listing of each algorithm's options,
// its per-step row writer, puts every option where the spec says; the class names itself as the
// spec does; and the defaults are torch 2.15's, as its own signatures write them:
//
//   torch/optim/adam.py:  Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
//                              amsgrad=False, *, foreach=None, maximize=False, capturable=False,
//                              differentiable=False, fused=None, decoupled_weight_decay=False)
//   torch/optim/adamw.py: AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
//                               amsgrad=False, *, maximize=False, ...)   (decoupled: always)
//   torch/optim/sgd.py:   SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
//                             nesterov=False, *, maximize=False, foreach=None, differentiable=False, fused=None)
//   torch/optim/rmsprop.py:  RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
//                                    centered=False, capturable=False, foreach=None, maximize=False, differentiable=False)
//   torch/optim/adagrad.py:  Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
//                                    eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None)
//   torch/optim/adadelta.py: Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
//                                     capturable=False, maximize=False, differentiable=False)
//   torch/optim/adamax.py:   Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
//                                   maximize=False, differentiable=False, capturable=False)
//   torch/optim/nadam.py:    NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
//                                  decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
//                                  differentiable=False)
//   torch/optim/radam.py:    RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
//                                  decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
//                                  differentiable=False)
//   torch/optim/asgd.py:     ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
//                                 maximize=False, differentiable=False, capturable=False)
//   torch/optim/rprop.py:    Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
//                                  foreach=None, maximize=False, differentiable=False)
//   torch/optim/_muon.py:    Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
//                                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
//                                 adjust_lr_fn=None)   with EPS = 1e-7, DEFAULT_A = 3.4445, DEFAULT_B = -4.7750,
//                                 DEFAULT_C = 2.0315, DEFAULT_NS_STEPS = 5
//   torch/optim/_adafactor.py: Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
//                                        weight_decay=0.0, *, foreach=None, maximize=False)
//   torch/optim/sparse_adam.py: SparseAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)
//
// Every optimizer the package exports is found by walking its exports, so a new algorithm is
// checked here without an edit, except its row in TORCH_DEFAULTS, which the last test demands.
import { beforeAll, describe, expect, test } from 'vitest';
import { init } from 'lucid-optim';
import { describeClass, optimizerClasses, type OptimizerClass } from '../helpers.js';

beforeAll(() => init());

/** torch 2.15's defaults, from the signatures above (lucid-optim's names). */
const TORCH_DEFAULTS: Record<string, Record<string, unknown>> = {
  Adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false },
  AdamW: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, decoupledWeightDecay: true },
  SGD: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  RMSprop: { lr: 1e-2, momentum: 0, alpha: 0.99, eps: 1e-8, centered: false, weightDecay: 0, maximize: false },
  Adagrad: { lr: 1e-2, lrDecay: 0, eps: 1e-10, weightDecay: 0, initialAccumulatorValue: 0, maximize: false },
  Adadelta: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false },
  Adamax: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  NAdam: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, decoupledWeightDecay: false, maximize: false },
  RAdam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, decoupledWeightDecay: false },
  ASGD: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false },
  Rprop: { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false },
  Adafactor: { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1.0, weightDecay: 0, maximize: false },
  SparseAdam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, maximize: false },
  Muon: { lr: 1e-3, weightDecay: 0.1, momentum: 0.95, nesterov: true, nsCoefficients: [3.4445, -4.775, 2.0315], eps: 1e-7, nsSteps: 5, adjustLrFn: null },
};

/** What the tests read of a class (internal: stripped from the package's types). */
type Row = (group: object, row: Float64Array, at: number, slots: Record<string, number>) => boolean;
type WithRowWriter = OptimizerClass & { torchName: string; writeRow: Row };

const CLASSES = optimizerClasses() as [string, WithRowWriter][];

test('the package exports the optimizers, and each is checked below', () => {
  expect(CLASSES.map(([name]) => name).sort()).toEqual(Object.keys(TORCH_DEFAULTS).sort());
});

describe.each(CLASSES)('%s', (exported, Class) => {
  const specOf = () => {
    const { defaults, ...spec } = describeClass(Class);
    return { spec, defaults };
  };

  test("its name is torch's, as the spec says", () => {
    const { spec } = specOf();
    expect([exported, Class.torchName]).toEqual([spec.name, spec.name]);
  });

  test("its defaults are torch 2.15's", () => {
    expect(specOf().defaults).toEqual(TORCH_DEFAULTS[exported]);
  });

  test('its row writer puts every option at the slot the spec gives it, flags as 0 or 1, a choice as its index', () => {
    const { spec } = specOf();
    const slots = Object.fromEntries(spec.options.map((f) => [f.name, f.slot]));
    for (let trial = 0; trial < 8; trial++) {
      // Distinct values in every slot (an option written to another's slot shows), flags both ways.
      const group: Record<string, unknown> = {};
      const expected = new Float64Array(spec.rowLen).fill(NaN);
      spec.options.forEach((f, i) => {
        const value = 10 * trial + i + 0.5;
        if (f.kind === 'tuple') {
          const tuple = Array.from({ length: f.width }, (_, e) => value + 0.25 * e);
          group[f.name] = tuple;
          expected.set(tuple, f.slot);
        } else if (f.kind === 'choice') {
          const index = (trial + i) % f.choices.length;
          group[f.name] = f.choices[index];
          expected[f.slot] = index;
        } else if (f.kind === 'flag') {
          group[f.name] = (trial + i) % 2 === 0;
          expected[f.slot] = (trial + i) % 2 === 0 ? 1 : 0;
        } else {
          group[f.name] = value;
          expected[f.slot] = value;
        }
      });
      const row = new Float64Array(spec.rowLen + 2).fill(NaN);
      expect(Class.writeRow(group, row, 1, slots)).toBe(true);
      expect(Array.from(row)).toEqual([NaN, ...expected, NaN]);
      // A wrong type anywhere: refused (the step then explains it by name).
      for (const f of spec.options) {
        expect(Class.writeRow({ ...group, [f.name]: 'x' }, row, 1, slots), f.name).toBe(false);
      }
    }
  });
});
