// The optimizer engine, as `torch.optim.Optimizer` is: param groups, `addParamGroup`, `addParams`,
// `zeroGrad`, `step`, `stateDict`, `loadStateDict`, `dispose`, for any algorithm. What an algorithm
// is comes from its spec (spec.ts, read from Rust); each algorithm's class (adam.ts, sgd.ts, ...)
// only names its algorithm and its option types.

import { describe, disposedError, rangeError, typeError, usedAfterDispose } from '../runtime/errors.js';
import { _terminateWorker, checkThreads } from '../runtime/threads.js';
import { checkBoolean, checkInteger } from '../runtime/validate.js';
import {
  ErrorKind,
  Extent,
  RawOptimizer,
  StepOutcome,
  buffersInUse,
  checkRow,
  copyIfIn,
  outOfMemoryMessage,
  rustError,
  wasmLimits,
  wasmMemory,
  type RustError,
} from '../runtime/wasm.js';
import { Parameter } from '../nn/parameter.js';
import { checkTorchStateDict, toTorchStateDict, type StateDictOptions, type TorchStateDict } from '../torch/optimizer-state-dict.js';
import { collectParams, notAMatrix, resolveGroup, rowError, type GroupRules, type ParamGroup, type ParamGroupInput } from './param-groups.js';
import { bufferLength, specOf, writeRow, type AlgorithmSpec } from './spec.js';
import { checkStateDict, checkStateDictOptions, savedBuffer, type StateDict } from './state-dict.js';

/** What {@link OptimizerOptions.onNonFinite} receives when the guard skips a step. */
export interface NonFiniteEvent {
  /** The first parameter (in group order) whose gradient holds a NaN or an infinity. */
  param: Parameter;
  /** Its index across groups, as in `stateDict().state`. */
  index: number;
  /** Steps skipped so far by this optimizer, this one included ({@link Optimizer.skippedSteps}). */
  skippedSteps: number;
}

/** The options of an optimizer as a whole (not per group): the non-finite gradient guard. */
export interface OptimizerOptions {
  /**
   * Check every gradient before each step and, if any holds a NaN or an infinity, skip the
   * whole step, changing nothing (as PyTorch's AMP `GradScaler.step` skips `optimizer.step()`
   * when it finds infs or NaNs). Default `false`: like torch's optimizers, non-finite gradients
   * then flow into the weights and the state. See {@link Optimizer.skipNonFinite}.
   */
  skipNonFinite?: boolean;
  /** Called after each step the guard skipped; requires `skipNonFinite: true`. */
  onNonFinite?: (event: NonFiniteEvent) => void;
}

/** What {@link Optimizer.onNonFinite} calls after a step the non-finite guard skipped. */
export type NonFiniteCallback = (event: NonFiniteEvent) => void;

/**
 * Each group's parameters, behind one `params` getter shared by every group (one getter function,
 * so that every group keeps one V8 shape): the list is replaced, frozen, when
 * {@link Optimizer.addParams} extends it, and users cannot reassign it.
 */
const groupParams = new WeakMap<object, readonly Parameter[]>();
function paramsOf(this: object): readonly Parameter[] {
  return groupParams.get(this)!;
}
function refuseParams(this: object, value: unknown): never {
  throw new TypeError(`Cannot assign to read only property 'params' of a param group, got ${describe(value)}; use addParams(params, group) to add parameters`);
}

/** Where each method's errors say they come from (`Adam.step`, `SGD.step`): built once, so that a step builds no string. */
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
 * @internal Writes one group's hyperparameters into `row` at `at`, each option at `at + slots[name]`
 * (flags as 0 or 1), reading each property once by its name; false, having written anything, if a
 * value has the wrong JavaScript type. Each algorithm's class writes its own (the one place that
 * lists its options by name in TypeScript: test/optim/spec.test.ts checks it against Rust's spec),
 * because only a read by a literal name stays monomorphic and allocation-free in V8: a read by a
 * computed key boxes every float (16 bytes per field and step).
 */
export type RowWriter<H> = (group: H, row: Float64Array, at: number, slots: Readonly<Record<string, number>>) => boolean;

