// Reliability, fuzzing: random sequences of operations on lucid-optim (fast-check model-based
// testing), checked after every operation against a model: the float64 reference of PyTorch's
// Adam (reference/adam-reference.mjs, one instance per parameter) plus plain bookkeeping.
//
// Operations: create parameters of random sizes; set, clear and zero gradients (some with NaN or
// ±Infinity); set data; step (guard on or off); change hyperparameters between steps; add
// groups; save with stateDict() and load into a fresh optimizer (structured or through JSON);
// rebuild or dispose the optimizer; dispose parameters; allocate big buffers (growing memory);
// and bad calls that must throw and change nothing.
//
// After every operation, for every live parameter: data within the reference's float32 error
// bound (non-finite values must match in kind: NaN for NaN, the same infinity), grad bit-exact;
// the optimizer's state dict (which parameters have state, step counts, AMSGrad buffers, moments
// within bound), its hyperparameters and guard counters exactly; and every view handed out
// earlier is either detached or still shows the parameter's current values.
//
// `npm test` runs FUZZ_RUNS sequences (default 400, about 2 s) over fixed, printed seeds
// (seeds.ts); `npm run fuzz` runs 20,000 from a fresh seed. A failure prints the seed, the path,
// the shrunk command list and the command that replays it.
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, init, memoryStats, Parameter, type AdamHyperparameters, type AdamStateDict } from 'lucid-optim';
import { ReferenceAdam } from '../../../reference/adam-reference.mjs';
import { observe } from '../../observe.js';
import { checkSeeds, fuzzSeeds } from './seeds.js';

beforeAll(() => init());

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

type Hyper = AdamHyperparameters;

/** One parameter as the model sees it. */
interface ModelParam {
  length: number;
  disposed: boolean;
  /** Bit-exact gradient (what was assigned, as float32), or null. */
  grad: Float32Array | null;
  /** The float64 reference for this parameter: its values, state and float32 error bounds. */
  ref: ReferenceAdam;
  /** The last view `data` handed out: must be detached or show the current values. */
  view: Float32Array | undefined;
}

interface Model {
  params: ModelParam[];
  /** Groups of the optimizer, as indices into params; undefined: no optimizer. */
  groups: { hyper: Hyper; params: number[] }[] | undefined;
  skipNonFinite: boolean;
  skippedSteps: number;
}

interface Real {
  params: Parameter[];
  opt: Adam | undefined;
}

// ---------------------------------------------------------------------------------------------
// The model's operations.

function newRef(values: ArrayLike<number>): ReferenceAdam {
  return new ReferenceAdam([values], [{ params: [0] }]);
}

/** The model of a fresh optimizer over `groups`: every parameter's reference starts from its current values. */
function freshState(m: Model, real: Real, groups: { hyper: Hyper; params: number[] }[]): void {
  for (const g of groups) for (const i of g.params) m.params[i].ref = newRef(real.params[i].data);
  m.groups = groups.map((g) => ({ hyper: cloneHyper(g.hyper), params: [...g.params] }));
  m.skippedSteps = 0;
}

function cloneHyper(h: Hyper): Hyper {
  return { ...h, betas: [h.betas[0], h.betas[1]] };
}

function optParams(m: Model): number[] {
  return m.groups?.flatMap((g) => g.params) ?? [];
}

