import { Optimizer, engine, scalar, tensor, type NamedTensorMap, type Tensor, type Variable, serialization } from '@tensorflow/tfjs-core';
import { Parameter, type Optimizer as LucidOptim, type StateDict } from '../index.js';
import { wasmBackendView } from './backend-memory.js';
import { quote, type NamedParamGroup, type NamedStateDict } from './named-state-dict.js';

/** A gradient as `tf.Optimizer.applyGradients` receives it in a list (tfjs-core does not export the type). */
export interface NamedGradient {
  /** The variable's name. */
  name: string;
  /** Its gradient. */
  tensor: Tensor | null | undefined;
}

/** The most a step count saved by `getWeights` can be: it is an int32 tensor (tfjs has no int64). */
const MAX_SAVED_STEP = 2 ** 31 - 1;

/** A class of lucid-optim optimizer, as the bridge builds one (`new Adam([{ params: [] }], options)`). */
type LucidClass = new (params: Iterable<{ params: Iterable<Parameter> }>, options: object) => LucidOptim<object, object, object>;

/** A state entry of lucid's shape: `step` (algorithms that count steps) and its buffers by name. */
type Entry = Record<string, unknown>;

/** The per-parameter state type of a lucid-optim optimizer class (`AdamParamState` for `Adam`). */
/** One weight of {@link LucidOptimizer.getWeights}. */
export interface OptimizerWeight {
  /** `iter`, `<variable>/step` or `<variable>/<buffer>` (torch's buffer name). */
  name: string;
  /** Its value. */
  tensor: Tensor;
}

/** The per-variable state of the lucid-optim optimizer `T` (`AdamParamState` for Adam, ...). */
export type StateOf<T> = T extends LucidOptim<object, infer S, object> ? S : Record<string, unknown>;

/**
 * One of lucid-optim's optimizers as a TensorFlow.js optimizer: a subclass of the application's own
 * `tf.Optimizer`, for `model.compile({ optimizer })`, `model.fit` and `optimizer.minimize`. Create
 * one with its factory from `lucid-optim/tfjs` (`adam()`, `adamW()`, `sgd()`), after `await init()`.
 *
 * Each tfjs variable gets one lucid-optim `Parameter`, keyed by the variable's name and created
 * the first time a gradient for it arrives, in the single group of {@link LucidOptimizer.optimizer}
 * (so a scheduler built on `opt.optimizer` before the first step governs every variable). Each
 * `applyGradients` reads every variable that has a gradient, and its gradient, once
 * (`dataSync()`, or on tfjs-backend-wasm straight from its memory: backend-memory.ts), takes one
 * lucid-optim step for all of them, and writes each back once (`variable.assign`). Variables whose
 * gradient is `null` (frozen: `trainable` false) are skipped and keep their own state, as PyTorch
 * skips a parameter whose `grad` is `None`.
 *
 * Owns WebAssembly memory (the optimizer state and a copy of each variable): call
 * {@link LucidOptimizer.dispose} when done.
 */
export class LucidOptimizer<T extends LucidOptim<object, object, object> = LucidOptim<object, object, object>> extends Optimizer {
  /** The name `tf.serialization` knows the class by (each algorithm's class says its own: `LucidSGD`). */
  static get className(): string {
    return 'LucidOptimizer';
  }

  /** @internal The lucid-optim class underneath. */
  static readonly lucidClass: LucidClass | undefined = undefined;

  /** @internal tf.train's factory for this algorithm (`tf.train.adam`), and its option names, refused with the name lucid-optim (PyTorch) gives each. */
  static readonly tfjsFactory: string = 'tf.train';
  /** @internal */
  static readonly tfjsNames: Readonly<Record<string, string>> = Object.freeze({});