/** What a class of {@link Optimizer} says about itself (the rest comes from its algorithm's spec). */
export interface OptimizerClass {
  /** @internal torch's name of the class: it names the algorithm it runs (its spec's `name`), and its errors before `init()`. */
  readonly torchName: string;
  /** @internal Why its fixed fields are fixed (AdamW's `decoupledWeightDecay`), for their errors. */
  readonly fixedHint: string;
  /** @internal Its per-step row writer. */
  readonly writeRow: RowWriter<never>;
  /** @internal Options a saved group of lucid's shape may leave out (see `GroupRules.optionalOnLoad`). */
  readonly optionalOnLoad: readonly string[];
}

/**
 * The base of every optimizer, as `torch.optim.Optimizer`: param groups of {@link Parameter}s with
 * their hyperparameters `H` (given as options `O`), per-parameter state `S` created lazily at a
 * parameter's first step,
 * and a step of every parameter of every group in one WebAssembly call.
 *
 * Owns WebAssembly memory (the optimizer state): call {@link Optimizer.dispose} when done (a
 * `FinalizationRegistry` frees it eventually if you forget).
 *
 * Every method either does all of its work or, when it throws, changes nothing: invalid
 * arguments are `TypeError`s or `RangeError`s naming the field and the value, and running out of
 * WebAssembly memory is a `RangeError` too.
 */
export class Optimizer<H extends object = object, S extends object = object, O extends object = Partial<H>> {
  /** @internal Each algorithm's class names its algorithm by torch's name of it. */
  static readonly torchName: string = 'Optimizer';
  /** @internal */
  static readonly fixedHint: string = '';
  /** @internal */
  static readonly optionalOnLoad: readonly string[] = [];
  /** @internal Each algorithm's class writes its rows (see {@link RowWriter}). */
  static readonly writeRow: RowWriter<never> = () => false;

  /** The defaults new groups take their missing options from. */
  readonly defaults: Readonly<H>;
  /** The parameter groups; change hyperparameters here between steps. */
  readonly paramGroups: ParamGroup<H>[] = [];
  #raw: RawOptimizer | undefined;
  #spec: AlgorithmSpec;
  #rules: GroupRules;
  #params: Parameter[] = [];
  /** The parameters of every group, to refuse a parameter a second time. */
  #taken = new Set<Parameter>();
  #groupSizes: number[] = [];
  #hyperTable: Float64Array | undefined;
  #hyperPtr = 0;
  #skipNonFinite = false;
  #onNonFinite: NonFiniteCallback | undefined;
  #skippedSteps = 0;
  #lastStepSkipped = false;
  #where: ReturnType<typeof methodNames>;
  /** The class's per-step row writer, and each option's slot (from the spec) for it. */
  #writeRow: RowWriter<never>;
  #slots: Readonly<Record<string, number>>;