/** One step of the model, given lucid's parameter values before the step (for the L2 term). */
function modelStep(m: Model, before: Float32Array[]): void {
  const ids = optParams(m).filter((i) => m.params[i].grad !== null);
  if (m.skipNonFinite && ids.some((i) => !m.params[i].grad!.every(Number.isFinite))) {
    m.skippedSteps++;
    return;
  }
  for (const g of m.groups!) {
    for (const i of g.params) {
      const p = m.params[i];
      if (p.grad === null) continue;
      Object.assign(p.ref.paramGroups[0], cloneHyper(g.hyper));
      p.ref.step([p.grad], [g.hyper.weightDecay === 0 ? undefined : before[i]]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Checks.

/** |got - want| <= bound for finite want; NaN for NaN; the same infinity for an infinity. */
function close(got: number, want: number, bound: number, lenientInfinity: boolean): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got) || (lenientInfinity && !Number.isFinite(got));
  if (!Number.isFinite(want)) return got === want || (lenientInfinity && !Number.isFinite(got));
  return Math.abs(got - want) <= bound;
}

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number> | undefined, lenientInfinity = false): void {
  expect(got.length, `${what}.length`).toBe(want.length);
  for (let e = 0; e < want.length; e++) {
    const b = bound?.[e] ?? 0;
    if (!close(got[e], want[e], Number.isNaN(b) ? Infinity : b, lenientInfinity)) {
      expect.fail(`${what}[${e}]: lucid ${got[e]}, reference ${want[e]}, bound ${b}`);
    }
  }
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((x, i) => x === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);
}

function checkAll(m: Model, real: Real): void {
  real.params.forEach((p, i) => {
    const mp = m.params[i];
    expect(p.disposed, `param ${i} disposed`).toBe(mp.disposed);
    if (mp.disposed) return;
    if (mp.view !== undefined && mp.view.length !== 0) {
      expect(bitsEqual(mp.view, p.data), `param ${i}: an attached old view shows the current values`).toBe(true);
    }
    mp.view = p.data;
    expectClose(`param ${i} data`, p.data, mp.ref.params[0], mp.ref.bounds![0].param);
    const grad = p.grad;
    if (mp.grad === null) expect(grad, `param ${i} grad`).toBeNull();
    else expect(grad !== null && bitsEqual(grad, mp.grad), `param ${i} grad bits`).toBe(true);
  });
  expect(real.opt === undefined, 'optimizer exists').toBe(m.groups === undefined);
  if (real.opt === undefined || m.groups === undefined) return;
  const opt = real.opt;
  expect(opt.skippedSteps).toBe(m.skippedSteps);
  expect(opt.skipNonFinite).toBe(m.skipNonFinite);
  expect(opt.paramGroups.map((g) => g.params.map((p) => real.params.indexOf(p)))).toEqual(m.groups.map((g) => g.params));
  opt.paramGroups.forEach((g, k) => {
    const h = m.groups![k].hyper;
    const { lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = g;
    expect({ lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay }, `group ${k}`).toEqual(h);
  });
  const sd = opt.stateDict();
  optParams(m).forEach((i, index) => {
    const ref = m.params[i].ref;
    const want = ref.state[0];
    const got = sd.state[index];
    if (want === undefined) {
      expect(got, `state of param ${i}`).toBeUndefined();
      return;
    }
    expect(got?.step, `step of param ${i}`).toBe(want.step);
    const b = ref.bounds![0];
    // torch.lerp's two formulas agree on finite values (both within the bound) but not on
    // infinities (inf + w * (g - inf) vs g - (g - inf) * (1 - w)); the reference uses one.
    expectClose(`param ${i} expAvg`, got!.expAvg, want.expAvg, b.expAvg, true);
    expectClose(`param ${i} expAvgSq`, got!.expAvgSq, want.expAvgSq, b.expAvgSq);
    // With AMSGrad switched on since the last step, stateDict() saves the zeros the next step starts from.
    const amsgradOn = m.groups!.find((g) => g.params.includes(i))!.hyper.amsgrad;
    const wantMax = want.maxExpAvgSq ?? (amsgradOn ? new Float64Array(want.expAvg.length) : undefined);
    expect(got!.maxExpAvgSq === undefined, `param ${i} has maxExpAvgSq`).toBe(wantMax === undefined);
    if (wantMax !== undefined) expectClose(`param ${i} maxExpAvgSq`, got!.maxExpAvgSq!, wantMax, b.maxExpAvgSq);
  });
}

/** Runs `act`, which must throw `errorClass` and change nothing: nothing observable (test/observe.ts), nothing the model describes. */
function expectRefused(m: Model, real: Real, errorClass: typeof TypeError | typeof RangeError, act: () => unknown): void {
  const optimizers = real.opt === undefined ? [] : [real.opt];
  const before = observe(real.params, optimizers);
  expect(act).toThrow(errorClass);
  expect(observe(real.params, optimizers), 'a refused call changes nothing and allocates nothing').toEqual(before);
  checkAll(m, real);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: values are multiples of 1/64 in [-16, 16] (exact in float32, away from subnormals),
// gradients sometimes with a NaN or an infinity.

const value = fc.integer({ min: -1024, max: 1024 }).map((k) => k / 64);
const special = fc.constantFrom(NaN, Infinity, -Infinity);
const values = (length: number) => fc.array(value, { minLength: length, maxLength: length });
const hyper: fc.Arbitrary<Hyper> = fc.record({
  lr: fc.constantFrom(0, 1e-3, 0.01, 0.1, 1),
  betas: fc.tuple(fc.constantFrom(0, 0.3, 0.5, 0.9, 0.99), fc.constantFrom(0, 0.5, 0.9, 0.999)),
  eps: fc.constantFrom(1e-8, 1e-3, 0.1),
  weightDecay: fc.constantFrom(0, 0, 1e-2, 0.1),
  amsgrad: fc.boolean(),
  maximize: fc.boolean(),
  // The model (reference/adam-reference.mjs) is torch's Adam with L2 weight decay; AdamW's decay is
  // checked by test/optim/adamw.test.ts and the Rust kernel tests.
  decoupledWeightDecay: fc.constant(false),
});
const size = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 70 }));
/** An index into whatever list it is used with (taken modulo its length). */
const pick = fc.nat({ max: 1000 });

