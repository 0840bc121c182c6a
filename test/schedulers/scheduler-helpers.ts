// Shared helpers of the scheduler suites: the optimizer the torch fixtures use, schedulers built from
// a fixture's options, exact comparisons, and a snapshot of everything a failed call must not change.
import { readFileSync } from 'node:fs';
import { goldenNames } from '../e2e/fidelity/golden.js';
import { expect } from 'vitest';
import {
  Adam,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  MultiplicativeLR,
  OneCycleLR,
  Parameter,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  SWALR,
  type LRScheduler,
  type StateDict,
} from 'lucid-optim';

/** What scripts/golden/recipe.py writes (scripts/golden/README.md, "Schedulers"). */
export interface Resume {
  at: number;
  lr?: number[][];
  betas0?: number[][];
  lastLr?: number[][];
  matchesUninterrupted: boolean;
  mismatchedRows: number[];
}

export interface Config {
  name: string;
  options: Record<string, unknown>;
  groups: { lr: number; betas: [number, number] }[];
  steps: number;
  metrics?: number[];
  lr: number[][];
  betas0?: number[][];
  initialLr: (number | null)[];
  lastEpoch: [number | null, number | null];
  resume: Resume;
  resumeSchedulerFirst: Resume;
}

export interface Refused {
  options: Record<string, unknown>;
  note?: string;
  raises: string | null;
  when?: 'construct' | 'step';
  step?: number;
  probeSteps?: number;
  lr?: number[];
}

export interface Fixture {
  torchVersion: string;
  scheduler: string;
  configs: Config[];
  refused: Refused[];
}

/**
 * Every scheduler with torch fixtures, by name: the files of test/fixtures/torch-schedulers/
 * (goldenNames fails if the directory holds another number of them). torch-fixtures.test.ts checks
 * that these are the package's scheduler classes.
 */
export const SCHEDULER_NAMES: readonly string[] = goldenNames('torch-schedulers').map((file) => file.replace(/\.json$/, ''));