  /**
   * @param params the parameters (one group), or a list of groups `{ params, ...options }`
   * @param options defaults for every group, and the optimizer's own options
   */
  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<O>>, options: O & OptimizerOptions = {} as O) {
    const cls = new.target as unknown as OptimizerClass;
    if (new.target === Optimizer) throw new TypeError('Optimizer: construct an algorithm (Adam, AdamW, SGD, ...), not the base class');
    // The spec needs init(): its error comes first, named by the class (bundlers rename classes:
    // the name is the class's own static, which is also the algorithm's name in Rust's registry).
    const spec = specOf(cls.torchName, cls.torchName);
    this.#spec = spec;
    this.#where = methodNames(spec.name);
    this.#rules = Object.freeze({ spec, name: spec.name, fixedHint: cls.fixedHint, optionalOnLoad: cls.optionalOnLoad });
    this.#writeRow = cls.writeRow;
    this.#slots = Object.freeze(Object.fromEntries(spec.options.map((f) => [f.name, f.slot])));
    const where = this.#where.constructor;
    const { groupOptions, skipNonFinite, onNonFinite } = splitOptions(where, options);
    this.defaults = Object.freeze(
      resolveGroup(this.#rules, where, '', groupOptions, { defaults: spec.defaults, allowExtra: false, fixed: 'refuse' }),
    ) as Readonly<H>;
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw typeError(where, 'params', 'an iterable of Parameters or of param groups', params);
    }
    const items = [...(params as Iterable<unknown>)];
    // torch refuses an empty list ("optimizer got an empty parameter list") but takes groups with
    // no parameters (`[{ params: [] }]`), to be extended later (addParams).
    if (items.length === 0) throw rangeError(where, 'params', 'non-empty', items);
    // Check every group before creating anything, so a bad one leaves nothing half-built.
    const groups: ParamGroup<H>[] = [];
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
    this.#raw = new RawOptimizer(spec.algorithm);
    try {
      groups.forEach((group) => this.#add(where, group));
      this.#createStates(where);
    } catch (error) {
      this.#raw.free();
      this.#raw = undefined;
      throw error;
    }
  }

  /**
   * Gives Rust the optimizer's defaults (torch's `self.defaults`, which Adagrad's `sum` starts
   * from) and, for an algorithm whose torch constructor creates every parameter's state (Adagrad),
   * creates it now, with `step` 0.
   */
  #createStates(where: string): void {
    const raw = this.#live(where);
    const row = new Float64Array(this.#spec.rowLen);
    writeRow(this.#spec, this.defaults as Record<string, unknown>, row);
    try {
      raw.setDefaults(row);
      if (!this.#spec.eagerState) return;
      this.#writeHyperparameters(where);
      raw.createStates();
    } catch (error) {
      throw this.#stepError(where, rustError(error));
    }
  }

  /**
   * Adds a group; its missing options come from {@link Optimizer.defaults}. Its `params` may be
   * empty (as in torch), to be extended with {@link Optimizer.addParams}.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
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
   * it. `paramGroups[group].params` lists them afterwards (a new frozen array).
   *
   * Parameters are numbered by position across groups, as in torch's `state_dict()`: adding to a
   * group moves every parameter of the later groups up in the next {@link Optimizer.stateDict}'s
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
    const list = collectParams(where, 'params', params, this.#taken, this.#spec);
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
   * One step of every parameter that has a gradient; parameters whose `grad` is `null` are
   * skipped entirely (no state, step count unchanged). With a closure, calls it first (to
   * recompute the loss and gradients) and returns its result.
   *
   * Non-finite gradients (NaN, ±Infinity) flow into the weights and state as in PyTorch, unless
   * {@link Optimizer.skipNonFinite} is on: then a step where any gradient is not finite is
   * skipped whole, changing nothing, and counted in {@link Optimizer.skippedSteps}.
   *
   * Throws, changing nothing, if a group's hyperparameters are invalid (a `TypeError` for a wrong
   * type, a `RangeError` for a value out of range), a parameter was disposed (`TypeError`),
   * WebAssembly memory cannot hold new optimizer state (`RangeError`), or a worker thread of
   * `init({ threads })` died (an `Error`; {@link disposeThreads} is the way on).
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
    checkThreads(where);
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
   * Whether {@link Optimizer.step} checks the gradients first and skips the whole step if any
   * holds a NaN or an infinity, as PyTorch's AMP `GradScaler.step` does. Set at construction
   * (`skipNonFinite: true`) or any time between steps. Default `false` (PyTorch's optimizers:
   * non-finite values propagate). The check reads every gradient once more, in SIMD.
   */
  get skipNonFinite(): boolean {
    return this.#skipNonFinite;
  }

  /** Turns the guard on (`true`) or off; a TypeError for anything but a boolean. */
  set skipNonFinite(on: boolean) {
    this.#skipNonFinite = checkBoolean(this.#where.skipNonFinite, 'skipNonFinite', on);
  }

  /** Called after each step {@link Optimizer.skipNonFinite} skipped (exceptions propagate from `step`). */
  get onNonFinite(): NonFiniteCallback | undefined {
    return this.#onNonFinite;
  }

  /** Sets the callback (`undefined` for none); a TypeError for anything but a function. */
  set onNonFinite(callback: NonFiniteCallback | undefined) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw typeError(this.#where.onNonFinite, 'onNonFinite', 'a function or undefined', callback);
    }
    this.#onNonFinite = callback;
  }

  /** How many steps {@link Optimizer.skipNonFinite} has skipped since construction. */
  get skippedSteps(): number {
    return this.#skippedSteps;
  }

  /** Whether the last {@link Optimizer.step} that returned was skipped for a non-finite gradient. */
  get lastStepSkipped(): boolean {
    return this.#lastStepSkipped;
  }

  /**
   * A deep copy of the optimizer's state and hyperparameters, shaped like PyTorch's
   * `optimizer.state_dict()`: `{ state: { [index]: S }, paramGroups: [{ ...hyperparameters,
   * params: number[] }] }`, with torch's state keys in camelCase (`step`, `expAvg`,
   * `momentumBuffer`, ...). Buffers are `Float32Array` copies, never views into WebAssembly
   * memory, and JSON writes them exactly (see {@link StateDict}). A buffer the state must have
   * for its group's current options but does not have yet (AMSGrad switched on since the
   * parameter's last step) is saved as the zeros its next step starts from, so the result always
   * loads back.
   *
   * With `{ format: 'torch' }`, the same in PyTorch's own shape, ready for {@link saveTorch}: what
   * torch's `optimizer.state_dict()` holds for the same class (see {@link TorchStateDict}): Maps,
   * snake_case keys (`weight_decay`, `exp_avg_sq`, extra keys too: `initialLr` -> `initial_lr`),
   * integer state keys, `step` as a 0-d float32 tensor, buffers as float32 tensors of the
   * parameter's `shape`, and torch's own flags (`foreach`, `fused`, ...) at their defaults: the
   * single-tensor path on CPU, which is what lucid-optim computes.
   *
   * @example
   * ```ts
   * writeFileSync('opt.pt', saveTorch(opt.stateDict({ format: 'torch' })));
   * // python: optimizer.load_state_dict(torch.load('opt.pt', weights_only=True))
   * ```
   */
  stateDict(options?: { format?: 'lucid' }): StateDict<H, S>;
  stateDict(options: { format: 'torch' }): TorchStateDict;
  stateDict(options?: StateDictOptions): StateDict<H, S> | TorchStateDict;
  stateDict(options: StateDictOptions = {}): StateDict<H, S> | TorchStateDict {
    const where = this.#where.stateDict;
    this.#live(where);
    const format = checkStateDictOptions(where, options);
    const plain = this.#plainStateDict(where);
    return format === 'torch' ? toTorchStateDict(this.#rules, where, plain as StateDict, this.#params.map((p) => p.shape)) : plain;
  }

  #plainStateDict(where: string): StateDict<H, S> {
    const spec = this.#spec;
    // Copy the groups first: reading them may run code (a getter) that disposes the optimizer.
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...rest } = group as ParamGroup;
      const saved: Record<string, unknown> = { ...rest, params: params.map(() => next++) };
      for (const f of spec.options) if (f.kind === 'tuple' && Array.isArray(rest[f.name])) saved[f.name] = [...(rest[f.name] as unknown[])];
      return saved;
    });
    const raw = this.#live(where);
    const memory = wasmMemory(where);
    const row = new Float64Array(spec.rowLen);
    const state: Record<number, Record<string, unknown>> = {};
    let index = 0;
    for (const [g, group] of this.paramGroups.entries()) {
      writeRow(spec, paramGroups[g], row);
      for (const p of group.params) {
        const i = index++;
        const step = raw.stateStep(i);
        if (step === undefined) continue;
        const inUse = buffersInUse(spec.algorithm, row, p.shape.length);
        const entry: Record<string, unknown> = spec.countsSteps ? { step } : {};
        spec.scalars.forEach((k, s) => (entry[k.name] = raw.stateScalar(i, s)));
        spec.buffers.forEach((b, k) => {
          const ptr = raw.statePtr(i, k);
          const length = b.extent === Extent.Param ? p.length : bufferLength(spec, k, p.shape);
          if (ptr !== 0) entry[b.name] = savedBuffer(new Float32Array(memory.buffer, ptr, length).slice());
          // In use but not created yet (AMSGrad switched on since this parameter's last step): its
          // next step creates it as zeros. Save those zeros, so that the dict is complete and loads back.
          else if (b.required && inUse & (1 << k)) entry[b.name] = savedBuffer(new Float32Array(length));
        });
        state[i] = entry;
      }
    }
    return { state, paramGroups } as unknown as StateDict<H, S>;
  }

  /**
   * Replaces the optimizer's state and hyperparameters with a saved `stateDict`. Validates
   * everything first (group count and sizes, buffer lengths and types, step counts); on any
   * error nothing changes. Parameters absent from `stateDict.state` start fresh, as in PyTorch.
   * Buffers may be `Float32Array`s or number arrays (as JSON gives them back); other typed arrays
   * are refused (a `Float64Array` would silently lose precision).
   *
   * As in torch, the saved groups replace the current ones. A saved group without one of the flag
   * options takes its default, as the classes' `__setstate__` do in torch; AdamW sets
   * `decoupledWeightDecay: true` on every group it loads (torch's `AdamW.__setstate__`), so a dict
   * saved by `Adam` loads into `AdamW` and the other way round, as in torch.
   *
   * Also takes PyTorch's own shape, as {@link loadTorch} returns what `torch.save(opt.state_dict())`
   * wrote (a Map: see {@link TorchStateDict}), with the same checks in torch's words. Its buffers
   * must be float32 tensors of the parameter's `shape` (give each Parameter its torch shape), its
   * `step` a 0-d tensor or a number. Extra group keys are kept in camelCase (`initial_lr` ->
   * `initialLr`); torch's flags `foreach`, `capturable`, `differentiable` and `fused` say how torch
   * ran the same algorithm, not what it computes: they must hold a value torch allows and are then
   * dropped (lucid-optim computes the single-tensor path whatever they say).
   *
   * @example
   * ```ts
   * opt.loadStateDict(loadTorch(readFileSync('opt.pt'))); // python: torch.save(optimizer.state_dict(), 'opt.pt')
   * ```
   */
  loadStateDict(stateDict: StateDict<H, S> | TorchStateDict): void;
  /** What {@link loadTorch} returns (`unknown` to TypeScript): checked at run time, as the others. */
  loadStateDict(stateDict: unknown): void;
  loadStateDict(stateDict: unknown): void {
    const where = this.#where.loadStateDict;
    this.#live(where);
    this.#assertParamsLive(where);
    const checked =
      stateDict instanceof Map
        ? checkTorchStateDict(this.#rules, where, stateDict, this.#groupSizes, this.#params.map((p) => p.shape))
        : checkStateDict(this.#rules, where, stateDict, this.#groupSizes, this.#params.map((p) => p.shape));
    // Reading the dict may have run code (getters) that disposed the optimizer or a parameter.
    const raw = this.#live(where);
    this.#assertParamsLive(where);
    const memory = wasmMemory(where);
    // Staging allocates, which may grow memory and detach buffers that are views into it.
    for (const s of checked.states) s.buffers = s.buffers.map((b) => (b === undefined ? b : copyIfIn(b, memory.buffer)));
    try {
      raw.beginStaging();
      for (const s of checked.states) {
        const mask = s.buffers.reduce((m: number, b, k) => (b === undefined ? m : m | (1 << k)), 0);
        raw.stageState(s.index, s.step, mask);
        s.scalars.forEach((value, k) => raw.setStagedScalar(s.index, k, value));
      }
    } catch (error) {
      raw.discardStaged();
      throw this.#rustError(where, rustError(error), 'the loaded state');
    }
    // Allocation is over: memory cannot grow while copying, so the views stay valid.
    for (const s of checked.states) {
      s.buffers.forEach((values, k) => {
        // Checked to be the buffer's length for the parameter's shape.
        if (values !== undefined) new Float32Array(memory.buffer, raw.stagedPtr(s.index, k), values.length).set(values);
      });
    }
    raw.commitStaged();
    checked.groups.forEach((saved, g) => {
      const group = this.paramGroups[g] as Record<string, unknown>;
      // Overwrite in place (deleting a property would turn the group into a slow dictionary);
      // only keys the saved group does not have are deleted.
      for (const key of Object.keys(group)) if (key !== 'params' && !(key in saved)) delete group[key];
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

  /** True once {@link Optimizer.dispose} has been called. */
  get disposed(): boolean {
    return this.#raw === undefined;
  }

  /**
   * @internal NOT part of the API (stripped from index.d.ts; may change or vanish at any time).
   * Steps with the scalar reference kernel instead of the SIMD one, so that the fidelity suite and
   * report (test/e2e/fidelity/, scripts/fidelity.mjs) can measure both kernels through the built package.
   * Only the test build has that kernel (`scripts/build-wasm.sh reference`, loaded with
   * `init(bytes)`); the shipped `.wasm` refuses, changing nothing.
   */
  _useReferenceKernel(on: boolean): void {
    const where = this.#where.useReferenceKernel;
    if (!this.#live(where).setReferenceKernel(on === true)) {
      throw new Error(`${where}: this .wasm has no reference kernel (only the test build has it: scripts/build-wasm.sh reference)`);
    }
  }

  /**
   * @internal NOT part of the API. Whether the last step that updated parameters was split across
   * threads (`init({ threads })`); `undefined` with the single-thread `.wasm`, which cannot split.
   */
  _splitLastStep(): boolean | undefined {
    const raw = this.#live('Optimizer._splitLastStep') as RawOptimizer & { splitLastStep?: () => boolean };
    return raw.splitLastStep?.();
  }

  /**
   * @internal NOT part of the API. Terminates worker thread `index` as a crash would; resolves
   * once the pool noticed (the test that a dead worker gives a clear error, never a hang).
   */
  static _terminateWorker(index: number): Promise<void> {
    return _terminateWorker(index);
  }

  /** @internal For adapters (lucid-optim/tfjs): the algorithm's spec. */
  get _spec(): AlgorithmSpec {
    return this.#spec;
  }

  /**
   * @internal For adapters (lucid-optim/tfjs): checks every group's hyperparameters as `step()`
   * checks them, with its errors, changing nothing.
   */
  _checkHyperparameters(): void {
    const where = this.#where.step;
    this.#live(where);
    this.#writeHyperparameters(where);
    const stride = this.#spec.rowLen;
    for (let g = 0; g < this.paramGroups.length; g++) {
      const error = checkRow(this.#spec.algorithm, this.#hyperTable!.subarray(g * stride, (g + 1) * stride));
      if (error !== undefined) throw rowError(this.#rules, where, `paramGroups[${g}].`, rustError(error), this.paramGroups[g]);
    }
  }

  /**
   * @internal For adapters (lucid-optim/tfjs): checks `stateDict` (lucid's shape) as
   * `loadStateDict` would for groups of `groupSizes` parameters of `shapes`, with its errors,
   * changing nothing. `label` writes a state key in messages.
   */
  _checkStateDict(stateDict: unknown, groupSizes: number[], shapes: readonly (readonly number[])[], label?: (key: string) => string): void {
    const where = this.#where.loadStateDict;
    this.#live(where);
    checkStateDict(this.#rules, where, stateDict, groupSizes, shapes, label);
  }

  #live(where: string): RawOptimizer {
    if (this.#raw === undefined) throw usedAfterDispose(where);
    return this.#raw;
  }

  #assertParamsLive(where: string): void {
    for (let i = 0; i < this.#params.length; i++) {
      if (this.#params[i].disposed) throw disposedError(where, `parameter ${i} (${this.#params[i].label})`);
    }
  }

  /** The error for a failed step: Rust says what kind, and which group, slot or parameter. */
  #stepError(where: string, error: RustError): Error {
    if (error.kind === ErrorKind.Hyperparameter || error.kind === ErrorKind.CrossRule) {
      const g = error.group!;
      return rowError(this.#rules, where, `paramGroups[${g}].`, error, this.paramGroups[g]);
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
        return disposedError(where, `${subject})`);
      case ErrorKind.StepLimit: {
        const max = wasmLimits(where).maxStep;
        return new RangeError(`${where}: ${subject}) has taken ${describe(error.value)} steps, the most a state can count (${max}, 2^53 - 1); nothing was changed`);
      }
      case ErrorKind.OutOfMemory: {
        const allocation = p === undefined ? subject : `${what} for ${subject}, ${p.length} elements)`;
        return new RangeError(`${where}: cannot allocate ${allocation}: ${outOfMemoryMessage(error)}`);
      }
      case ErrorKind.NotAMatrix:
        return notAMatrix(where, `${subject})`, p?.shape ?? [], this.#spec.name);
      case ErrorKind.GradLayout: {
        const name = this.#spec.name;
        return error.value === 1
          ? new TypeError(`${where}: ${subject}) has a sparse gradient, which ${name} does not take (torch: "${name} does not support sparse gradients"); nothing was changed`)
          : new TypeError(
              `${where}: ${subject}) has a dense gradient; ${name} takes sparse ones, p.grad = { indices, values } (torch: "${name} does not support dense gradients, please consider Adam instead"); nothing was changed`,
            );
      }
      case ErrorKind.WorkerDied:
        return new Error(
          `${where}: a worker thread died in the middle of this step, so the parameters and optimizer state are partly stepped; ` +
            'call `await disposeThreads()` to go on with one thread, from a state dict saved before',
        );
      default:
        return new Error(`${where}: unexpected error from WebAssembly (kind ${error.kind}, value ${error.value})`);
    }
  }

  #checkGroup(where: string, field: string, input: unknown, taken: ReadonlySet<Parameter>, plain: boolean): ParamGroup<H> {
    if (input instanceof Parameter) throw typeError(where, field, 'a param group { params, ...options }', input);
    // One object, keys always in the spec's order, so that every group shares one V8 shape and
    // reading them at every step stays fast (a copy made by spreading gets a shape of its own:
    // with 3,000 groups that cost 1.3 µs per group and step).
    const group = resolveGroup(this.#rules, where, `${field}.`, input, { defaults: this.defaults as Record<string, unknown>, allowExtra: true, fixed: 'check' });
    const params = collectParams(where, plain ? field : `${field}.params`, (input as ParamGroupInput).params, taken, this.#spec);
    // Read-only: the optimizer's own list is what steps, so reassigning it would only lie.
    groupParams.set(group, Object.freeze(params));
    Object.defineProperty(group, 'params', { get: paramsOf, set: refuseParams, enumerable: true, configurable: false });
    return group as ParamGroup<H>;
  }

  #add(where: string, group: ParamGroup<H>): void {
    const raw = this.#live(where);
    for (const [i, p] of group.params.entries()) {
      if (p.disposed) throw disposedError(where, `params[${i}] (${p.label})`);
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
   * JavaScript types on the way (their ranges are checked by Rust, in the step). This runs at every
   * step, for every group: the class's `writeRow` reads each property by its name (one monomorphic
   * read, no allocation), at the slots Rust's spec gives.
   */
  #writeHyperparameters(where: string): void {
    const groups = this.paramGroups;
    const memory = wasmMemory(where);
    const stride = this.#spec.rowLen;
    if (this.#hyperTable?.buffer !== memory.buffer) {
      this.#hyperTable = new Float64Array(memory.buffer, this.#hyperPtr, groups.length * stride);
    }
    const table = this.#hyperTable;
    const write = this.#writeRow;
    const slots = this.#slots;
    for (let g = 0; g < groups.length; g++) {
      if (!write(groups[g] as never, table, g * stride, slots)) this.#explainGroup(where, g);
    }
  }

  /** Throws the TypeError (or RangeError) that says what is wrong with group `g`'s types. */
  #explainGroup(where: string, g: number): never {
    // The full check builds strings and objects: run it only to explain a failure.
    resolveGroup(this.#rules, where, `paramGroups[${g}].`, this.paramGroups[g], { defaults: null, allowExtra: true, fixed: 'load' });
    throw new TypeError(`${where}: paramGroups[${g}] changed while it was being read`);
  }
}

/** Separates the optimizer's own options from the group defaults, validating the former. */
function splitOptions(
  where: string,
  options: unknown,
): { groupOptions: unknown; skipNonFinite: boolean; onNonFinite: NonFiniteCallback | undefined } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return { groupOptions: options, skipNonFinite: false, onNonFinite: undefined }; // refused by resolveGroup
  }
  const { skipNonFinite = false, onNonFinite, ...groupOptions } = options as OptimizerOptions;
  checkBoolean(where, 'skipNonFinite', skipNonFinite);
  if (onNonFinite !== undefined) {
    if (typeof onNonFinite !== 'function') throw typeError(where, 'onNonFinite', 'a function', onNonFinite);
    if (!skipNonFinite) {
      throw new TypeError(`${where}: onNonFinite is only called when skipNonFinite is true, got skipNonFinite: ${describe(skipNonFinite)}`);
    }
  }
  return { groupOptions, skipNonFinite, onNonFinite };
}