type Cmd = fc.Command<Model, Real>;

class NewParam implements Cmd {
  constructor(readonly init: number[]) {}
  check = () => true;
  run(m: Model, r: Real): void {
    r.params.push(new Parameter(this.init));
    m.params.push({ length: this.init.length, disposed: false, grad: null, ref: newRef(this.init), view: undefined });
    checkAll(m, r);
  }
  toString = () => `new Parameter([${this.init}])`;
}

class SetGrad implements Cmd {
  constructor(readonly which: number, readonly grad: number[] | null, readonly poison: { at: number; value: number } | null) {}
  check = (m: Readonly<Model>) => m.params.length > 0;
  run(m: Model, r: Real): void {
    const i = this.which % m.params.length;
    const mp = m.params[i];
    if (this.grad === null) {
      if (mp.disposed) return expectRefused(m, r, TypeError, () => (r.params[i].grad = null));
      r.params[i].grad = null;
      mp.grad = null;
      return checkAll(m, r);
    }
    const grad = Float32Array.from({ length: mp.length }, (_, e) => this.grad![e % this.grad!.length]);
    if (this.poison !== null) grad[this.poison.at % mp.length] = this.poison.value;
    if (mp.disposed) return expectRefused(m, r, TypeError, () => (r.params[i].grad = grad));
    r.params[i].grad = Array.from(grad); // a plain array, converted on the way in
    mp.grad = grad;
    checkAll(m, r);
  }
  toString = () => `params[${this.which}].grad = ${this.grad === null ? 'null' : `[${this.grad}]`}${this.poison ? ` with ${this.poison.value} at ${this.poison.at}` : ''}`;
}

class SetData implements Cmd {
  constructor(readonly which: number, readonly data: number[]) {}
  check = (m: Readonly<Model>) => m.params.length > 0;
  run(m: Model, r: Real): void {
    const i = this.which % m.params.length;
    const mp = m.params[i];
    const data = Float32Array.from({ length: mp.length }, (_, e) => this.data[e % this.data.length]);
    if (mp.disposed) return expectRefused(m, r, TypeError, () => (r.params[i].data = data));
    r.params[i].data = data;
    mp.ref.params[0].set(data);
    mp.ref.bounds![0].param.fill(0);
    checkAll(m, r);
  }
  toString = () => `params[${this.which}].data = [${this.data}]`;
}

