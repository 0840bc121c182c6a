// Reliability, fuzzing every algorithm: random sequences of operations on an optimizer of each class
// lucid-optim exports, checked after every operation against a model that keeps, for each parameter,
// a twin Parameter and its own one-parameter optimizer of the same class (its "shadow"), made when
// the real optimizer would make that parameter's state and stepped whenever the real one steps it.
// What the real optimizer must then show is exactly its shadows': a parameter's values and state
// bit for bit, whatever the real optimizer went through (groups added, hyperparameters changed
// between steps, saved and loaded through lucid's shape, JSON or a torch file, rebuilt, parameters
// disposed, memory grown, bad calls refused, non-finite gradients skipped by the guard). The
// arithmetic itself is proven against torch by test/e2e/fidelity/; this checks the engine around
// it for every algorithm. (optimizer-fuzz.test.ts runs Adam against a float64 reference model.)
//
// `npm test` runs FUZZ_RUNS sequences per algorithm (default 30) over the fixed, printed seeds
// (seeds.ts); `npm run fuzz` runs more from a fresh seed. A failure prints the seed, the path, the
// shrunk command list and the command that replays it.
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, loadTorch, memoryStats, Parameter, saveTorch, type Optimizer } from 'lucid-optim';
import { describeClass, optimizerClasses, setGrad, takesSparseGrads, type OptimizerClass } from '../../helpers.js';
import { observe } from '../../observe.js';
import { checkSeeds, fuzzSeeds } from './seeds.js';

beforeAll(() => init());

const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_RUNS ?? 400) / 13));

type Hyper = Record<string, unknown>;
const CLASSES = optimizerClasses();

/** One parameter as the model sees it. */
interface ModelParam {
  disposed: boolean;
  /** The values and gradient the real parameter must have; its state is `shadow`'s. */
  twin: Parameter;
  /** A one-parameter optimizer of the same class, once the real optimizer has made this parameter's state. */
  shadow: Optimizer | undefined;
}

interface Model {
  Class: OptimizerClass;
  eager: boolean;
  /** SparseAdam: every gradient is given as a sparse one over every row (helpers.ts `setGrad`). */
  sparse: boolean;
  params: ModelParam[];
  /** The real optimizer's groups (hyperparameters, parameter indices) and defaults; undefined: none. */
  groups: { hyper: Hyper; params: number[] }[] | undefined;
  defaults: Hyper;
  skipNonFinite: boolean;
  skippedSteps: number;
}

interface Real {
  params: Parameter[];
  opt: Optimizer | undefined;
}

const optParams = (m: Model) => m.groups?.flatMap((g) => g.params) ?? [];
const copy = (h: Hyper): Hyper => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));

/** The shadow of parameter i: the model of the state the real optimizer makes for it now. */
function makeShadow(m: Model, i: number, hyper: Hyper): void {
  m.params[i].shadow?.dispose();
  m.params[i].shadow = new m.Class([{ params: [m.params[i].twin], ...copy(hyper) }], copy(m.defaults));
}

/** The model of a new optimizer over `groups`: no state, or (Adagrad) every parameter's state now. */
function freshOptimizer(m: Model, groups: { hyper: Hyper; params: number[] }[], defaults: Hyper): void {
  for (const p of m.params) {
    p.shadow?.dispose();
    p.shadow = undefined;
  }
  m.groups = groups.map((g) => ({ hyper: copy(g.hyper), params: [...g.params] }));
  m.defaults = copy(defaults);
  m.skippedSteps = 0;
  if (m.eager) for (const g of m.groups) for (const i of g.params) makeShadow(m, i, g.hyper);
}

/** A parameter's gradient values, dense or sparse (SparseAdam's), or null. */
const gradOf = (p: Parameter) => p.grad ?? p.sparseGrad?.values ?? null;

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (u, i) => (Number.isNaN(a[i]) ? -1 : u));

/** A state entry with its buffers as bit patterns (NaN as one), numbers as they are. */
function stateBits(state: Record<string, unknown> | undefined) {
  if (state === undefined) return undefined;
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v instanceof Float32Array ? bits(v) : v]));
}

