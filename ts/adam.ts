import { describe, typeError, rangeError } from './errors.js';
import {
  DEFAULTS,
  collectParams,
  hyperparameterError,
  resolveHyperparameters,
  type GroupOptions,
  type Hyperparameters,
  type ParamGroup,
  type ParamGroupInput,
} from './param-group.js';
import { Parameter } from './parameter.js';
import { checkStateDict, checkStateDictOptions, type ParamState, type StateDict } from './state-dict.js';
import { checkTorchStateDict, toTorchStateDict, type StateDictOptions, type TorchStateDict } from './torch/state-dict.js';
import { checkBoolean, checkInteger } from './validate.js';
import { ErrorKind, HyperField, RawAdam, StateBuffer, StepOutcome, copyIfIn, outOfMemoryMessage, rustError, wasmLimits, wasmMemory, type RustError } from './wasm.js';

/** What {@link AdamOptions.onNonFinite} receives when the guard skips a step. */
export interface NonFiniteEvent {
  /** The first parameter (in group order) whose gradient holds a NaN or an infinity. */
  param: Parameter;
  /** Its index across groups, as in `stateDict().state`. */
  index: number;
  /** Steps skipped so far by this optimizer, this one included ({@link Adam.skippedSteps}). */
  skippedSteps: number;
}

/**
 * Adam's options: defaults for every group's hyperparameters, and two options of the optimizer
 * as a whole (not per group): the non-finite gradient guard.
 */
export interface AdamOptions extends GroupOptions {
  /**
   * Check every gradient before each step and, if any holds a NaN or an infinity, skip the
   * whole step, changing nothing (as PyTorch's AMP `GradScaler.step` skips `optimizer.step()`
   * when it finds infs or NaNs). Default `false`: like `torch.optim.Adam`, non-finite gradients
   * then flow into the weights and the moments. See {@link Adam.skipNonFinite}.
   */
  skipNonFinite?: boolean;
  /** Called after each step the guard skipped; requires `skipNonFinite: true`. */
  onNonFinite?: (event: NonFiniteEvent) => void;
}

type NonFiniteCallback = (event: NonFiniteEvent) => void;

/**
 * Each group's parameters, behind one `params` getter shared by every group (one getter function,
 * so that every group keeps one V8 shape): the list is replaced, frozen, when
 * {@link Adam.addParams} extends it, and users cannot reassign it.
 */
const groupParams = new WeakMap<object, readonly Parameter[]>();
function paramsOf(this: object): readonly Parameter[] {
  return groupParams.get(this)!;
}
function refuseParams(this: object, value: unknown): never {
  throw new TypeError(`Cannot assign to read only property 'params' of a param group, got ${describe(value)}; use addParams(params, group) to add parameters`);
}

/**
 * @internal What tells {@link Adam} and `AdamW` apart: the name their errors start with, their
 * groups' defaults, and whether decoupled weight decay is fixed on (torch's `AdamW` has no
 * `decoupled_weight_decay` argument, and its `__setstate__` sets it on every loaded group).
 */
export interface Flavor {
  readonly name: string;
  readonly defaults: Readonly<Hyperparameters>;
  readonly alwaysDecoupled: boolean;
}