class ZeroGrad implements Cmd {
  constructor(readonly setToNone: boolean, readonly onOptimizer: boolean, readonly which: number) {}
  check = (m: Readonly<Model>) => (this.onOptimizer ? m.groups !== undefined : m.params.length > 0);
  run(m: Model, r: Real): void {
    const targets = this.onOptimizer ? optParams(m) : [this.which % m.params.length];
    if (!this.onOptimizer && m.params[targets[0]].disposed) {
      return expectRefused(m, r, TypeError, () => r.params[targets[0]].zeroGrad(this.setToNone));
    }
    if (this.onOptimizer) r.opt!.zeroGrad(this.setToNone);
    else r.params[targets[0]].zeroGrad(this.setToNone);
    for (const i of targets) {
      const mp = m.params[i];
      if (mp.disposed || mp.grad === null) continue;
      mp.grad = this.setToNone ? null : new Float32Array(mp.length);
    }
    checkAll(m, r);
  }
  toString = () => `${this.onOptimizer ? 'opt' : `params[${this.which}]`}.zeroGrad(${this.setToNone})`;
}

class Step implements Cmd {
  constructor(readonly guard: boolean | null) {}
  check = (m: Readonly<Model>) => m.groups !== undefined;
  run(m: Model, r: Real): void {
    const opt = r.opt!;
    if (this.guard !== null) {
      opt.skipNonFinite = this.guard;
      m.skipNonFinite = this.guard;
    }
    if (optParams(m).some((i) => m.params[i].disposed)) return expectRefused(m, r, TypeError, () => opt.step());
    const before = r.params.map((p) => (p.disposed ? new Float32Array(0) : p.data.slice()));
    const skips = m.skipNonFinite && optParams(m).some((i) => m.params[i].grad !== null && !m.params[i].grad!.every(Number.isFinite));
    expect(opt.step(() => 42)).toBe(42); // the closure's value, skipped or not
    modelStep(m, before);
    expect(opt.lastStepSkipped).toBe(skips);
    checkAll(m, r);
  }
  toString = () => `opt.step()${this.guard === null ? '' : ` with skipNonFinite = ${this.guard}`}`;
}

class SetHyper implements Cmd {
  constructor(readonly group: number, readonly hyper: Partial<Hyper>) {}
  check = (m: Readonly<Model>) => m.groups !== undefined && m.groups.length > 0;
  run(m: Model, r: Real): void {
    const g = this.group % m.groups!.length;
    Object.assign(r.opt!.paramGroups[g], cloneHyper({ ...m.groups![g].hyper, ...this.hyper }));
    Object.assign(m.groups![g].hyper, cloneHyper({ ...m.groups![g].hyper, ...this.hyper }));
    checkAll(m, r);
  }
  toString = () => `Object.assign(opt.paramGroups[${this.group}], ${JSON.stringify(this.hyper)})`;
}

/** Puts every live parameter that is in no group into a new group (creating the optimizer if needed). */
class AddGroup implements Cmd {
  constructor(readonly hyper: Hyper, readonly useDefaults: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const taken = new Set(optParams(m));
    const free = m.params.map((_, i) => i).filter((i) => !taken.has(i) && !m.params[i].disposed);
    const input = { params: free.map((i) => r.params[i]), ...(this.useDefaults ? {} : cloneHyper(this.hyper)) };
    if (r.opt === undefined) {
      if (free.length === 0) return expectRefused(m, r, RangeError, () => new Adam([]));
      r.opt = new Adam([input], { ...cloneHyper(this.hyper), skipNonFinite: m.skipNonFinite });
      freshState(m, r, [{ hyper: this.hyper, params: free }]);
    } else {
      r.opt.addParamGroup(input);
      const defaults = r.opt.defaults;
      const hyper = this.useDefaults ? { ...defaults, betas: [defaults.betas[0], defaults.betas[1]] as [number, number] } : this.hyper;
      for (const i of free) m.params[i].ref = newRef(r.params[i].data); // no state yet: starts from here
      m.groups!.push({ hyper: cloneHyper(hyper), params: free });
    }
    checkAll(m, r);
  }
  toString = () => `addGroup(${JSON.stringify(this.hyper)}${this.useDefaults ? ', defaults' : ''})`;
}

