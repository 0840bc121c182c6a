// Every scheduler over every optimizer but Adam (torch-fixtures.test.ts runs them over Adam), against
// real torch: the torch fixtures (test/fixtures/torch-schedulers/, scripts/golden/recipe.py --only
// schedulers) were run over torch's Adam, and a scheduler's lr does not depend on the optimizer
// under it, so any optimizer with the same groups' lr must get the same rows. OneCycleLR with
// cycleMomentum writes the same momentum torch computes whatever the optimizer: into `betas[0]`
// when the optimizer's defaults have betas (Adamax, NAdam, RAdam, AdamW), into `momentum` when
// they have momentum (SGD, RMSprop), and torch raises a ValueError for an optimizer with neither
// (Adagrad, Adadelta, ASGD, Rprop) (torch 2.15 lr_scheduler.py, OneCycleLR: "optimizer must
// support momentum or beta1 with `cycle_momentum` option enabled"). One cell differs from torch,
// because glibc's cos is not correctly rounded there: see GLIBC_COS_ROWS in torch-fixtures.test.ts,
// whose rows this suite skips.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, Parameter, type Optimizer } from 'lucid-optim';
import { describeClass, optimizerClasses, setGrad, takesSparseGrads, type OptimizerClass } from '../helpers.js';
import { SCHEDULER_NAMES, buildScheduler, expectExactRow, loadFixture, schedulerStep, type Config } from './scheduler-helpers.js';

beforeAll(() => init());

const CLASSES = optimizerClasses().filter(([name]) => name !== 'Adam');

/** What OneCycleLR cycles in `Class`'s groups: `betas[0]`, `momentum`, or nothing (it then refuses cycleMomentum). */
function cycled(Class: OptimizerClass): 'betas' | 'momentum' | null {
  const { defaults } = describeClass(Class);
  return 'betas' in defaults ? 'betas' : 'momentum' in defaults ? 'momentum' : null;
}

/** The fixtures' groups for `Class`: the same lr, and each group's betas[0] as its betas[0] or momentum. */
function optimizerOf(Class: OptimizerClass, config: Config): Optimizer {
  const what = cycled(Class);
  return new Class(
    config.groups.map((g) => ({
      // 1×1: a matrix, as Muon requires (the element-wise algorithms ignore the shape).
      params: [new Parameter([0.5], { shape: [1, 1] })],
      lr: g.lr,
      ...(what === 'betas' ? { betas: [g.betas[0], 0.999] } : what === 'momentum' ? { momentum: g.betas[0] } : {}),
    })),
  );
}

/** Rows where torch's lr came from glibc's incorrectly rounded cos (torch-fixtures.test.ts's GLIBC_COS_ROWS). */
const SKIPPED: Record<string, number> = { 'OneCycleLR/cos-defaults': 76 };

test('every optimizer but Adam is scheduled here', () => {
  expect(CLASSES.map(([name]) => name).sort()).toEqual(['ASGD', 'Adadelta', 'Adafactor', 'Adagrad', 'AdamW', 'Adamax', 'Muon', 'NAdam', 'RAdam', 'RMSprop', 'Rprop', 'SGD', 'SparseAdam']);
});

describe.each(CLASSES)('%s', (_className, Class) => {
  describe.each(SCHEDULER_NAMES.map((name) => [name]))('%s', (name) => {
    const fixture = loadFixture(name);
    test.each(fixture.configs.map((c) => [c.name, c]))("%s: every lr row (and OneCycleLR's momentum) is torch's", (_n, config) => {
      const what = cycled(Class);
      const sparse = takesSparseGrads(Class);
      const opt = optimizerOf(Class, config);
      const other = name === 'SequentialLR' ? optimizerOf(Class, config) : undefined;
      if (config.betas0 !== undefined && what === null) {
        // torch: ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled").
        expect(() => buildScheduler(name, config.options, opt as never, other as never)).toThrow(TypeError);
        return;
      }
      const sched = buildScheduler(name, config.options, opt as never, other as never);
      const momentum = (g: Record<string, unknown>) => (what === 'betas' ? (g.betas as number[])[0] : (g.momentum as number));
      const check = (k: number) => {
        if (SKIPPED[`${name}/${config.name}`] === k) return;
        expectExactRow(opt.paramGroups.map((g) => g.lr as number), config.lr[k], `lr row ${k}`);
        if (config.betas0 !== undefined) expectExactRow(opt.paramGroups.map(momentum), config.betas0[k], `momentum row ${k}`);
      };
      check(0);
      for (let k = 1; k <= config.steps; k++) {
        for (const group of opt.paramGroups) for (const p of group.params) setGrad(p, [1], sparse);
        opt.step();
        schedulerStep(sched, config.metrics?.[k - 1]);
        check(k);
      }
      opt.dispose();
      other?.dispose();
    });
  });
});