  /**
   * The lucid-optim optimizer underneath, with one group holding every variable seen so far:
   * build schedulers on it (`new CosineAnnealingLR(opt.optimizer, { tMax })`), change
   * `opt.optimizer.paramGroups[0].lr` between steps, or read `opt.optimizer.skippedSteps`.
   */
  readonly optimizer: T;
  /** Each variable's Parameter, by variable name; the same objects as `optimizer.paramGroups[0].params`. */
  readonly #params = new Map<string, Parameter>();
  /** The variable each Parameter belongs to (its own `name` is the one it was created with). */
  readonly #names = new Map<Parameter, string>();
  /**
   * Variables whose state was loaded and that no step has found yet, by the name they were saved
   * under: the first step matches each to its variable, or fails naming it (see #claim).
   */
  readonly #unclaimed = new Set<string>();
  /** This step's variables, gradients and parameters, in the same order; reused from step to step. */
  readonly #variables: Variable[] = [];
  readonly #gradients: Tensor[] = [];
  readonly #stepped: Parameter[] = [];
  /** The tensors the last `getWeights` returned: this optimizer owns them, until the next call or `dispose`. */
  #weightTensors: Tensor[] = [];
  #disposed = false;
  #useBackendMemory = true;
  #backendReads = 0;

  /** @param options the lucid-optim optimizer's options (PyTorch's names: `lr`, `weightDecay`, `momentum`, …). */
  constructor(options: object = {}) {
    super();
    const cls = new.target as unknown as typeof LucidOptimizer;
    const where = cls.className;
    if (cls.lucidClass === undefined) throw new TypeError(`${where}: construct an algorithm's class (adam(), sgd(), ...), not the base class`);
    if (options !== null && typeof options === 'object') {
      for (const [key, name] of Object.entries(cls.tfjsNames)) {
        if (key in options) {
          const value = (options as Record<string, unknown>)[key];
          throw new TypeError(`${where}: ${key} is not an option (${cls.tfjsFactory}'s ${key} is ${name} here), got ${describeValue(value)}`);
        }
      }
    }
    // Validates the options (naming the field) and throws if init() has not been called.
    this.optimizer = new cls.lucidClass([{ params: [] }], options) as T;
  }

  /**
   * Builds the optimizer from {@link LucidOptimizer.getConfig}'s output, as `tf.loadLayersModel`
   * does. tfjs-layers adds a `customObjects` key to every config it deserializes: it is not an option.
   */
  static override fromConfig<U extends serialization.Serializable>(cls: serialization.SerializableConstructor<U>, config: serialization.ConfigDict): U {
    const { customObjects: _, ...options } = config;
    return new cls(options);
  }