/** stateDict() → a fresh optimizer with the same groups (other defaults) → loadStateDict. */
class Reload implements Cmd {
  constructor(readonly viaJson: boolean, readonly defaults: Hyper) {}
  check = (m: Readonly<Model>) => m.groups !== undefined;
  run(m: Model, r: Real): void {
    const old = r.opt!;
    let saved: AdamStateDict = old.stateDict();
    // JSON as a user writes it, with no replacer: buffers (NaN, infinities and -0 included) come
    // back exactly, as arrays that loadStateDict takes.
    if (this.viaJson) saved = JSON.parse(JSON.stringify(saved)) as AdamStateDict;
    const groups = old.paramGroups.map((g) => ({ params: [...g.params] }));
    if (optParams(m).some((i) => m.params[i].disposed)) {
      return expectRefused(m, r, TypeError, () => new Adam(groups, cloneHyper(this.defaults)));
    }
    const fresh = new Adam(groups, { ...cloneHyper(this.defaults), skipNonFinite: m.skipNonFinite });
    fresh.loadStateDict(saved);
    old.dispose();
    r.opt = fresh;
    m.skippedSteps = 0; // a new optimizer; the model's state is exactly what was saved
    for (const g of m.groups!) {
      if (!g.hyper.amsgrad) continue;
      for (const i of g.params) {
        // What was saved as zeros (AMSGrad switched on since the last step) is loaded as a buffer.
        const st = m.params[i].ref.state[0];
        if (st !== undefined && st.maxExpAvgSq === undefined) {
          st.maxExpAvgSq = new Float64Array(st.expAvg.length);
          m.params[i].ref.bounds![0].maxExpAvgSq = new Float64Array(st.expAvg.length);
        }
      }
    }
    checkAll(m, r);
  }
  toString = () => `reload(${this.viaJson ? 'json' : 'structured'}, ${JSON.stringify(this.defaults)})`;
}

/** Disposes the optimizer and, optionally, builds a new one over the live parameters (fresh state). */
class Rebuild implements Cmd {
  constructor(readonly recreate: boolean, readonly hyper: Hyper, readonly split: number) {}
  check = (m: Readonly<Model>) => m.groups !== undefined || this.recreate;
  run(m: Model, r: Real): void {
    r.opt?.dispose();
    r.opt = undefined;
    m.groups = undefined;
    const live = m.params.map((_, i) => i).filter((i) => !m.params[i].disposed);
    if (this.recreate && live.length > 0) {
      const cut = this.split % (live.length + 1);
      const groups = [live.slice(0, cut), live.slice(cut)].filter((g) => g.length > 0);
      r.opt = new Adam(groups.map((g) => ({ params: g.map((i) => r.params[i]) })), { ...cloneHyper(this.hyper), skipNonFinite: m.skipNonFinite });
      freshState(m, r, groups.map((g) => ({ hyper: this.hyper, params: g })));
    } else {
      m.skippedSteps = 0;
    }
    checkAll(m, r);
  }
  toString = () => (this.recreate ? `rebuild(${JSON.stringify(this.hyper)}, split ${this.split})` : 'opt.dispose()');
}

class DisposeParam implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Readonly<Model>) => m.params.length > 0;
  run(m: Model, r: Real): void {
    const i = this.which % m.params.length;
    r.params[i].dispose(); // twice is harmless
    m.params[i].disposed = true;
    m.params[i].grad = null;
    checkAll(m, r);
  }
  toString = () => `params[${this.which}].dispose()`;
}