export function loadFixture(name: string): Fixture {
  const url = new URL(`../fixtures/torch-schedulers/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

/** The fixtures' optimizer: Adam with two groups of one parameter each (their `groups`), gradient 1. */
export function fixtureOptimizer(groups: Config['groups'] = [
  { lr: 0.1, betas: [0.9, 0.999] },
  { lr: 0.003, betas: [0.9, 0.99] },
]): Adam {
  return new Adam(groups.map((g) => ({ params: [new Parameter([0.5])], lr: g.lr, betas: [g.betas[0], g.betas[1]] as [number, number] })));
}

/** One training step as the fixtures take it: gradient 1 on every parameter, then `optimizer.step()`. */
export function optimizerStep(opt: Adam): void {
  for (const group of opt.paramGroups) for (const p of group.params) p.grad = [1];
  opt.step();
}

/**
 * Python's `b ** e` for an integer e >= 0, exactly rounded: b = m 2^x makes b^e = m^e 2^(xe), a
 * BigInt rounded once to the nearest double (ties to even). glibc's pow returned the correctly
 * rounded value on every argument of the fixtures (scripts/golden/README.md: 1151 of 1151), and
 * JavaScript's `**` does not always (64 of those 1151 differ by an ulp).
 */
export function exactPow(b: number, e: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, b);
  const hi = view.getUint32(0);
  const field = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (field !== 0) m |= 1n << 52n;
  const x = (field === 0 ? 1 : field) - 1075;
  if (b <= 0 || !Number.isInteger(e) || e < 0 || field === 0x7ff) throw new Error(`exactPow: unsupported ${b} ** ${e}`);
  let n = m ** BigInt(e);
  let exponent = x * e;
  const length = n.toString(2).length;
  if (length > 53) {
    const shift = BigInt(length - 53);
    const kept = n >> shift;
    const rest = n - (kept << shift);
    const half = 1n << (shift - 1n);
    n = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    exponent += length - 53;
  }
  // n <= 2^53 fits a double; 2^exponent is built from its bits (a normal double for the fixtures' bases).
  view.setUint32(0, (exponent + 1023) << 20);
  view.setUint32(4, 0);
  return Number(n) * view.getFloat64(0);
}

/** A fixture's lambda description as a function (scripts/golden/README.md: LambdaLR). */
function lambdaOf(description: unknown): (epoch: number) => number {
  const d = description as { kind: string; base?: number; steps?: number; factor?: number };
  if (d.kind === 'pow') return (e) => exactPow(d.base!, e); // `lambda e: b ** e`
  if (d.kind === 'warmup') return (e) => Math.min(1.0, (e + 1) / d.steps!); // `lambda e: min(1.0, (e + 1) / n)`
  if (d.kind === 'const') return () => d.factor!; // `lambda e: factor`
  throw new Error(`unknown lambda kind ${d.kind}`);
}

export type AnyScheduler = LRScheduler | ReduceLROnPlateau | ChainedScheduler;

/** A scheduler from a fixture's name and options (SequentialLR's children built first, in order, as torch's script does). */
export function buildScheduler(name: string, options: Record<string, unknown>, opt: Adam, other?: Adam): AnyScheduler {
  const o = options as never;
  switch (name) {
    case 'LambdaLR': {
      const lrLambda = options.lrLambda;
      return new LambdaLR(opt, { lrLambda: Array.isArray(lrLambda) ? lrLambda.map(lambdaOf) : lambdaOf(lrLambda) });
    }
    case 'StepLR':
      return new StepLR(opt, o);
    case 'MultiStepLR':
      return new MultiStepLR(opt, o);
    case 'ExponentialLR':
      return new ExponentialLR(opt, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, o);
    case 'LinearLR':
      return new LinearLR(opt, o);
    case 'ConstantLR':
      return new ConstantLR(opt, o);
    case 'PolynomialLR':
      return new PolynomialLR(opt, o);
    case 'OneCycleLR':
      return new OneCycleLR(opt, o);
    case 'CosineAnnealingWarmRestarts':
      return new CosineAnnealingWarmRestarts(opt, o);
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(opt, o);
    case 'MultiplicativeLR': {
      const lrLambda = options.lrLambda;
      return new MultiplicativeLR(opt, { lrLambda: Array.isArray(lrLambda) ? lrLambda.map(lambdaOf) : lambdaOf(lrLambda) });
    }
    case 'CyclicLR':
      return new CyclicLR(opt, o);
    case 'SWALR':
      return new SWALR(opt, o);
    case 'ChainedScheduler': {
      const children = options.schedulers as { scheduler: string; options: Record<string, unknown> }[];
      return new ChainedScheduler(children.map((c) => buildScheduler(c.scheduler, c.options, opt, other)) as LRScheduler[]);
    }
    case 'SequentialLR': {
      const children = options.schedulers as { scheduler: string; options: Record<string, unknown>; otherOptimizer?: boolean }[];
      const schedulers = children.map((c) => buildScheduler(c.scheduler, c.options, c.otherOptimizer ? (other ?? fixtureOptimizer()) : opt));
      return new SequentialLR(opt, { schedulers: schedulers as LRScheduler[], milestones: options.milestones as number[] });
    }
  }
  throw new Error(`unknown scheduler ${name}`);
}

/** One step of any scheduler (ReduceLROnPlateau takes the metric). */
export function schedulerStep(sched: AnyScheduler, metric?: number): void {
  if (sched instanceof ReduceLROnPlateau) sched.step(metric!);
  else sched.step();
}

/** Distance in ulps between two doubles of the same sign (for messages). */
export function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8));
}

/** `actual` is bit for bit `expected` (Object.is: -0 is not 0), with a readable message. */
export function expectExactRow(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, `${what}.length`).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i];
    if (!Object.is(a, e)) expect.fail(`${what}[${i}]: got ${a}, torch ${e} (${ulps(a, e)} ulps)`);
  });
}

/** The optimizer's state dict as JSON gives it back (Float32Array buffers as number arrays). */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))) as T;
}

/** Everything about the groups a failed call must leave as it was (parameters as indices). */
export function groupsSnapshot(opt: Adam): unknown {
  return jsonRoundTrip(opt.stateDict().paramGroups);
}

/** Everything observable about a scheduler. */
export function schedulerSnapshot(sched: AnyScheduler): unknown {
  const lastEpoch = sched instanceof ChainedScheduler ? null : sched.lastEpoch; // a ChainedScheduler has none (as torch's)
  return jsonRoundTrip({ lastEpoch, lastLr: sched.getLastLr(), state: sched.stateDict() });
}

export type { StateDict };