function checkAll(m: Model, r: Real): void {
  r.params.forEach((p, i) => {
    const mp = m.params[i];
    expect(p.disposed, `param ${i} disposed`).toBe(mp.disposed);
    if (mp.disposed) return;
    expect(bits(p.data), `param ${i} data`).toEqual(bits(mp.twin.data));
    const [grad, want] = [gradOf(p), gradOf(mp.twin)];
    expect(grad === null ? null : bits(grad), `param ${i} grad`).toEqual(want === null ? null : bits(want));
    expect(p.sparseGrad?.indices, `param ${i} sparse rows`).toEqual(mp.twin.sparseGrad?.indices);
  });
  expect(r.opt === undefined, 'optimizer exists').toBe(m.groups === undefined);
  if (r.opt === undefined || m.groups === undefined) return;
  expect([r.opt.skippedSteps, r.opt.skipNonFinite]).toEqual([m.skippedSteps, m.skipNonFinite]);
  expect(r.opt.paramGroups.map((g) => g.params.map((p) => r.params.indexOf(p)))).toEqual(m.groups.map((g) => g.params));
  r.opt.paramGroups.forEach((g, k) => {
    for (const [key, value] of Object.entries(m.groups![k].hyper)) expect((g as Record<string, unknown>)[key], `group ${k}.${key}`).toEqual(value);
  });
  const state = r.opt.stateDict().state as Record<number, Record<string, unknown>>;
  optParams(m).forEach((i, index) => {
    const shadow = m.params[i].shadow;
    const want = shadow === undefined ? undefined : (shadow.stateDict().state as Record<number, Record<string, unknown>>)[0];
    expect(stateBits(state[index]), `state of param ${i}`).toEqual(stateBits(want));
  });
}

/** Runs `act`, which must throw `errorClass` and change nothing observable. */
function expectRefused(m: Model, r: Real, errorClass: typeof TypeError | typeof RangeError, act: () => unknown): void {
  const optimizers = r.opt === undefined ? [] : [r.opt];
  const before = observe(r.params, optimizers);
  expect(act).toThrow(errorClass);
  expect(observe(r.params, optimizers), 'a refused call changes nothing').toEqual(before);
  checkAll(m, r);
}

type Cmd = fc.Command<Model, Real>;

class NewParam implements Cmd {
  constructor(readonly init: number[]) {}
  check = () => true;
  run(m: Model, r: Real): void {
    // 1×n: a matrix, as Muon requires (the element-wise algorithms ignore the shape).
    const shape = [1, this.init.length];
    r.params.push(new Parameter(this.init, { shape }));
    m.params.push({ disposed: false, twin: new Parameter(this.init, { shape }), shadow: undefined });
    checkAll(m, r);
  }
  toString = () => `new Parameter([${this.init}], { shape: [1, ${this.init.length}] })`;
}

class SetGrad implements Cmd {
  constructor(readonly which: number, readonly grad: number[] | null, readonly poison: number | null) {}
  check = (m: Readonly<Model>) => m.params.length > 0;
  run(m: Model, r: Real): void {
    const i = this.which % m.params.length;
    const mp = m.params[i];
    const grad = this.grad === null ? null : Float32Array.from({ length: mp.twin.length }, (_, e) => this.grad![e % this.grad!.length]);
    if (grad !== null && this.poison !== null) grad[this.which % grad.length] = this.poison;
    if (mp.disposed) return expectRefused(m, r, TypeError, () => setGrad(r.params[i], grad, m.sparse));
    setGrad(r.params[i], grad, m.sparse);
    setGrad(mp.twin, grad, m.sparse);
    checkAll(m, r);
  }
  toString = () => `params[${this.which}].grad = ${this.grad === null ? 'null' : `[${this.grad}]`}${this.poison === null ? '' : ` with ${this.poison}`}`;
}

class SetData implements Cmd {
  constructor(readonly which: number, readonly data: number[]) {}
  check = (m: Readonly<Model>) => m.params.length > 0;
  run(m: Model, r: Real): void {
    const i = this.which % m.params.length;
    const mp = m.params[i];
    const data = Float32Array.from({ length: mp.twin.length }, (_, e) => this.data[e % this.data.length]);
    if (mp.disposed) return expectRefused(m, r, TypeError, () => (r.params[i].data = data));
    r.params[i].data = data;
    mp.twin.data = data;
    checkAll(m, r);
  }
  toString = () => `params[${this.which}].data = [${this.data}]`;
}

