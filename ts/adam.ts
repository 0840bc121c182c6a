import { typeError, rangeError } from './errors.js';
import {
  DEFAULTS,
  collectParams,
  resolveHyperparameters,
  type AdamOptions,
  type Hyperparameters,
  type ParamGroup,
  type ParamGroupInput,
} from './param-group.js';
import { Parameter } from './parameter.js';
import { checkStateDict, type ParamState, type StateDict } from './state-dict.js';
import { RawAdam, wasmMemory } from './wasm.js';

/** f64 slots per group in the WebAssembly hyperparameter table (crates/adam-wasm/src/adam.rs). */
const HYPER_STRIDE = 8;

/**
 * Adam, as `torch.optim.Adam` computes it (single-tensor path), stepping every parameter of every
 * group in one WebAssembly call.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Adam.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3]);
 * const opt = new Adam([w], { lr: 0.1 });
 * w.grad = [0.5, -0.5, 0];
 * opt.step();
 * ```
 */
export class Adam {
  /** The defaults new groups take their missing options from. */
  readonly defaults: Readonly<Hyperparameters>;
  /** The parameter groups; change hyperparameters here between steps. */
  readonly paramGroups: ParamGroup[] = [];
  #raw: RawAdam | undefined;
  #params: Parameter[] = [];
  #groupSizes: number[] = [];
  #hyperTable: Float64Array | undefined;
  #hyperPtr = 0;

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput>, options: AdamOptions = {}) {
    const where = 'Adam';
    wasmMemory(where);
    this.defaults = Object.freeze(resolveHyperparameters(where, '', options, DEFAULTS, false));
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw typeError(where, 'params', 'an iterable of Parameters or of param groups', params);
    }
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw rangeError(where, 'params', 'non-empty', items);
    const inputs: ParamGroupInput[] = items.every((item) => item instanceof Parameter)
      ? [{ params: items as Parameter[] }]
      : (items as ParamGroupInput[]);
    // Check every group before creating anything, so a bad one leaves nothing half-built.
    const taken = new Set<Parameter>();
    const groups = inputs.map((input, g) => {
      const group = this.#checkGroup(where, `paramGroups[${g}]`, input, taken);
      group.params.forEach((p) => taken.add(p));
      return group;
    });
    this.#raw = new RawAdam();
    groups.forEach((group) => this.#add(group));
  }

  /** Adds a group; its missing options come from {@link Adam.defaults}. */
  addParamGroup(group: ParamGroupInput): void {
    const where = 'Adam.addParamGroup';
    this.#live(where);
    this.#add(this.#checkGroup(where, 'group', group, new Set(this.#params)));
  }

  /** Clears (default) or zero-fills every parameter's gradient; see {@link Parameter.zeroGrad}. */
  zeroGrad(setToNone = true): void {
    this.#live('Adam.zeroGrad');
    if (typeof setToNone !== 'boolean') throw typeError('Adam.zeroGrad', 'setToNone', 'a boolean', setToNone);
    for (const p of this.#params) if (!p.disposed) p.zeroGrad(setToNone);
  }

  /**
   * One Adam step of every parameter that has a gradient; parameters whose `grad` is `null` are
   * skipped entirely (no state, step count unchanged). With a closure, calls it first (to
   * recompute the loss and gradients) and returns its result.
   *
   * Throws, changing nothing, if a group's hyperparameters are invalid or a parameter was disposed.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const where = 'Adam.step';
    const raw = this.#live(where);
    if (closure !== undefined && typeof closure !== 'function') throw typeError(where, 'closure', 'a function', closure);
    const result = closure?.();
    for (let i = 0; i < this.#params.length; i++) {
      if (this.#params[i].disposed) throw new TypeError(`${where}: parameter ${i} (${this.#params[i].label}) was disposed`);
    }
    this.#writeHyperparameters(where);
    try {
      raw.step();
    } catch (error) {
      throw new RangeError(`${where}: ${(error as Error).message}`);
    }
    return result;
  }

  /**
   * A deep copy of the optimizer's state and hyperparameters, shaped like PyTorch's
   * `optimizer.state_dict()`: `{ state: { [index]: { step, expAvg, expAvgSq, maxExpAvgSq? } },
   * paramGroups: [{ lr, betas, eps, weightDecay, amsgrad, maximize, params: number[] }] }`.
   */
  stateDict(): StateDict {
    const raw = this.#live('Adam.stateDict');
    const memory = wasmMemory('Adam.stateDict');
    const state: Record<number, ParamState> = {};
    this.#params.forEach((p, i) => {
      const step = raw.stateStep(i);
      if (step === undefined) return;
      const copy = (ptr: number) => new Float32Array(memory.buffer, ptr, p.length).slice();
      const entry: ParamState = { step, expAvg: copy(raw.expAvgPtr(i)), expAvgSq: copy(raw.expAvgSqPtr(i)) };
      const maxPtr = raw.maxExpAvgSqPtr(i);
      if (maxPtr !== 0) entry.maxExpAvgSq = copy(maxPtr);
      state[i] = entry;
    });
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...rest } = group;
      return { ...rest, betas: [group.betas[0], group.betas[1]] as [number, number], params: params.map(() => next++) };
    });
    return { state, paramGroups };
  }

  /**
   * Replaces the optimizer's state and hyperparameters with a saved `stateDict`. Validates
   * everything first (group count and sizes, buffer lengths and types, step counts); on any
   * error nothing changes. Parameters absent from `stateDict.state` start fresh, as in PyTorch.
   */
  loadStateDict(stateDict: StateDict): void {
    const where = 'Adam.loadStateDict';
    const raw = this.#live(where);
    const checked = checkStateDict(where, stateDict, this.#groupSizes, this.#params.map((p) => p.length));
    try {
      raw.beginStaging();
      for (const s of checked.states) raw.stageState(s.index, s.step, s.maxExpAvgSq !== undefined);
    } catch (error) {
      raw.discardStaged();
      throw new RangeError(`${where}: ${(error as Error).message}`);
    }
    // Allocation is over: memory cannot grow while copying, so the views stay valid.
    const memory = wasmMemory(where);
    for (const s of checked.states) {
      const [expAvg, expAvgSq, maxExpAvgSq] = raw.stagedPtrs(s.index);
      const length = this.#params[s.index].length;
      new Float32Array(memory.buffer, expAvg, length).set(s.expAvg);
      new Float32Array(memory.buffer, expAvgSq, length).set(s.expAvgSq);
      if (s.maxExpAvgSq !== undefined) new Float32Array(memory.buffer, maxExpAvgSq, length).set(s.maxExpAvgSq);
    }
    raw.commitStaged();
    checked.groups.forEach((saved, g) => {
      const group = this.paramGroups[g];
      for (const key of Object.keys(group)) if (key !== 'params') delete group[key];
      Object.assign(group, saved);
    });
  }

  /** Frees the optimizer state now. The parameters stay usable. Calling it twice is harmless. */
  dispose(): void {
    this.#raw?.free();
    this.#raw = undefined;
  }

  /** True once {@link Adam.dispose} has been called. */
  get disposed(): boolean {
    return this.#raw === undefined;
  }

  /**
   * @internal NOT part of the API (stripped from index.d.ts; may change or vanish at any time).
   * Steps with the scalar reference kernel instead of the SIMD one, so that the fidelity suite and
   * report (test/fidelity/, scripts/fidelity.mjs) can measure both kernels through the built package.
   */
  _useReferenceKernel(on: boolean): void {
    this.#live('Adam._useReferenceKernel').setReferenceKernel(on === true);
  }

  #live(where: string): RawAdam {
    if (this.#raw === undefined) throw new TypeError(`${where}: optimizer used after dispose()`);
    return this.#raw;
  }

  #checkGroup(where: string, field: string, input: unknown, taken: ReadonlySet<Parameter>): ParamGroup {
    const hyper = resolveHyperparameters(where, `${field}.`, input, this.defaults, true);
    const params = collectParams(where, `${field}.params`, (input as ParamGroupInput).params, taken);
    return { ...hyper, params: Object.freeze(params) };
  }

  #add(group: ParamGroup): void {
    const raw = this.#raw!;
    raw.addGroup();
    for (const p of group.params) raw.addParam(p.raw);
    this.#hyperPtr = raw.hyperPtr();
    this.#hyperTable = undefined;
    this.paramGroups.push(group);
    this.#params.push(...group.params);
    this.#groupSizes.push(group.params.length);
  }

  /** Validates every group, then writes their hyperparameters into WebAssembly memory. */
  #writeHyperparameters(where: string): void {
    const groups = this.paramGroups;
    for (let g = 0; g < groups.length; g++) {
      // The full check builds strings and objects: run it only to explain a failure.
      if (!isValid(groups[g])) resolveHyperparameters(where, `paramGroups[${g}].`, groups[g], DEFAULTS, true);
    }
    const memory = wasmMemory(where);
    if (this.#hyperTable?.buffer !== memory.buffer) {
      this.#hyperTable = new Float64Array(memory.buffer, this.#hyperPtr, groups.length * HYPER_STRIDE);
    }
    const table = this.#hyperTable;
    for (let g = 0; g < groups.length; g++) {
      const { lr, betas, eps, weightDecay, amsgrad, maximize } = groups[g];
      const row = g * HYPER_STRIDE;
      table[row] = lr;
      table[row + 1] = betas[0];
      table[row + 2] = betas[1];
      table[row + 3] = eps;
      table[row + 4] = weightDecay;
      table[row + 5] = amsgrad ? 1 : 0;
      table[row + 6] = maximize ? 1 : 0;
    }
  }
}

function isNonNegative(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function isBeta(x: unknown): boolean {
  return typeof x === 'number' && x >= 0 && x < 1;
}

/** The allocation-free test behind every step; `resolveHyperparameters` explains failures. */
function isValid(group: ParamGroup): boolean {
  const { betas } = group;
  return (
    isNonNegative(group.lr) &&
    isNonNegative(group.eps) &&
    isNonNegative(group.weightDecay) &&
    Array.isArray(betas) &&
    betas.length === 2 &&
    isBeta(betas[0]) &&
    isBeta(betas[1]) &&
    typeof group.amsgrad === 'boolean' &&
    typeof group.maximize === 'boolean'
  );
}