/** Allocates and frees a big buffer: may grow memory, detaching every view handed out before. */
class Grow implements Cmd {
  constructor(readonly elements: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    new Parameter(this.elements).dispose();
    checkAll(m, r);
  }
  toString = () => `new Parameter(${this.elements}).dispose()`;
}

/** A bad call: must throw the right error and change nothing. */
class BadCall implements Cmd {
  constructor(readonly kind: number, readonly which: number) {}
  check = (m: Readonly<Model>) => m.params.length > 0 && m.groups !== undefined && optParams(m).length > 0;
  run(m: Model, r: Real): void {
    const ids = optParams(m);
    const i = ids[this.which % ids.length];
    const opt = r.opt!;
    const group = opt.paramGroups[0];
    const kinds: [typeof TypeError | typeof RangeError, () => unknown][] = [
      [m.params[i].disposed ? TypeError : RangeError, () => (r.params[i].grad = new Float32Array(m.params[i].length + 1))],
      [TypeError, () => opt.addParamGroup({ params: [r.params[i]] })],
      [RangeError, () => opt.addParamGroup({ params: [], betas: [0.9, 1] })],
      [
        ids.some((k) => m.params[k].disposed) ? TypeError : RangeError,
        () => {
          const lr = group.lr;
          group.lr = -1;
          try {
            opt.step();
          } finally {
            group.lr = lr;
          }
        },
      ],
      [TypeError, () => opt.loadStateDict({ ...opt.stateDict(), paramGroups: [] })],
    ];
    const [errorClass, act] = kinds[this.kind % kinds.length];
    if (this.kind % kinds.length === 4 && ids.some((k) => m.params[k].disposed)) return expectRefused(m, r, TypeError, act);
    if (this.kind % kinds.length === 4) return expectRefused(m, r, RangeError, act);
    expectRefused(m, r, errorClass, act);
  }
  toString = () => `badCall(${this.kind}, ${this.which})`;
}

const commands = [
  fc.integer({ min: 1, max: 3 }).chain((n) => fc.array(value, { minLength: 1, maxLength: 70 }).map((v) => v.slice(0, Math.max(1, n * 20)))).map((v) => new NewParam(v)),
  size.chain((n) => values(n)).map((v) => new NewParam(v)),
  fc.tuple(pick, values(8), fc.option(fc.record({ at: pick, value: special }), { freq: 4 })).map(([w, g, p]) => new SetGrad(w, g, p)),
  fc.tuple(pick, values(8), fc.constant(null)).map(([w, g]) => new SetGrad(w, g, null)),
  pick.map((w) => new SetGrad(w, null, null)),
  fc.tuple(pick, values(8)).map(([w, d]) => new SetData(w, d)),
  fc.tuple(fc.boolean(), fc.boolean(), pick).map(([s, o, w]) => new ZeroGrad(s, o, w)),
  fc.option(fc.boolean(), { freq: 3 }).map((g) => new Step(g)),
  fc.option(fc.boolean(), { freq: 3 }).map((g) => new Step(g)),
  fc.option(fc.boolean(), { freq: 3 }).map((g) => new Step(g)),
  fc.tuple(pick, hyper.chain((h) => fc.subarray(Object.keys(h) as (keyof Hyper)[], { minLength: 1 }).map((keys) => Object.fromEntries(keys.map((k) => [k, h[k]])) as Partial<Hyper>))).map(
    ([g, h]) => new SetHyper(g, h),
  ),
  fc.tuple(hyper, fc.boolean()).map(([h, d]) => new AddGroup(h, d)),
  fc.tuple(fc.boolean(), hyper).map(([j, h]) => new Reload(j, h)),
  fc.tuple(fc.boolean(), hyper, pick).map(([c, h, s]) => new Rebuild(c, h, s)),
  pick.map((w) => new DisposeParam(w)),
  fc.integer({ min: 1 << 16, max: 1 << 20 }).map((n) => new Grow(n)),
  fc.tuple(fc.nat({ max: 4 }), pick).map(([k, w]) => new BadCall(k, w)),
];

