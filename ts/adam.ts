import { checkBoolean, copyIfIn, describe, typeError, rangeError } from './errors.js';
import {
  DEFAULTS,
  collectParams,
  resolveHyperparameters,
  type AdamOptions,
  type Hyperparameters,
  type NonFiniteEvent,
  type ParamGroup,
  type ParamGroupInput,
} from './param-group.js';
import { Parameter } from './parameter.js';
import { checkStateDict, type ParamState, type StateDict } from './state-dict.js';
import { RawAdam, outOfMemoryMessage, wasmMemory } from './wasm.js';

/** f64 slots per group in the WebAssembly hyperparameter table (crates/adam-wasm/src/adam.rs). */
const HYPER_STRIDE = 8;

/** What `RawAdam.step` returns when every parameter stepped (crates/adam-wasm/src/adam.rs). */
const STEPPED = -1;
/** What `RawAdam.step` returns when it failed, changing nothing; `throwLastError()` says why. */
const STEP_FAILED = -2;

type NonFiniteCallback = (event: NonFiniteEvent) => void;

/**
 * Adam, as `torch.optim.Adam` computes it (single-tensor path), stepping every parameter of every
 * group in one WebAssembly call.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Adam.dispose} when done (a
 * `FinalizationRegistry` frees it eventually if you forget).
 *
 * Every method either does all of its work or, when it throws, changes nothing: invalid
 * arguments are `TypeError`s or `RangeError`s naming the field and the value, and running out of
 * WebAssembly memory is a `RangeError` too.
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
  #skipNonFinite = false;
  #onNonFinite: NonFiniteCallback | undefined;
  #skippedSteps = 0;
  #lastStepSkipped = false;

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group, and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput>, options: AdamOptions = {}) {
    const where = 'Adam';
    wasmMemory(where);
    const { groupOptions, skipNonFinite, onNonFinite } = splitOptions(where, options);
    this.defaults = Object.freeze(resolveHyperparameters(where, '', groupOptions, DEFAULTS, false));
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw typeError(where, 'params', 'an iterable of Parameters or of param groups', params);
    }
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw rangeError(where, 'params', 'non-empty', items);
    // Check every group before creating anything, so a bad one leaves nothing half-built.
    const groups: ParamGroup[] = [];
    if (items[0] instanceof Parameter) {
      // One group of parameters: errors name `params[i]`.
      groups.push(this.#checkGroup(where, 'params', { params: items as Parameter[] }, new Set(), true));
    } else {
      const taken = new Set<Parameter>();
      items.forEach((input, g) => {
        if (input instanceof Parameter) {
          throw typeError(where, `paramGroups[${g}]`, 'a param group { params, ...options } like paramGroups[0] (not a mix of groups and Parameters)', input);
        }
        const group = this.#checkGroup(where, `paramGroups[${g}]`, input, taken, false);
        group.params.forEach((p) => taken.add(p));
        groups.push(group);
      });
    }
    this.#skipNonFinite = skipNonFinite;
    this.#onNonFinite = onNonFinite;
    this.#raw = new RawAdam();
    try {
      groups.forEach((group) => this.#add('Adam', group));
    } catch (error) {
      this.#raw.free();
      this.#raw = undefined;
      throw error;
    }
  }

  /** Adds a group; its missing options come from {@link Adam.defaults}. */
  addParamGroup(group: ParamGroupInput): void {
    const where = 'Adam.addParamGroup';
    this.#live(where);
    this.#add(where, this.#checkGroup(where, 'group', group, new Set(this.#params), false));
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
   * Non-finite gradients (NaN, ±Infinity) flow into the weights and moments as in PyTorch,
   * unless {@link Adam.skipNonFinite} is on: then a step where any gradient is not finite is
   * skipped whole, changing nothing, and counted in {@link Adam.skippedSteps}.
   *
   * Throws, changing nothing, if a group's hyperparameters are invalid, a parameter was disposed
   * (`TypeError`s), or WebAssembly memory cannot hold new optimizer state (`RangeError`).
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const where = 'Adam.step';
    const raw = this.#live(where);
    if (closure !== undefined && typeof closure !== 'function') throw typeError(where, 'closure', 'a function', closure);
    const result = closure?.();
    this.#assertParamsLive(where);
    this.#writeHyperparameters(where);
    // A plain number comes back (an exception object only on failure): the step allocates nothing.
    const outcome = raw.step(this.#skipNonFinite);
    if (outcome === STEP_FAILED) {
      try {
        raw.throwLastError();
      } catch (error) {
        throw this.#allocationError(where, raw, 'its optimizer state', error);
      }
    }
    this.#lastStepSkipped = outcome !== STEPPED;
    if (outcome !== STEPPED) {
      this.#skippedSteps++;
      this.#onNonFinite?.({ param: this.#params[outcome], index: outcome, skippedSteps: this.#skippedSteps });
    }
    return result;
  }

  /**
   * Whether {@link Adam.step} checks the gradients first and skips the whole step if any holds
   * a NaN or an infinity, as PyTorch's AMP `GradScaler.step` does. Set at construction
   * (`skipNonFinite: true`) or any time between steps. Default `false` (PyTorch's `Adam`:
   * non-finite values propagate). The check reads every gradient once more, in SIMD.
   */
  get skipNonFinite(): boolean {
    return this.#skipNonFinite;
  }

  set skipNonFinite(on: boolean) {
    this.#skipNonFinite = checkBoolean('Adam.skipNonFinite', 'skipNonFinite', on);
  }

  /** Called after each step {@link Adam.skipNonFinite} skipped (exceptions propagate from `step`). */
  get onNonFinite(): NonFiniteCallback | undefined {
    return this.#onNonFinite;
  }

  set onNonFinite(callback: NonFiniteCallback | undefined) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw typeError('Adam.onNonFinite', 'onNonFinite', 'a function or undefined', callback);
    }
    this.#onNonFinite = callback;
  }

  /** How many steps {@link Adam.skipNonFinite} has skipped since construction. */
  get skippedSteps(): number {
    return this.#skippedSteps;
  }

  /** Whether the last {@link Adam.step} that returned was skipped for a non-finite gradient. */
  get lastStepSkipped(): boolean {
    return this.#lastStepSkipped;
  }

  /**
   * A deep copy of the optimizer's state and hyperparameters, shaped like PyTorch's
   * `optimizer.state_dict()`: `{ state: { [index]: { step, expAvg, expAvgSq, maxExpAvgSq? } },
   * paramGroups: [{ lr, betas, eps, weightDecay, amsgrad, maximize, params: number[] }] }`.
   * Buffers are `Float32Array` copies, never views into WebAssembly memory. In a group with
   * AMSGrad on, every state has `maxExpAvgSq` (zeros if AMSGrad was switched on since the
   * parameter's last step: the buffer its next step starts from), so the result always loads back.
   */
  stateDict(): StateDict {
    const raw = this.#live('Adam.stateDict');
    const memory = wasmMemory('Adam.stateDict');
    const state: Record<number, ParamState> = {};
    let index = 0;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const i = index++;
        const step = raw.stateStep(i);
        if (step === undefined) continue;
        const copy = (ptr: number) => new Float32Array(memory.buffer, ptr, p.length).slice();
        const entry: ParamState = { step, expAvg: copy(raw.expAvgPtr(i)), expAvgSq: copy(raw.expAvgSqPtr(i)) };
        const maxPtr = raw.maxExpAvgSqPtr(i);
        if (maxPtr !== 0) entry.maxExpAvgSq = copy(maxPtr);
        // AMSGrad switched on since this parameter's last step: its buffer is created, as zeros, at
        // the next step. Save those zeros, so that the dict is complete and loads back.
        else if (group.amsgrad === true) entry.maxExpAvgSq = new Float32Array(p.length);
        state[i] = entry;
      }
    }
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
   * Buffers may be `Float32Array`s or plain number arrays (as JSON gives them back); other typed
   * arrays are refused (a `Float64Array` would silently lose precision).
   */
  loadStateDict(stateDict: StateDict): void {
    const where = 'Adam.loadStateDict';
    const raw = this.#live(where);
    this.#assertParamsLive(where);
    const checked = checkStateDict(where, stateDict, this.#groupSizes, this.#params.map((p) => p.length));
    const memory = wasmMemory(where);
    // Staging allocates, which may grow memory and detach buffers that are views into it.
    for (const s of checked.states) {
      s.expAvg = copyIfIn(s.expAvg, memory.buffer);
      s.expAvgSq = copyIfIn(s.expAvgSq, memory.buffer);
      if (s.maxExpAvgSq !== undefined) s.maxExpAvgSq = copyIfIn(s.maxExpAvgSq, memory.buffer);
    }
    try {
      raw.beginStaging();
      for (const s of checked.states) raw.stageState(s.index, s.step, s.maxExpAvgSq !== undefined);
    } catch (error) {
      raw.discardStaged();
      throw this.#allocationError(where, raw, 'the loaded state', error);
    }
    // Allocation is over: memory cannot grow while copying, so the views stay valid.
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

  /**
   * Frees the optimizer state now. The parameters stay usable; any further use of the optimizer
   * throws a `TypeError`. Calling it twice is harmless.
   */
  dispose(): void {
    this.#raw?.free();
    this.#raw = undefined;
    this.#hyperTable = undefined;
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

  #assertParamsLive(where: string): void {
    for (let i = 0; i < this.#params.length; i++) {
      if (this.#params[i].disposed) {
        throw new TypeError(`${where}: parameter ${i} (${this.#params[i].label}) was disposed`);
      }
    }
  }

  /** The error for a failed allocation inside WebAssembly, naming the parameter if there is one. */
  #allocationError(where: string, raw: RawAdam, what: string, error: unknown): Error {
    const index = raw.failedParam;
    const p = index === undefined ? undefined : this.#params[index];
    const subject = p === undefined ? 'bookkeeping' : `${what} for parameter ${index} (${p.label}, ${p.length} elements)`;
    return new RangeError(`${where}: cannot allocate ${subject}: ${outOfMemoryMessage(error)}`);
  }

  #checkGroup(where: string, field: string, input: unknown, taken: ReadonlySet<Parameter>, plain: boolean): ParamGroup {
    if (input instanceof Parameter) throw typeError(where, field, 'a param group { params, ...options }', input);
    const hyper = resolveHyperparameters(where, `${field}.`, input, this.defaults, true);
    const params = collectParams(where, plain ? field : `${field}.params`, (input as ParamGroupInput).params, taken);
    const group = { ...hyper } as ParamGroup;
    // Not writable: the optimizer's own list is what steps, so reassigning it would only lie.
    Object.defineProperty(group, 'params', { value: Object.freeze(params), enumerable: true, writable: false, configurable: false });
    return group;
  }

  #add(where: string, group: ParamGroup): void {
    const raw = this.#raw!;
    try {
      raw.addGroup(group.params.length);
    } catch (error) {
      throw new RangeError(`${where}: cannot add a group: ${outOfMemoryMessage(error)}`);
    }
    // addGroup made room for every parameter: addParam cannot fail now.
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
      if (!isValid(groups[g])) resolveHyperparameters(where, `paramGroups[${g}].`, groups[g], null, true);
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

/** Separates the optimizer's own options from the group defaults, validating the former. */
function splitOptions(
  where: string,
  options: unknown,
): { groupOptions: unknown; skipNonFinite: boolean; onNonFinite: NonFiniteCallback | undefined } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return { groupOptions: options, skipNonFinite: false, onNonFinite: undefined }; // refused by resolveHyperparameters
  }
  const { skipNonFinite = false, onNonFinite, ...groupOptions } = options as AdamOptions;
  checkBoolean(where, 'skipNonFinite', skipNonFinite);
  if (onNonFinite !== undefined) {
    if (typeof onNonFinite !== 'function') throw typeError(where, 'onNonFinite', 'a function', onNonFinite);
    if (!skipNonFinite) {
      throw new TypeError(`${where}: onNonFinite is only called when skipNonFinite is true, got skipNonFinite: ${describe(skipNonFinite)}`);
    }
  }
  return { groupOptions, skipNonFinite, onNonFinite };
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