/** Where each method's errors say they come from (`Adam.step`, `AdamW.step`): built once, so that a step builds no string. */
function methodNames(name: string) {
  const method = (m: string) => `${name}.${m}`;
  return Object.freeze({
    constructor: name,
    addParamGroup: method('addParamGroup'),
    addParams: method('addParams'),
    zeroGrad: method('zeroGrad'),
    step: method('step'),
    skipNonFinite: method('skipNonFinite'),
    onNonFinite: method('onNonFinite'),
    stateDict: method('stateDict'),
    loadStateDict: method('loadStateDict'),
    useReferenceKernel: method('_useReferenceKernel'),
  });
}

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
  /** @internal Adam's flavor; `AdamW` has its own, and the constructor reads the one of the class it builds. */
  static readonly flavor: Flavor = Object.freeze({ name: 'Adam', defaults: DEFAULTS, alwaysDecoupled: false });

  /** The defaults new groups take their missing options from. */
  readonly defaults: Readonly<Hyperparameters>;
  /** The parameter groups; change hyperparameters here between steps. */
  readonly paramGroups: ParamGroup[] = [];
  #raw: RawAdam | undefined;
  #params: Parameter[] = [];
  /** The parameters of every group, to refuse a parameter a second time. */
  #taken = new Set<Parameter>();
  #groupSizes: number[] = [];
  #hyperTable: Float64Array | undefined;
  #hyperPtr = 0;
  #rowLen: number;
  #skipNonFinite = false;
  #onNonFinite: NonFiniteCallback | undefined;
  #skippedSteps = 0;
  #lastStepSkipped = false;
  #flavor: Flavor;
  #where: ReturnType<typeof methodNames>;

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group, and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput>, options: AdamOptions = {}) {
    const flavor = (new.target as typeof Adam).flavor;
    this.#flavor = flavor;
    this.#where = methodNames(flavor.name);
    const where = this.#where.constructor;
    this.#rowLen = wasmLimits(where).hyperRowLen;
    const { groupOptions, skipNonFinite, onNonFinite } = splitOptions(where, options);
    if (flavor.alwaysDecoupled && groupOptions !== null && typeof groupOptions === 'object' && 'decoupledWeightDecay' in groupOptions) {
      // torch.optim.AdamW has no decoupled_weight_decay argument: passing one is a TypeError there too.
      const value = (groupOptions as GroupOptions).decoupledWeightDecay;
      throw typeError(where, 'decoupledWeightDecay', `absent (${where} always decouples weight decay; use Adam for L2 weight decay)`, value);
    }
    this.defaults = Object.freeze(resolveHyperparameters(where, '', groupOptions, flavor.defaults, false));
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw typeError(where, 'params', 'an iterable of Parameters or of param groups', params);
    }
    const items = [...(params as Iterable<unknown>)];
    // torch refuses an empty list ("optimizer got an empty parameter list") but takes groups with
    // no parameters (`[{ params: [] }]`), to be extended later (addParams).
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
      groups.forEach((group) => this.#add(where, group));
    } catch (error) {
      this.#raw.free();
      this.#raw = undefined;
      throw error;
    }
  }

  /**
   * Adds a group; its missing options come from {@link Adam.defaults}. Its `params` may be empty
   * (as in torch), to be extended with {@link Adam.addParams}.
   */
  addParamGroup(group: ParamGroupInput): void {
    const where = this.#where.addParamGroup;
    this.#live(where);
    const checked = this.#checkGroup(where, 'group', group, this.#taken, false);
    this.#add(where, checked); // checks again that reading the group did not dispose the optimizer
  }

  /**
   * Appends `params` to group `group` (default 0), as PyTorch's
   * `optimizer.param_groups[group]['params'].extend(params)`. They take that group's
   * hyperparameters (a scheduler setting `paramGroups[group].lr` governs them too) and start with
   * no state, as parameters given to the constructor do: their first step with a gradient creates
   * it (step count 1). `paramGroups[group].params` lists them afterwards (a new frozen array).
   *
   * Parameters are numbered by position across groups, as in torch's `state_dict()`: adding to a
   * group moves every parameter of the later groups up in the next {@link Adam.stateDict}'s
   * numbering, exactly as torch numbers them after `.extend`.
   *
   * All or nothing: throws, adding none of them, if `params` is not an iterable of live
   * Parameters, holds one twice or one already in this optimizer (any group) (`TypeError`s), if
   * `group` is not an integer in `[0, paramGroups.length)`, or if WebAssembly memory cannot hold
   * the bookkeeping (`RangeError`s).
   *
   * @example
   * ```ts
   * const opt = new AdamW([{ params: [] }], { lr: 1e-3 }); // an empty group, as torch allows
   * const sched = new CosineAnnealingLR(opt, { tMax: 100 });
   * const w = new Parameter([1, 2, 3]);
   * opt.addParams([w]);   // scheduled from its first step on
   * ```
   */
  addParams(params: Iterable<Parameter>, group = 0): void {
    const where = this.#where.addParams;
    this.#live(where);
    checkInteger(where, 'group', group, 0, this.paramGroups.length - 1);
    // Iterating `params` may run code (a generator) that adds parameters or disposes: `#taken`
    // is live, and collectParams checks only once it has iterated.
    const list = collectParams(where, 'params', params, this.#taken);
    const raw = this.#live(where);
    list.forEach((p, i) => {
      // Room for all of them comes with the first: if memory refuses it, none was added. After
      // it, none can fail (group checked above, groups never removed).
      try {
        raw.addParam(p.raw, group, i === 0 ? list.length : 0);
      } catch (error) {
        throw new RangeError(`${where}: cannot add ${list.length} parameters: ${outOfMemoryMessage(rustError(error))}`);
      }
    });
    let end = 0;
    for (let g = 0; g <= group; g++) end += this.#groupSizes[g];
    this.#params = [...this.#params.slice(0, end), ...list, ...this.#params.slice(end)];
    this.#groupSizes[group] += list.length;
    const owner = this.paramGroups[group];
    groupParams.set(owner, Object.freeze([...groupParams.get(owner)!, ...list]));
    for (const p of list) this.#taken.add(p);
  }

  /** Clears (default) or zero-fills every parameter's gradient; see {@link Parameter.zeroGrad}. */
  zeroGrad(setToNone = true): void {
    const where = this.#where.zeroGrad;
    this.#live(where);
    if (typeof setToNone !== 'boolean') throw typeError(where, 'setToNone', 'a boolean', setToNone);
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
    const where = this.#where.step;
    this.#live(where);
    if (closure !== undefined && typeof closure !== 'function') throw typeError(where, 'closure', 'a function', closure);
    const result = closure?.();
    // The closure may have disposed the optimizer or a parameter: check again, after it.
    this.#live(where);
    this.#assertParamsLive(where);
    this.#writeHyperparameters(where);
    // Reading the groups may have run code (a getter) that disposed the optimizer; a disposed
    // parameter Rust refuses itself.
    const raw = this.#live(where);
    // A plain number comes back (an error object only on failure): the step allocates nothing.
    const outcome = raw.step(this.#skipNonFinite);
    if (outcome === StepOutcome.Failed) throw this.#stepError(where, rustError(raw.takeError()));
    this.#lastStepSkipped = outcome === StepOutcome.Skipped;
    if (outcome === StepOutcome.Skipped) {
      this.#skippedSteps++;
      const index = raw.skippedParam!;
      this.#onNonFinite?.({ param: this.#params[index], index, skippedSteps: this.#skippedSteps });
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
    this.#skipNonFinite = checkBoolean(this.#where.skipNonFinite, 'skipNonFinite', on);
  }

  /** Called after each step {@link Adam.skipNonFinite} skipped (exceptions propagate from `step`). */
  get onNonFinite(): NonFiniteCallback | undefined {
    return this.#onNonFinite;
  }

  set onNonFinite(callback: NonFiniteCallback | undefined) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw typeError(this.#where.onNonFinite, 'onNonFinite', 'a function or undefined', callback);
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
   * paramGroups: [{ lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay, params: number[] }] }`.
   * Buffers are `Float32Array` copies, never views into WebAssembly memory. In a group with
   * AMSGrad on, every state has `maxExpAvgSq` (zeros if AMSGrad was switched on since the
   * parameter's last step: the buffer its next step starts from), so the result always loads back.
   *
   * With `{ format: 'torch' }`, the same in PyTorch's own shape, ready for {@link saveTorch}: what
   * torch's `optimizer.state_dict()` holds for `torch.optim.Adam` / `AdamW` (see
   * {@link TorchStateDict}): Maps, snake_case keys (`weight_decay`, `exp_avg_sq`, extra keys too:
   * `initialLr` -> `initial_lr`), integer state keys, `step` as a 0-d float32 tensor, moments as
   * float32 tensors of the parameter's `shape`, and torch's own flags at their defaults (`foreach:
   * null, capturable: false, differentiable: false, fused: null`: the single-tensor path on CPU,
   * which is what lucid-optim computes).
   *
   * @example
   * ```ts
   * writeFileSync('opt.pt', saveTorch(opt.stateDict({ format: 'torch' })));
   * // python: optimizer.load_state_dict(torch.load('opt.pt', weights_only=True))
   * ```
   */
  stateDict(options?: { format?: 'lucid' }): StateDict;
  stateDict(options: { format: 'torch' }): TorchStateDict;
  stateDict(options?: StateDictOptions): StateDict | TorchStateDict;
  stateDict(options: StateDictOptions = {}): StateDict | TorchStateDict {
    const where = this.#where.stateDict;
    this.#live(where);
    const format = checkStateDictOptions(where, options);
    const plain = this.#plainStateDict(where);
    return format === 'torch' ? toTorchStateDict(where, plain, this.#params.map((p) => p.shape)) : plain;
  }

  #plainStateDict(where: string): StateDict {
    // Copy the groups first: reading them may run code (a getter) that disposes the optimizer.
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...rest } = group;
      return { ...rest, betas: [group.betas[0], group.betas[1]] as [number, number], params: params.map(() => next++) };
    });
    const raw = this.#live(where);
    const memory = wasmMemory(where);
    const state: Record<number, ParamState> = {};
    let index = 0;
    for (const [g, group] of this.paramGroups.entries()) {
      for (const p of group.params) {
        const i = index++;
        const step = raw.stateStep(i);
        if (step === undefined) continue;
        const copy = (ptr: number) => new Float32Array(memory.buffer, ptr, p.length).slice();
        const entry: ParamState = { step, expAvg: copy(raw.statePtr(i, StateBuffer.ExpAvg)), expAvgSq: copy(raw.statePtr(i, StateBuffer.ExpAvgSq)) };
        const maxPtr = raw.statePtr(i, StateBuffer.MaxExpAvgSq);
        if (maxPtr !== 0) entry.maxExpAvgSq = copy(maxPtr);
        // AMSGrad switched on since this parameter's last step: its buffer is created, as zeros, at
        // the next step. Save those zeros, so that the dict is complete and loads back.
        else if (paramGroups[g].amsgrad === true) entry.maxExpAvgSq = new Float32Array(p.length);
        state[i] = entry;
      }
    }
    return { state, paramGroups };
  }

  /**
   * Replaces the optimizer's state and hyperparameters with a saved `stateDict`. Validates
   * everything first (group count and sizes, buffer lengths and types, step counts); on any
   * error nothing changes. Parameters absent from `stateDict.state` start fresh, as in PyTorch.
   * Buffers may be `Float32Array`s or plain number arrays (as JSON gives them back); other typed
   * arrays are refused (a `Float64Array` would silently lose precision).
   *
   * As in torch, the saved groups replace the current ones, `decoupledWeightDecay` included: a dict
   * saved by `AdamW` makes an `Adam` decouple its weight decay, one saved by
   * `Adam({ decoupledWeightDecay: true })` loads into `AdamW` as it is. `AdamW` sets
   * `decoupledWeightDecay: true` on every group it loads (torch's `AdamW.__setstate__`), and a group
   * saved without `decoupledWeightDecay` (before it existed) loads with `false` into `Adam`.
   *
   * Also takes PyTorch's own shape, as {@link loadTorch} returns what `torch.save(opt.state_dict())`
   * wrote (a Map: see {@link TorchStateDict}), with the same checks in torch's words. Its moments must
   * be float32 tensors of the parameter's `shape` (give each Parameter its torch shape), its `step`
   * a 0-d tensor or a number. As torch's `__setstate__` does, groups without `amsgrad`, `maximize` or
   * `decoupled_weight_decay` take `false`. Extra group keys are kept in camelCase (`initial_lr` ->
   * `initialLr`); torch's flags `foreach`, `capturable`, `differentiable` and `fused` say how torch
   * ran the same Adam, not what it computes: they must hold a value torch allows and are then
   * dropped (lucid-optim computes the single-tensor path whatever they say).
   *
   * @example
   * ```ts
   * opt.loadStateDict(loadTorch(readFileSync('opt.pt'))); // python: torch.save(optimizer.state_dict(), 'opt.pt')
   * ```
   */
  loadStateDict(stateDict: StateDict | TorchStateDict): void;
  /** What {@link loadTorch} returns (`unknown` to TypeScript): checked at run time, as the others. */
  loadStateDict(stateDict: unknown): void;
  loadStateDict(stateDict: unknown): void {
    const where = this.#where.loadStateDict;
    this.#live(where);
    this.#assertParamsLive(where);
    const checked =
      stateDict instanceof Map
        ? checkTorchStateDict(where, stateDict, this.#groupSizes, this.#params.map((p) => p.shape))
        : checkStateDict(where, stateDict, this.#groupSizes, this.#params.map((p) => p.length));
    // Reading the dict may have run code (getters) that disposed the optimizer or a parameter.
    const raw = this.#live(where);
    this.#assertParamsLive(where);
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
      throw this.#rustError(where, rustError(error), 'the loaded state');
    }
    // Allocation is over: memory cannot grow while copying, so the views stay valid.
    for (const s of checked.states) {
      const [expAvg, expAvgSq, maxExpAvgSq] = [StateBuffer.ExpAvg, StateBuffer.ExpAvgSq, StateBuffer.MaxExpAvgSq].map((b) => raw.stagedPtr(s.index, b));
      const length = this.#params[s.index].length;
      new Float32Array(memory.buffer, expAvg, length).set(s.expAvg);
      new Float32Array(memory.buffer, expAvgSq, length).set(s.expAvgSq);
      if (s.maxExpAvgSq !== undefined) new Float32Array(memory.buffer, maxExpAvgSq, length).set(s.maxExpAvgSq);
    }
    raw.commitStaged();
    checked.groups.forEach((saved, g) => {
      const group = this.paramGroups[g];
      // Overwrite in place (deleting a property would turn the group into a slow dictionary);
      // only keys the saved group does not have are deleted.
      for (const key of Object.keys(group)) if (key !== 'params' && !(key in saved)) delete group[key];
      Object.assign(group, saved);
      if (this.#flavor.alwaysDecoupled) group.decoupledWeightDecay = true;
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
    this.#live(this.#where.useReferenceKernel).setReferenceKernel(on === true);
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

  /** The error for a failed step: Rust says what kind, and which group, field or parameter. */
  #stepError(where: string, error: RustError): Error {
    if (error.kind === ErrorKind.Hyperparameter) {
      return hyperparameterError(where, `paramGroups[${error.group!}].`, error.field!, error.rule!, error.value);
    }
    return this.#rustError(where, error, 'its optimizer state');
  }

  /** The error for a failure inside WebAssembly concerning a parameter (or bookkeeping). */
  #rustError(where: string, error: RustError, what: string): Error {
    const index = error.param;
    const p = index === undefined ? undefined : this.#params[index];
    const subject = p === undefined ? 'bookkeeping' : `parameter ${index} (${p.label}`;
    switch (error.kind) {
      case ErrorKind.Disposed:
        return new TypeError(`${where}: ${subject}) was disposed`);
      case ErrorKind.StepLimit: {
        const max = wasmLimits(where).maxStep;
        return new RangeError(`${where}: ${subject}) has taken ${describe(error.value)} steps, the most a state can count (${max}, 2^53 - 1); nothing was changed`);
      }
      case ErrorKind.OutOfMemory: {
        const allocation = p === undefined ? subject : `${what} for ${subject}, ${p.length} elements)`;
        return new RangeError(`${where}: cannot allocate ${allocation}: ${outOfMemoryMessage(error)}`);
      }
      default:
        return new Error(`${where}: unexpected error from WebAssembly (kind ${error.kind}, value ${error.value})`);
    }
  }

  #checkGroup(where: string, field: string, input: unknown, taken: ReadonlySet<Parameter>, plain: boolean): ParamGroup {
    if (input instanceof Parameter) throw typeError(where, field, 'a param group { params, ...options }', input);
    const { lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay, ...extra } = resolveHyperparameters(
      where,
      `${field}.`,
      input,
      this.defaults,
      true,
    );
    if (this.#flavor.alwaysDecoupled && !decoupledWeightDecay) {
      throw typeError(where, `${field}.decoupledWeightDecay`, `true (${this.#flavor.name} always decouples weight decay; use Adam for L2 weight decay)`, decoupledWeightDecay);
    }
    const params = collectParams(where, plain ? field : `${field}.params`, (input as ParamGroupInput).params, taken);
    // One object literal, keys always in this order, so that every group shares one V8 shape and
    // reading them at every step stays fast (a copy made by spreading gets a shape of its own:
    // with 3,000 groups that cost 1.3 µs per group and step).
    const group = { lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } as ParamGroup;
    // Read-only: the optimizer's own list is what steps, so reassigning it would only lie.
    groupParams.set(group, Object.freeze(params));
    Object.defineProperty(group, 'params', { get: paramsOf, set: refuseParams, enumerable: true, configurable: false });
    return Object.assign(group, extra);
  }

  #add(where: string, group: ParamGroup): void {
    const raw = this.#live(where);
    for (const [i, p] of group.params.entries()) {
      if (p.disposed) throw new TypeError(`${where}: params[${i}] (${p.label}) was disposed`);
    }
    let g: number;
    try {
      g = raw.addGroup(group.params.length);
    } catch (error) {
      throw new RangeError(`${where}: cannot add a group: ${outOfMemoryMessage(rustError(error))}`);
    }
    // addGroup made room for every parameter: addParam cannot fail now.
    for (const p of group.params) raw.addParam(p.raw, g, 0);
    this.#hyperPtr = raw.hyperPtr();
    this.#hyperTable = undefined;
    this.paramGroups.push(group);
    this.#params.push(...group.params);
    for (const p of group.params) this.#taken.add(p);
    this.#groupSizes.push(group.params.length);
  }

  /**
   * Writes every group's hyperparameters into the table in WebAssembly memory, checking their
   * JavaScript types on the way (their ranges are checked by Rust, in the step). One read of each
   * property per group and step: this runs at every step, for every group.
   */
  #writeHyperparameters(where: string): void {
    const groups = this.paramGroups;
    const memory = wasmMemory(where);
    const stride = this.#rowLen;
    if (this.#hyperTable?.buffer !== memory.buffer) {
      this.#hyperTable = new Float64Array(memory.buffer, this.#hyperPtr, groups.length * stride);
    }
    const table = this.#hyperTable;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g];
      const lr = group.lr;
      const betas = group.betas;
      const eps = group.eps;
      const weightDecay = group.weightDecay;
      const amsgrad = group.amsgrad;
      const maximize = group.maximize;
      const decoupledWeightDecay = group.decoupledWeightDecay;
      if (!Array.isArray(betas) || betas.length !== 2) this.#explainGroup(where, g);
      // Read into locals straight from the array (not merged with another type), so that V8 keeps
      // them unboxed: a step allocates nothing.
      const beta1 = betas[0];
      const beta2 = betas[1];
      if (
        typeof lr !== 'number' ||
        typeof beta1 !== 'number' ||
        typeof beta2 !== 'number' ||
        typeof eps !== 'number' ||
        typeof weightDecay !== 'number' ||
        typeof amsgrad !== 'boolean' ||
        typeof maximize !== 'boolean' ||
        typeof decoupledWeightDecay !== 'boolean'
      ) {
        this.#explainGroup(where, g);
      }
      const row = g * stride;
      table[row + HyperField.Lr] = lr;
      table[row + HyperField.Beta1] = beta1;
      table[row + HyperField.Beta2] = beta2;
      table[row + HyperField.Eps] = eps;
      table[row + HyperField.WeightDecay] = weightDecay;
      table[row + HyperField.Amsgrad] = amsgrad ? 1 : 0;
      table[row + HyperField.Maximize] = maximize ? 1 : 0;
      table[row + HyperField.DecoupledWeightDecay] = decoupledWeightDecay ? 1 : 0;
    }
  }

  /** Throws the TypeError (or RangeError) that says what is wrong with group `g`'s types. */
  #explainGroup(where: string, g: number): never {
    // The full check builds strings and objects: run it only to explain a failure.
    resolveHyperparameters(where, `paramGroups[${g}].`, this.paramGroups[g], null, true);
    throw new TypeError(`${where}: paramGroups[${g}] changed while it was being read`);
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