class Step implements Cmd {
  constructor(readonly guard: boolean | null) {}
  check = (m: Readonly<Model>) => m.groups !== undefined;
  run(m: Model, r: Real): void {
    const opt = r.opt!;
    if (this.guard !== null) opt.skipNonFinite = m.skipNonFinite = this.guard;
    if (optParams(m).some((i) => m.params[i].disposed)) return expectRefused(m, r, TypeError, () => opt.step());
    const stepped = optParams(m).filter((i) => gradOf(m.params[i].twin) !== null);
    const skips = m.skipNonFinite && stepped.some((i) => !gradOf(m.params[i].twin)!.every(Number.isFinite));
    opt.step();
    expect(opt.lastStepSkipped).toBe(skips);
    if (skips) m.skippedSteps++;
    else {
      for (const g of m.groups!) {
        for (const i of g.params) {
          if (gradOf(m.params[i].twin) === null) continue;
          if (m.params[i].shadow === undefined) makeShadow(m, i, g.hyper);
          m.params[i].shadow!.step();
        }
      }
    }
    checkAll(m, r);
  }
  toString = () => `opt.step()${this.guard === null ? '' : ` with skipNonFinite = ${this.guard}`}`;
}

class SetHyper implements Cmd {
  constructor(readonly group: number, readonly hyper: Hyper) {}
  check = (m: Readonly<Model>) => m.groups !== undefined && m.groups.length > 0;
  run(m: Model, r: Real): void {
    const g = this.group % m.groups!.length;
    Object.assign(r.opt!.paramGroups[g], copy(this.hyper));
    m.groups![g].hyper = copy(this.hyper);
    for (const i of m.groups![g].params) if (m.params[i].shadow !== undefined) Object.assign(m.params[i].shadow!.paramGroups[0], copy(this.hyper));
    checkAll(m, r);
  }
  toString = () => `Object.assign(opt.paramGroups[${this.group}], ${JSON.stringify(this.hyper)})`;
}

/** Every live parameter in no group into a new group (making the optimizer if there is none). */
class AddGroup implements Cmd {
  constructor(readonly hyper: Hyper) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const taken = new Set(optParams(m));
    const free = m.params.map((_, i) => i).filter((i) => !taken.has(i) && !m.params[i].disposed);
    const input = { params: free.map((i) => r.params[i]), ...copy(this.hyper) };
    if (r.opt === undefined) {
      if (free.length === 0) return expectRefused(m, r, RangeError, () => new m.Class([]));
      r.opt = new m.Class([input], { ...copy(this.hyper), skipNonFinite: m.skipNonFinite });
      freshOptimizer(m, [{ hyper: this.hyper, params: free }], this.hyper);
    } else {
      r.opt.addParamGroup(input); // no state for them until their first step, in every algorithm
      m.groups!.push({ hyper: copy(this.hyper), params: free });
    }
    checkAll(m, r);
  }
  toString = () => `addGroup(${JSON.stringify(this.hyper)})`;
}

/** stateDict() → a fresh optimizer with the same groups and other defaults → loadStateDict. */
class Reload implements Cmd {
  constructor(readonly via: 'lucid' | 'json' | 'torch', readonly defaults: Hyper) {}
  check = (m: Readonly<Model>) => m.groups !== undefined;
  run(m: Model, r: Real): void {
    const old = r.opt!;
    const groups = old.paramGroups.map((g) => ({ params: [...g.params] }));
    if (optParams(m).some((i) => m.params[i].disposed)) {
      return expectRefused(m, r, TypeError, () => new m.Class(groups, copy(this.defaults)));
    }
    // A torch file needs each Parameter's torch shape: these are 1-d, as saved.
    const saved =
      this.via === 'torch' ? loadTorch(saveTorch(old.stateDict({ format: 'torch' }))) : this.via === 'json' ? JSON.parse(JSON.stringify(old.stateDict())) : old.stateDict();
    const fresh = new m.Class(groups, { ...copy(this.defaults), skipNonFinite: m.skipNonFinite });
    fresh.loadStateDict(saved); // replaces every state (Adagrad's constructor-made ones too) and the groups
    old.dispose();
    r.opt = fresh;
    m.skippedSteps = 0;
    m.defaults = copy(this.defaults); // what the next lazily made state starts from (Adagrad's sum)
    checkAll(m, r);
  }
  toString = () => `reload(${this.via}, ${JSON.stringify(this.defaults)})`;
}

