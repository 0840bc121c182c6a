// Every scheduler over SGD, against real torch: the torch fixtures (test/fixtures/torch-schedulers/,
// scripts/golden/recipe.py --only schedulers) were run over torch's Adam, and a scheduler's lr
// does not depend on the optimizer under it, so an SGD with the same groups' lr must get the same
// rows. OneCycleLR with cycleMomentum writes the same momentum torch computes either way: into
// `betas[0]` when the optimizer's defaults have betas, into `momentum` otherwise (torch 2.15
// lr_scheduler.py, OneCycleLR: `if self.use_beta1: group["betas"] = (computed_momentum, ...)
// else: group["momentum"] = computed_momentum`), so SGD's momentum rows are the fixtures' betas0
// rows. One cell differs from torch, because glibc's cos is not correctly rounded there: see
// GLIBC_COS_ROWS in torch-fixtures.test.ts, whose rows this suite skips.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, Parameter, SGD } from 'lucid-optim';
import { SCHEDULER_NAMES, buildScheduler, expectExactRow, loadFixture, schedulerStep, type Config } from './scheduler-helpers.js';

beforeAll(() => init());

/** The fixtures' groups as SGD groups: the same lr, and each group's betas[0] as its momentum. */
function sgdOf(config: Config): SGD {
  return new SGD(config.groups.map((g) => ({ params: [new Parameter([0.5])], lr: g.lr, momentum: g.betas[0] })));
}

/** Rows where torch's lr came from glibc's incorrectly rounded cos (torch-fixtures.test.ts's GLIBC_COS_ROWS). */
const SKIPPED: Record<string, number> = { 'OneCycleLR/cos-defaults': 76 };

describe.each(SCHEDULER_NAMES.map((name) => [name]))('%s', (name) => {
  const fixture = loadFixture(name);
  test.each(fixture.configs.map((c) => [c.name, c]))('%s: every lr row (and OneCycleLR\'s momentum) is torch\'s', (_n, config) => {
    const opt = sgdOf(config);
    const other = name === 'SequentialLR' ? sgdOf(config) : undefined;
    const sched = buildScheduler(name, config.options, opt as never, other as never);
    const check = (k: number) => {
      if (SKIPPED[`${name}/${config.name}`] === k) return;
      expectExactRow(opt.paramGroups.map((g) => g.lr), config.lr[k], `lr row ${k}`);
      if (config.betas0 !== undefined) expectExactRow(opt.paramGroups.map((g) => g.momentum), config.betas0[k], `momentum row ${k}`);
    };
    check(0);
    for (let k = 1; k <= config.steps; k++) {
      for (const group of opt.paramGroups) for (const p of group.params) p.grad = [1];
      opt.step();
      schedulerStep(sched, config.metrics?.[k - 1]);
      check(k);
    }
    expect(opt.paramGroups.every((g) => !('betas' in g))).toBe(true);
  });
});