/** Operations actually run (a command whose precondition fails is skipped). */
let counted = 0;
function counting(c: Cmd): Cmd {
  return { check: (m) => c.check(m), run: (m, r) => (counted++, c.run(m, r)), toString: () => c.toString() };
}

function runCommands(cmds: Iterable<Cmd>): void {
  const model: Model = { params: [], groups: undefined, skipNonFinite: false, skippedSteps: 0 };
  const real: Real = { params: [], opt: undefined };
  const baseline = memoryStats().allocatedBytes;
  try {
    counted = 0;
    fc.modelRun(() => ({ model, real }), [...cmds].map((c) => counting(c)));
  } finally {
    real.opt?.dispose();
    real.params.forEach((p) => p.dispose());
  }
  // Everything disposed: every byte is back.
  expect(memoryStats().allocatedBytes).toBe(baseline);
}

describe('random operation sequences against the float64 reference model', () => {
  test(`${RUNS} sequences of up to 40 operations`, () => {
    let operations = 0;
    const perSeed = Math.ceil(RUNS / fuzzSeeds().length);
    checkSeeds(
      'test/e2e/fuzz/optimizer-fuzz.test.ts',
      fc.property(fc.commands(commands, { maxCommands: 40, size: 'max' }), (cmds) => {
        runCommands(cmds);
        operations += counted;
      }),
      perSeed,
    );
    console.log(`fuzz: ${perSeed * fuzzSeeds().length} sequences, ${operations} operations, each checked against the model`);
  });
});

describe('shrunk counterexamples, kept as regular tests', () => {
  const defaults: Hyper = { lr: 0, betas: [0, 0], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false };
  const zeros = (n: number) => new Array<number>(n).fill(0);

  // Found by the 20,000-run fuzz: stateDict() after AMSGrad was switched on between steps had no
  // maxExpAvgSq, so loadStateDict refused lucid's own state dict. stateDict() now saves the zeros
  // the next step starts from.
  test('save and load right after switching AMSGrad on', () => {
    runCommands([
      new NewParam(zeros(10)),
      new SetGrad(0, zeros(8), null),
      new AddGroup(defaults, false),
      new Step(null),
      new SetHyper(0, { amsgrad: true, maximize: false }),
      new Reload(false, defaults),
      new Step(null),
      new Reload(true, defaults),
    ]);
  });

  // Found while checking that the fuzz catches planted bugs (each plant was caught and shrunk to
  // these); they guard maximize's row in the hyperparameter table, the loading of maxExpAvgSq, and
  // weight decay evaluated at the parameter's value before the step.
  test('maximize reaches the kernel', () => {
    runCommands([
      new NewParam(zeros(10)),
      new AddGroup({ ...defaults, maximize: true }, false),
      new SetGrad(0, [0, 0, 0, 0, 0, 0, 0, -0.015625], null),
      new Step(null),
    ]);
  });

  test('a loaded AMSGrad state keeps its maxExpAvgSq', () => {
    runCommands([
      new NewParam([0]),
      new SetGrad(0, [0.015625, 0, 0, 0, 0, 0, 0, 0], null),
      new AddGroup({ ...defaults, amsgrad: true }, false),
      new Step(null),
      new Reload(false, defaults),
    ]);
  });

  test('weight decay switched on between steps uses the current parameter values', () => {
    runCommands([
      new NewParam([...zeros(9), 0.015625]),
      new AddGroup(defaults, false),
      new SetHyper(0, { weightDecay: 0.01, maximize: false }),
      new SetGrad(0, zeros(8), null),
      new Step(null),
    ]);
  });
});