/** Disposes the optimizer and, optionally, builds a new one over the live parameters (fresh state). */
class Rebuild implements Cmd {
  constructor(readonly recreate: boolean, readonly hyper: Hyper, readonly split: number) {}
  check = (m: Readonly<Model>) => m.groups !== undefined || this.recreate;
  run(m: Model, r: Real): void {
    r.opt?.dispose();
    r.opt = undefined;
    for (const p of m.params) {
      p.shadow?.dispose();
      p.shadow = undefined;
    }
    m.groups = undefined;
    m.skippedSteps = 0;
    const live = m.params.map((_, i) => i).filter((i) => !m.params[i].disposed);
    if (this.recreate && live.length > 0) {
      const cut = this.split % (live.length + 1);
      const groups = [live.slice(0, cut), live.slice(cut)].filter((g) => g.length > 0);
      r.opt = new m.Class(
        groups.map((g) => ({ params: g.map((i) => r.params[i]) })),
        { ...copy(this.hyper), skipNonFinite: m.skipNonFinite },
      );
      freshOptimizer(m, groups.map((g) => ({ hyper: this.hyper, params: g })), this.hyper);
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
    r.params[i].dispose();
    m.params[i].disposed = true;
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

/** A bad call: a live group given an lr the rule refuses, then step(); must throw and change nothing. */
class BadStep implements Cmd {
  check = (m: Readonly<Model>) => m.groups !== undefined && m.groups.length > 0;
  run(m: Model, r: Real): void {
    const opt = r.opt!;
    const disposed = optParams(m).some((i) => m.params[i].disposed);
    expectRefused(m, r, disposed ? TypeError : RangeError, () => {
      const group = opt.paramGroups[0];
      const lr = group.lr;
      group.lr = -1;
      try {
        opt.step();
      } finally {
        group.lr = lr;
      }
    });
  }
  toString = () => 'badStep(lr -1)';
}

/** Hyperparameters of `Class` that follow every rule: each option from a few values its rule takes. */
function hyperOf(Class: OptimizerClass, forConstructor: boolean): fc.Arbitrary<Hyper> {
  const fields = describeClass(Class).options;
  // SparseAdam's constructor refuses its own lr of 0, as torch's does, though a group's lr may be
  // 0: hyperparameters a constructor also gets as its options leave 0 out for such a class.
  const zeroLrRefused = forConstructor && (() => {
    try {
      new Class([{ params: [] }], { lr: 0 }).dispose();
      return false;
    } catch {
      return true;
    }
  })();
  // Rule numbers as the wasm export numbers optim-core's Rule (crates/optim-wasm/src/spec.rs).
  const taken: Record<number, number[]> = { 0: [0, 1e-3, 0.01, 0.1, 0.9], 1: [0, 0.5, 0.9, 0.999], 2: [-1, 0, 1e-6, 2], 4: [0, 0.5, 0.9, 1], 5: [0.2, 0.5, 0.9], 6: [1.1, 1.5, 2], 7: [0, 1, 5], 9: [0, -0.5, -0.8], 10: [1, 1.5, 4], 12: [1e-8, 1e-3, 0.1] };
  // Rule 11 (a number >= 0 or null, torch's None: Adafactor's eps[0]).
  const orNone = fc.constantFrom<number | null>(null, 0, 1e-30, 1e-3);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    if (f.fixed) continue;
    if (f.kind === 'flag') record[f.name] = fc.boolean();
    else if (f.kind === 'tuple') record[f.name] = fc.tuple(...f.rules.map((rule): fc.Arbitrary<number | null> => (rule === 11 ? orNone : fc.constantFrom(...taken[rule]))));
    else if (f.kind === 'choice') record[f.name] = fc.constantFrom(...f.choices);
    else record[f.name] = fc.constantFrom(...taken[f.rules[0]]);
  }
  if (zeroLrRefused) record.lr = record.lr.filter((lr) => lr !== 0);
  // SGD's rule across fields: nesterov only with momentum > 0 and no dampening (Muon has no such rule).
  return fc.record(record).map((h) => ('dampening' in h && h.nesterov && !((h.momentum as number) > 0 && h.dampening === 0) ? { ...h, nesterov: false } : h));
}

const value = fc.integer({ min: -1024, max: 1024 }).map((k) => k / 64);
const values = (length: number) => fc.array(value, { minLength: length, maxLength: length });
const pick = fc.nat({ max: 1000 });

function commandsFor(Class: OptimizerClass) {
  const hyper = hyperOf(Class, false); // set on a group (a scheduler's way)
  const constructed = hyperOf(Class, true); // also a constructor's options
  return [
    fc.integer({ min: 1, max: 37 }).chain((n) => values(n)).map((v) => new NewParam(v)),
    fc.tuple(pick, values(8), fc.option(fc.constantFrom(NaN, Infinity, -Infinity), { freq: 4 })).map(([w, g, p]) => new SetGrad(w, g, p)),
    fc.tuple(pick, values(8)).map(([w, g]) => new SetGrad(w, g, null)),
    pick.map((w) => new SetGrad(w, null, null)),
    fc.tuple(pick, values(8)).map(([w, d]) => new SetData(w, d)),
    fc.option(fc.boolean(), { freq: 3 }).map((g) => new Step(g)),
    fc.option(fc.boolean(), { freq: 3 }).map((g) => new Step(g)),
    fc.option(fc.boolean(), { freq: 3 }).map((g) => new Step(g)),
    fc.tuple(pick, hyper).map(([g, h]) => new SetHyper(g, h)),
    constructed.map((h) => new AddGroup(h)),
    fc.tuple(fc.constantFrom('lucid', 'json', 'torch') as fc.Arbitrary<'lucid' | 'json' | 'torch'>, constructed).map(([via, h]) => new Reload(via, h)),
    fc.tuple(fc.boolean(), constructed, pick).map(([c, h, s]) => new Rebuild(c, h, s)),
    pick.map((w) => new DisposeParam(w)),
    fc.integer({ min: 1 << 16, max: 1 << 20 }).map((n) => new Grow(n)),
    fc.constant(new BadStep()),
  ];
}

describe.each(CLASSES)('%s: random operation sequences against its one-parameter shadows', (name, Class) => {
  test(`${RUNS} sequences of up to 50 operations per seed`, () => {
    const sparse = takesSparseGrads(Class);
    const eager = (() => {
      const p = new Parameter(1, { shape: [1, 1] });
      const probe = new Class([{ params: [p] }]);
      const has = Object.keys(probe.stateDict().state).length > 0; // Adagrad makes state in its constructor
      probe.dispose();
      p.dispose();
      return has;
    })();
    // The parameter registry keeps the capacity of its highest count of live parameters: reach a count
    // no sequence exceeds (50 operations, each parameter and its twin) first, so that what a
    // sequence leaves allocated is exactly what it leaked.
    Array.from({ length: 160 }, () => new Parameter(1)).forEach((p) => p.dispose());
    let operations = 0;
    checkSeeds(
      'test/e2e/fuzz/every-algorithm-fuzz.test.ts',
      fc.property(fc.commands(commandsFor(Class), { maxCommands: 50, size: 'max' }), (cmds) => {
        const model: Model = { Class, eager, sparse, params: [], groups: undefined, defaults: {}, skipNonFinite: false, skippedSteps: 0 };
        const real: Real = { params: [], opt: undefined };
        const baseline = memoryStats().allocatedBytes;
        try {
          fc.modelRun(() => ({ model, real }), [...cmds].map((c) => ({ check: (m: Readonly<Model>) => c.check(m), run: (m: Model, r: Real) => (operations++, c.run(m, r)), toString: () => c.toString() })));
        } finally {
          real.opt?.dispose();
          real.params.forEach((p) => p.dispose());
          for (const p of model.params) {
            p.shadow?.dispose();
            p.twin.dispose();
          }
        }
        expect(memoryStats().allocatedBytes).toBe(baseline);
      }),
      RUNS,
    );
    console.log(`${name}: ${RUNS * fuzzSeeds().length} sequences, ${operations} operations, each checked against the shadows`);
  });
});