  /** True once {@link LucidOptimizer.dispose} has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * One lucid-optim step for every variable with a gradient: `variableGradients` maps variable
   * names (`variable.name`) to gradients, as `tf.Optimizer.applyGradients` does. `null` or
   * missing gradients are skipped. An unknown variable, a dtype other than float32, a size that
   * does not match, hyperparameters lucid-optim refuses, or loaded state that matches no variable
   * throw a `TypeError` or `RangeError`, and change nothing.
   */
  applyGradients(variableGradients: NamedTensorMap | NamedGradient[]): void {
    const where = this.#where('applyGradients');
    const lucid = this.#live(where);
    const variables = this.#variables;
    const gradients = this.#gradients;
    const stepped = this.#stepped;
    try {
      this.#collect(where, variableGradients);
      this.#addNewParameters(where, lucid);
      for (let i = 0; i < variables.length; i++) {
        const param = stepped[i];
        param.data.set(this.#read(variables[i]));
        param.grad = this.#read(gradients[i]);
      }
      lucid.step();
      for (let i = 0; i < variables.length; i++) {
        // A copy (slice), never a view: WebAssembly memory can grow and detach a view, and the
        // cpu backend keeps the array it is given as the tensor's storage.
        const values = tensor(stepped[i].data.slice(), variables[i].shape, 'float32');
        variables[i].assign(values);
        values.dispose();
      }
    } finally {
      // Between calls no Parameter holds a gradient: the next step sees only its own.
      if (!lucid.disposed) lucid.zeroGrad();
      variables.length = 0;
      gradients.length = 0;
      stepped.length = 0;
    }
    this.incrementIterations();
  }

  /**
   * The optimizer's state and hyperparameters as `opt.optimizer.stateDict()` gives them, keyed by
   * variable name: `{ state: { [name]: { ... } }, paramGroups: [{ lr, ..., params: [names] }] }`.
   * Buffers are copies.
   */
  stateDict(): NamedStateDict<StateOf<T>> {
    const where = this.#where('stateDict');
    const lucid = this.#live(where);
    const names = this.#variableNames(where);
    const saved = lucid.stateDict() as StateDict;
    const state = Object.fromEntries(Object.entries(saved.state).map(([i, entry]) => [names[Number(i)], entry]));
    const paramGroups = saved.paramGroups.map((group) => ({ ...group, params: group.params.map((i) => names[i]) }));
    return { state, paramGroups } as NamedStateDict<StateOf<T>>;
  }

  /**
   * Loads a {@link LucidOptimizer.stateDict} by variable name: the saved group's hyperparameters
   * replace the current ones, each named state goes to the variable of that name, whether the
   * optimizer has seen it yet or not (one it has not seen gets its Parameter now, and the state is
   * used at its first step), and variables the dict does not name start fresh, as in PyTorch. A
   * variable of a model reloaded in the same process (tfjs-layers then names it `dense/kernel_1`
   * where it was saved as `dense/kernel`) gets the state saved under its original name, and state
   * that matches no variable at the next step is an error that names it: loaded state is never
   * dropped silently.
   *
   * Invalid input is a `TypeError` or `RangeError` naming the field (`state["dense/kernel"].step`),
   * and changes nothing.
   */
  loadStateDict(stateDict: NamedStateDict<StateOf<T>> | NamedStateDict): void {
    const where = this.#where('loadStateDict');
    const lucid = this.#live(where);
    const spec = lucid._spec;
    const current = this.#variableNames(where);
    if (stateDict === null || typeof stateDict !== 'object') throw new TypeError(`${where}: stateDict must be an object { state, paramGroups }, got ${describeValue(stateDict)}`);
    const { state, paramGroups } = stateDict;
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError(`${where}: stateDict.state must be an object keyed by variable name, got ${describeValue(state)}`);
    }
    if (!Array.isArray(paramGroups) || paramGroups.length !== 1) {
      throw new TypeError(`${where}: stateDict.paramGroups must be an array of one group (lucid-optim/tfjs keeps every variable in one), got ${describeValue(paramGroups)}`);
    }
    const group = paramGroups[0];
    if (group === null || typeof group !== 'object' || !Array.isArray(group.params)) {
      throw new TypeError(`${where}: stateDict.paramGroups[0] must be a group with params: [variable names], got ${describeValue(group)}`);
    }
    const savedNames = new Set<string>();
    group.params.forEach((name: unknown, i) => {
      if (typeof name !== 'string') throw new TypeError(`${where}: stateDict.paramGroups[0].params[${i}] must be a variable name (a string), got ${describeValue(name)}`);
      if (savedNames.has(name)) throw new RangeError(`${where}: stateDict.paramGroups[0].params[${i}] must be unique, got ${quote(name)} twice`);
      savedNames.add(name);
    });
    // The shape of each variable the optimizer has not seen: the registered variable's, or (for
    // buffers of the parameter's length) 1-D of its saved buffers' length.
    const shapes = new Map<string, number[]>();
    for (const [name, entry] of Object.entries(state)) {
      if (!savedNames.has(name)) throw new RangeError(`${where}: stateDict.state[${quote(name)}] names a variable that stateDict.paramGroups[0].params does not list`);
      if (this.#params.has(name)) continue;
      const registered = engine().registeredVariables[name] as Variable | undefined;
      if (registered !== undefined) {
        shapes.set(name, [...registered.shape]);
        continue;
      }
      const flat = spec.buffers.findIndex((b) => b.ofParamShape && (entry as Entry | null)?.[b.name] !== undefined);
      const buffer = flat < 0 ? undefined : ((entry as Entry)[spec.buffers[flat].name] as { length?: unknown });
      const length = buffer?.length;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 1) {
        const first = spec.buffers.find((b) => b.ofParamShape)?.name ?? 'a buffer';
        throw new TypeError(`${where}: stateDict.state[${quote(name)}].${first} must be a Float32Array (or an array of numbers) of the variable's length, got ${describeValue(buffer)}`);
      }
      shapes.set(name, [length]);
    }
    const names = [...current, ...shapes.keys()];
    const index = new Map(names.map((name, i) => [name, i]));
    const positional: StateDict = {
      state: Object.fromEntries(Object.entries(state).map(([name, entry]) => [index.get(name)!, entry])),
      paramGroups: [{ ...(group as NamedParamGroup), params: names.map((_, i) => i) }],
    };
    const paramShapes = names.map((name) => this.#params.get(name)?.shape ?? shapes.get(name)!);
    // lucid-optim's own checks, with the dict's names in its messages, before anything changes:
    // the Parameters of variables not seen yet must be added first, and that cannot be undone.
    lucid._checkStateDict(positional, [names.length], paramShapes, (key) => quote(names[Number(key)] ?? key));
    this.#createParameters(where, [...shapes].map(([name, shape]) => ({ name, length: shape.reduce((a, b) => a * b, 1), shape })));
    lucid.loadStateDict(positional);
    this.#unclaimed.clear();
    for (const name of Object.keys(state)) this.#unclaimed.add(name);
  }

  /**
   * The state as named tensors, for `model.save(…, { includeOptimizer: true })`: `iter` (tfjs's
   * iteration count) first, then for each variable with state `<name>/step` (int32 scalar, for
   * algorithms that count steps) and `<name>/<buffer>` for each of its buffers by torch's name
   * (`exp_avg`, `momentum_buffer`: float32, the variable's shape; Adafactor's `row_var` and
   * `col_var`, one per row or column, flat). The optimizer owns the tensors:
   * they stay valid until the next `getWeights()` or `dispose()`. Hyperparameters travel in
   * {@link LucidOptimizer.getConfig}.
   */
  override async getWeights(): Promise<OptimizerWeight[]> {
    const where = this.#where('getWeights');
    const spec = this.#live(where)._spec;
    const { state } = this.stateDict() as NamedStateDict;
    for (const [name, entry] of Object.entries(state) as [string, Entry][]) {
      if (spec.countsSteps && (entry.step as number) > MAX_SAVED_STEP) {
        throw new RangeError(`${where}: variable ${quote(name)} has taken ${entry.step as number} steps, more than an int32 weight holds (${MAX_SAVED_STEP})`);
      }
    }
    const registered = engine().registeredVariables;
    const weights = [await this.saveIterations()];
    for (const [name, entry] of Object.entries(state) as [string, Entry][]) {
      const variable = registered[name] as Variable | undefined;
      if (spec.countsSteps) weights.push({ name: `${name}/step`, tensor: scalar(entry.step as number, 'int32') });
      for (const b of spec.buffers) {
        const data = entry[b.name] as Float32Array | undefined;
        if (data === undefined) continue;
        const shape = variable !== undefined && variable.size === data.length ? variable.shape : [data.length];
        weights.push({ name: `${name}/${b.torchName}`, tensor: tensor(data, shape, 'float32') });
      }
    }
    for (const t of this.#weightTensors) t.dispose();
    this.#weightTensors = weights.map((w) => w.tensor);
    return weights;
  }

  /**
   * Loads what {@link LucidOptimizer.getWeights} saved (`tf.loadLayersModel` calls it): `iter`
   * becomes `opt.iterations`, each variable's tensors its state, by name (see
   * {@link LucidOptimizer.loadStateDict} for a model reloaded in the same process). The
   * hyperparameters stay as they are (they come from the saved config). Variables it does not name
   * start fresh.
   */
  override async setWeights(weightValues: { name: string; tensor: Tensor }[]): Promise<void> {
    const where = this.#where('setWeights');
    const spec = this.#live(where)._spec;
    if (!Array.isArray(weightValues) || weightValues.length === 0 || weightValues[0]?.name !== 'iter') {
      throw new TypeError(`${where}: weightValues must be the list getWeights() returns, starting with "iter", got ${describeValue(weightValues)}`);
    }
    const suffixes = new Map<string, string>([...(spec.countsSteps ? [['step', 'step'] as [string, string]] : []), ...spec.buffers.map((b): [string, string] => [b.torchName, b.name])]);
    const parts: { name: string; key: string; tensor: Tensor }[] = [];
    weightValues.slice(1).forEach(({ name, tensor: t }, i) => {
      const cut = typeof name === 'string' ? name.lastIndexOf('/') : -1;
      const key = cut < 0 ? undefined : suffixes.get(name.slice(cut + 1));
      if (key === undefined) {
        throw new TypeError(`${where}: weightValues[${i + 1}].name must be "<variable name>/" + one of ${[...suffixes.keys()].join(', ')}, got ${describeValue(name)}`);
      }
      parts.push({ name: name.slice(0, cut), key, tensor: t });
    });
    const iterations = (await weightValues[0].tensor.data())[0];
    const values = await Promise.all(parts.map((p) => p.tensor.data()));
    const state: Record<string, Entry> = Object.create(null);
    parts.forEach(({ name, key }, i) => {
      const entry = (state[name] ??= {});
      if (key === 'step') entry.step = values[i][0] as number;
      else entry[key] = values[i] instanceof Float32Array ? (values[i] as Float32Array) : Float32Array.from(values[i] as ArrayLike<number>);
    });
    const lucid = this.#live(where); // awaiting may have let dispose() run
    const { params: _, ...hyperparameters } = lucid.paramGroups[0] as unknown as NamedParamGroup;
    const names = [...new Set([...this.#variableNames(where), ...Object.keys(state)])];
    this.loadStateDict({ state: { ...state }, paramGroups: [{ ...hyperparameters, params: names }] } as NamedStateDict);
    this.iterations_ = iterations;
  }

  /**
   * The hyperparameters of `opt.optimizer.paramGroups[0]` now (a scheduler's latest lr included),
   * as lucid-optim names them: what `model.save` stores and {@link LucidOptimizer.fromConfig}
   * rebuilds from. A field the class fixes (AdamW's `decoupledWeightDecay`) is not an option, and
   * is left out.
   */
  getConfig(): serialization.ConfigDict {
    const group = this.optimizer.paramGroups[0] as Record<string, unknown>;
    const config: serialization.ConfigDict = {};
    for (const f of this.optimizer._spec.options) {
      if (f.fixed) continue;
      const value = group[f.name];
      config[f.name] = (Array.isArray(value) ? [...value] : value) as serialization.ConfigDictValue;
    }
    if (this.optimizer.skipNonFinite) config.skipNonFinite = true;
    return config;
  }

  /**
   * Frees the lucid-optim optimizer, every Parameter and the tensors the last `getWeights` returned.
   * The tfjs variables are untouched. Any further use throws a `TypeError`; calling it twice is harmless.
   */
  override dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.optimizer.dispose();
    for (const param of this.#params.values()) param.dispose();
    this.#params.clear();
    this.#names.clear();
    for (const t of this.#weightTensors) t.dispose();
    this.#weightTensors = [];
    super.dispose();
  }

  /**
   * @internal NOT part of the API (stripped from the declarations). Whether reads may take
   * tfjs-backend-wasm's memory directly (see backend-memory.ts; default on): the tests run both
   * ways. {@link LucidOptimizer._backendReads} counts the reads that did.
   */
  _useBackendMemory(on: boolean): void {
    this.#useBackendMemory = on === true;
  }

  /** @internal See {@link LucidOptimizer._useBackendMemory}. */
  get _backendReads(): number {
    return this.#backendReads;
  }

  /** A tensor's float32 values, to copy at once: in the wasm backend's memory if it can, else dataSync()'s. */
  #read(t: Tensor): Float32Array {
    if (this.#useBackendMemory) {
      const view = wasmBackendView(t);
      if (view !== null) {
        this.#backendReads++;
        return view;
      }
    }
    return t.dataSync() as Float32Array;
  }

  #where(method: string): string {
    return `${(this.constructor as typeof LucidOptimizer).className}.${method}`;
  }

  #live(where: string): T {
    if (this.#disposed) throw new TypeError(`${where}: optimizer used after dispose()`);
    return this.optimizer;
  }

  /** The variable names of `optimizer.paramGroups[0].params`, in order. */
  #variableNames(where: string): string[] {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== 1) {
      throw new TypeError(`${where}: opt.optimizer must keep its one group (lucid-optim/tfjs holds every variable in paramGroups[0]), got ${groups.length} groups`);
    }
    return groups[0].params.map((p) => this.#names.get(p)!);
  }

  /** Fills the step's lists with the variables that have a gradient, checking each; changes nothing. */
  #collect(where: string, variableGradients: NamedTensorMap | NamedGradient[]): void {
    const registered = engine().registeredVariables;
    const claims = new Map<string, string>();
    const visit = (name: string, gradient: Tensor | null | undefined) => {
      if (gradient === null || gradient === undefined) return; // frozen, or no path to the loss
      const variable = registered[name] as Variable | undefined;
      if (variable === undefined) throw new TypeError(`${where}: no variable named ${quote(name)} is registered with tfjs (was it disposed?)`);
      if (variable.dtype !== 'float32') throw new TypeError(`${where}: variable ${quote(name)} must be float32, got ${variable.dtype}`);
      if (gradient.dtype !== 'float32') throw new TypeError(`${where}: the gradient of ${quote(name)} must be float32, got ${gradient.dtype}`);
      if (gradient.size !== variable.size) {
        throw new RangeError(`${where}: the gradient of ${quote(name)} must have ${variable.size} elements (the variable's size), got ${gradient.size}`);
      }
      const known = this.#params.get(name) ?? this.#claim(name, variable.size, claims);
      if (known !== undefined && known.length !== variable.size) {
        throw new RangeError(`${where}: variable ${quote(name)} must have ${known.length} elements (its optimizer state's size), got ${variable.size}`);
      }
      this.#variables.push(variable);
      this.#gradients.push(gradient);
    };
    if (Array.isArray(variableGradients)) {
      for (const entry of variableGradients) visit(entry.name, entry.tensor);
    } else if (variableGradients !== null && typeof variableGradients === 'object') {
      for (const name of Object.keys(variableGradients)) visit(name, variableGradients[name]);
    } else {
      throw new TypeError(`${where}: variableGradients must be a map or a list of named gradients, got ${describeValue(variableGradients)}`);
    }
    // Loaded state must belong to a variable: one stepped now, or one tfjs still has.
    for (const saved of this.#unclaimed) {
      if (registered[saved] === undefined && ![...claims.values()].includes(saved)) {
        throw new RangeError(
          `${where}: the loaded state of variable ${quote(saved)} matches no variable (none is registered with tfjs under that name, nor stepped under a name tfjs-layers makes from it, such as ${quote(`${saved}_1`)}); nothing was changed`,
        );
      }
    }
    // Only now, when nothing can fail any more: each claimed Parameter belongs to its new name.
    for (const [name, saved] of claims) {
      const param = this.#params.get(saved)!;
      this.#params.delete(saved);
      this.#params.set(name, param);
      this.#names.set(param, name);
    }
    for (const variable of this.#variables) this.#unclaimed.delete(variable.name);
    for (const saved of claims.values()) this.#unclaimed.delete(saved);
  }

  /**
   * The loaded, not yet stepped Parameter a variable named `name` takes over: the one saved as the
   * name tfjs-layers' `getUniqueTensorName` turned into `name` (`dense/kernel_1` from `dense/kernel`,
   * when the model was reloaded in the process that still holds the original), of the same size.
   * Recorded in `claims` (the step renames it once nothing can fail).
   */
  #claim(name: string, size: number, claims: Map<string, string>): Parameter | undefined {
    for (let base = name; ; ) {
      const match = /^(.*)_[0-9]+$/.exec(base);
      if (match === null) return undefined;
      base = match[1];
      const param = this.#unclaimed.has(base) ? this.#params.get(base) : undefined;
      if (param !== undefined && param.length === size && ![...claims.values()].includes(base)) {
        claims.set(name, base);
        return param;
      }
    }
  }

  /**
   * Gives every variable of this step its Parameter, creating those seen for the first time. As
   * addParams cannot be undone, lucid-optim first checks the groups' hyperparameters, which the
   * step would refuse after.
   */
  #addNewParameters(where: string, lucid: T): void {
    const fresh: { name: string; length: number; shape: number[] }[] = [];
    for (const variable of this.#variables) {
      if (!this.#params.has(variable.name) && !fresh.some((f) => f.name === variable.name)) {
        fresh.push({ name: variable.name, length: variable.size, shape: variable.shape });
      }
    }
    if (fresh.length > 0) {
      lucid._checkHyperparameters();
      this.#createParameters(where, fresh);
    }
    for (const variable of this.#variables) this.#stepped.push(this.#params.get(variable.name)!);
  }

  /** New Parameters (zeros: values are copied in before each step), appended to the optimizer's group. */
  #createParameters(where: string, specs: { name: string; length: number; shape: number[] }[]): void {
    if (specs.length === 0) return;
    const created: Parameter[] = [];
    try {
      for (const { name, length, shape } of specs) created.push(new Parameter(length, { name, shape }));
      this.optimizer.addParams(created, 0);
    } catch (error) {
      for (const p of created) p.dispose();
      throw error instanceof RangeError ? new RangeError(`${where}: ${error.message}`) : error;
    }
    for (const p of created) {
      this.#params.set(p.name!, p);
      this.#names.set(p, p.name!);
    }
  }
}

/** A short rendering of a bad value for an error message. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return quote(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
}
