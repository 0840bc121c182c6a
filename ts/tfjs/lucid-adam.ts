import { Optimizer, engine, scalar, tensor, type NamedTensorMap, type Tensor, type Variable, serialization } from '@tensorflow/tfjs-core';
import { Adam, AdamW, Parameter, type AdamOptions, type ParamState, type StateDict } from '../index.js';
import { wasmBackendView } from './backend-memory.js';
import { quote, renamePositions, type NamedParamGroup, type NamedStateDict } from './named-state-dict.js';

/** A gradient as `tf.Optimizer.applyGradients` receives it in a list (tfjs-core does not export the type). */
export interface NamedGradient {
  name: string;
  tensor: Tensor | null | undefined;
}

/** tf.train.adam's option names, refused with the name lucid-optim (PyTorch) gives each. */
const TFJS_NAMES: Readonly<Record<string, string>> = Object.freeze({
  learningRate: 'lr',
  beta1: 'betas: [beta1, beta2]',
  beta2: 'betas: [beta1, beta2]',
  epsilon: 'eps',
});

/** What `getWeights` appends to a variable's name for each part of its state. */
const WEIGHT_SUFFIX = Object.freeze({ step: 'step', expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq', maxExpAvgSq: 'max_exp_avg_sq' });
const SUFFIX_KEY: ReadonlyMap<string, keyof ParamState> = new Map(Object.entries(WEIGHT_SUFFIX).map(([key, suffix]) => [suffix, key as keyof ParamState]));
/** The most a step count saved by `getWeights` can be: it is an int32 tensor (tfjs has no int64). */
const MAX_SAVED_STEP = 2 ** 31 - 1;

/**
 * PyTorch's Adam (lucid-optim's {@link Adam}) as a TensorFlow.js optimizer: a subclass of the
 * application's own `tf.Optimizer`, for `model.compile({ optimizer })`, `model.fit` and
 * `optimizer.minimize`. Create it with `adam()` from `lucid-optim/tfjs`, after `await init()`.
 *
 * Each tfjs variable gets one lucid-optim `Parameter`, keyed by the variable's name and created
 * the first time a gradient for it arrives, in the single group of {@link LucidAdam.optimizer}
 * (so a scheduler built on `opt.optimizer` before the first step governs every variable). Each
 * `applyGradients` reads every variable that has a gradient, and its gradient, once
 * (`dataSync()`, or on tfjs-backend-wasm straight from its memory: backend-memory.ts), takes one
 * lucid-optim step for all of them, and writes each back once (`variable.assign`). Variables whose gradient is `null` (frozen: `trainable` false) are
 * skipped and keep their own step counts, as PyTorch skips a parameter whose `grad` is `None`.
 *
 * Owns WebAssembly memory (the optimizer state and a copy of each variable): call
 * {@link LucidAdam.dispose} when done.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { init } from 'lucid-optim';
 * import { adam } from 'lucid-optim/tfjs';
 * await init();
 * model.compile({ optimizer: adam({ lr: 1e-3 }), loss: 'meanSquaredError' });
 * ```
 */
export class LucidAdam extends Optimizer {
  /** The name `tf.serialization` knows this class by (tfjs's own Adam is `'Adam'`). */
  static get className(): string {
    return 'LucidAdam';
  }

  /** @internal The lucid-optim class underneath. */
  static readonly lucidClass: typeof Adam = Adam;

  /**
   * The lucid-optim optimizer underneath, with one group holding every variable seen so far:
   * build schedulers on it (`new CosineAnnealingLR(opt.optimizer, { tMax })`), change
   * `opt.optimizer.paramGroups[0].lr` between steps, or read `opt.optimizer.skippedSteps`.
   */
  readonly optimizer: Adam;
  /** Each variable's Parameter, by variable name; the same objects as `optimizer.paramGroups[0].params`. */
  readonly #params = new Map<string, Parameter>();
  /** This step's variables, gradients and parameters, in the same order; reused from step to step. */
  readonly #variables: Variable[] = [];
  readonly #gradients: Tensor[] = [];
  readonly #stepped: Parameter[] = [];
  /** The tensors the last `getWeights` returned: this optimizer owns them, until the next call or `dispose`. */
  #weightTensors: Tensor[] = [];
  #disposed = false;
  #useBackendMemory = true;
  #backendReads = 0;

  /** @param options lucid-optim's Adam options (PyTorch's names: `lr`, `betas`, `eps`, `weightDecay`, …). */
  constructor(options: AdamOptions = {}) {
    super();
    const where = (new.target as typeof LucidAdam).className;
    if (options !== null && typeof options === 'object') {
      for (const [key, name] of Object.entries(TFJS_NAMES)) {
        if (key in options) {
          const value = (options as Record<string, unknown>)[key];
          throw new TypeError(`${where}: ${key} is not an option (tf.train.adam's ${key} is ${name} here), got ${describeValue(value)}`);
        }
      }
    }
    // Validates the options (naming the field) and throws if init() has not been called.
    this.optimizer = new (new.target as typeof LucidAdam).lucidClass([{ params: [] }], options);
  }

  /**
   * Builds the optimizer from {@link LucidAdam.getConfig}'s output, as `tf.loadLayersModel` does.
   * tfjs-layers adds a `customObjects` key to every config it deserializes: it is not an option.
   */
  static override fromConfig<T extends serialization.Serializable>(cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict): T {
    const { customObjects: _, ...options } = config;
    return new cls(options);
  }

  /** True once {@link LucidAdam.dispose} has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * One lucid-optim step for every variable with a gradient: `variableGradients` maps variable
   * names (`variable.name`) to gradients, as `tf.Optimizer.applyGradients` does. `null` or
   * missing gradients are skipped. An unknown variable, a dtype other than float32, a size that
   * does not match or hyperparameters lucid-optim refuses throw a `TypeError` or `RangeError`,
   * and change nothing.
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
   * variable name: `{ state: { [name]: { step, expAvg, expAvgSq, maxExpAvgSq? } }, paramGroups:
   * [{ lr, betas, …, params: [names] }] }`. Buffers are copies.
   */
  stateDict(): NamedStateDict {
    const where = this.#where('stateDict');
    const lucid = this.#live(where);
    const names = this.#names(where);
    const saved = lucid.stateDict();
    const state = Object.fromEntries(Object.entries(saved.state).map(([i, entry]) => [names[Number(i)], entry]));
    const paramGroups = saved.paramGroups.map((group) => ({ ...group, params: group.params.map((i) => names[i]) }));
    return { state, paramGroups };
  }

  /**
   * Loads a {@link LucidAdam.stateDict} by variable name: the saved group's hyperparameters replace
   * the current ones, each named state goes to the variable of that name, whether the optimizer
   * has seen it yet or not (one it has not seen gets its Parameter now, and the state is used at
   * its first step), and variables the dict does not name start fresh, as in PyTorch.
   *
   * Invalid input is a `TypeError` or `RangeError` naming the field (`state["dense/kernel"].step`),
   * and changes nothing.
   */
  loadStateDict(stateDict: NamedStateDict): void {
    const where = this.#where('loadStateDict');
    const lucid = this.#live(where);
    const current = this.#names(where);
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
    const lengths = new Map<string, number>();
    for (const [name, entry] of Object.entries(state)) {
      if (!savedNames.has(name)) throw new RangeError(`${where}: stateDict.state[${quote(name)}] names a variable that stateDict.paramGroups[0].params does not list`);
      const length = (entry as { expAvg?: { length?: unknown } } | null)?.expAvg?.length;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 1) {
        throw new TypeError(`${where}: stateDict.state[${quote(name)}].expAvg must be a Float32Array (or an array of numbers) of the variable's length, got ${describeValue((entry as { expAvg?: unknown } | null)?.expAvg)}`);
      }
      const known = this.#params.get(name);
      if (known !== undefined && known.length !== length) {
        throw new RangeError(`${where}: stateDict.state[${quote(name)}].expAvg.length must be ${known.length} (the variable's size), got ${length}`);
      }
      if (known === undefined) lengths.set(name, length);
    }
    const names = [...current, ...lengths.keys()];
    const index = new Map(names.map((name, i) => [name, i]));
    const positional: StateDict = {
      state: Object.fromEntries(Object.entries(state).map(([name, entry]) => [index.get(name)!, entry])),
      paramGroups: [{ ...(group as NamedParamGroup), params: names.map((_, i) => i) }],
    };
    try {
      if (lengths.size > 0) {
        // Variables with saved state that the optimizer has not seen yet need their Parameters
        // first, and addParams cannot be undone: lucid-optim checks the whole dict on a scratch
        // optimizer of the same class and lengths before anything here changes. Its memory is
        // freed before the real Parameters and state are allocated, which reuse it.
        this.#checkOnScratch(positional, names, names.map((name) => this.#params.get(name)?.length ?? lengths.get(name)!));
        this.#createParameters(where, [...lengths].map(([name, length]) => ({ name, length, shape: [length] })));
      }
      lucid.loadStateDict(positional);
    } catch (error) {
      throw renamePositions(error, names);
    }
  }

  /**
   * The state as named tensors, for `model.save(…, { includeOptimizer: true })`: `iter` (tfjs's
   * iteration count) first, then for each variable with state `<name>/step` (int32 scalar),
   * `<name>/exp_avg`, `<name>/exp_avg_sq` and, with AMSGrad, `<name>/max_exp_avg_sq` (float32,
   * the variable's shape). The optimizer owns the tensors: they stay valid until the next
   * `getWeights()` or `dispose()`. Hyperparameters travel in {@link LucidAdam.getConfig}.
   */
  override async getWeights(): Promise<{ name: string; tensor: Tensor }[]> {
    const where = this.#where('getWeights');
    this.#live(where);
    const { state } = this.stateDict();
    for (const [name, entry] of Object.entries(state)) {
      if (entry.step > MAX_SAVED_STEP) {
        throw new RangeError(`${where}: variable ${quote(name)} has taken ${entry.step} steps, more than an int32 weight holds (${MAX_SAVED_STEP})`);
      }
    }
    const registered = engine().registeredVariables;
    const weights = [await this.saveIterations()];
    for (const [name, entry] of Object.entries(state)) {
      const variable = registered[name] as Variable | undefined;
      const shape = variable !== undefined && variable.size === entry.expAvg.length ? variable.shape : [entry.expAvg.length];
      weights.push({ name: `${name}/${WEIGHT_SUFFIX.step}`, tensor: scalar(entry.step, 'int32') });
      weights.push({ name: `${name}/${WEIGHT_SUFFIX.expAvg}`, tensor: tensor(entry.expAvg, shape, 'float32') });
      weights.push({ name: `${name}/${WEIGHT_SUFFIX.expAvgSq}`, tensor: tensor(entry.expAvgSq, shape, 'float32') });
      if (entry.maxExpAvgSq !== undefined) {
        weights.push({ name: `${name}/${WEIGHT_SUFFIX.maxExpAvgSq}`, tensor: tensor(entry.maxExpAvgSq, shape, 'float32') });
      }
    }
    for (const t of this.#weightTensors) t.dispose();
    this.#weightTensors = weights.map((w) => w.tensor);
    return weights;
  }

  /**
   * Loads what {@link LucidAdam.getWeights} saved (`tf.loadLayersModel` calls it): `iter` becomes
   * `opt.iterations`, each variable's tensors its state, by name. The hyperparameters stay as they
   * are (they come from the saved config). Variables it does not name start fresh.
   */
  override async setWeights(weightValues: { name: string; tensor: Tensor }[]): Promise<void> {
    const where = this.#where('setWeights');
    this.#live(where);
    if (!Array.isArray(weightValues) || weightValues.length === 0 || weightValues[0]?.name !== 'iter') {
      throw new TypeError(`${where}: weightValues must be the list getWeights() returns, starting with "iter", got ${describeValue(weightValues)}`);
    }
    const parts: { name: string; key: keyof ParamState; tensor: Tensor }[] = [];
    weightValues.slice(1).forEach(({ name, tensor: t }, i) => {
      const cut = typeof name === 'string' ? name.lastIndexOf('/') : -1;
      const key = cut < 0 ? undefined : SUFFIX_KEY.get(name.slice(cut + 1));
      if (key === undefined) {
        throw new TypeError(`${where}: weightValues[${i + 1}].name must be "<variable name>/" + one of ${Object.values(WEIGHT_SUFFIX).join(', ')}, got ${describeValue(name)}`);
      }
      parts.push({ name: name.slice(0, cut), key, tensor: t });
    });
    const iterations = (await weightValues[0].tensor.data())[0];
    const values = await Promise.all(parts.map((p) => p.tensor.data()));
    const state: Record<string, Partial<ParamState>> = Object.create(null);
    parts.forEach(({ name, key }, i) => {
      const entry = (state[name] ??= {});
      if (key === 'step') entry.step = values[i][0] as number;
      else entry[key] = values[i] instanceof Float32Array ? (values[i] as Float32Array) : Float32Array.from(values[i] as ArrayLike<number>);
    });
    const lucid = this.#live(where); // awaiting may have let dispose() run
    const { params: _, ...hyperparameters } = lucid.paramGroups[0];
    const names = [...new Set([...this.#names(where), ...Object.keys(state)])];
    this.loadStateDict({ state: { ...state } as Record<string, ParamState>, paramGroups: [{ ...hyperparameters, params: names }] });
    this.iterations_ = iterations;
  }

  /**
   * The hyperparameters of `opt.optimizer.paramGroups[0]` now (a scheduler's latest lr included),
   * as lucid-optim names them: what `model.save` stores and {@link LucidAdam.fromConfig} rebuilds from.
   */
  getConfig(): serialization.ConfigDict {
    const { lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = this.optimizer.paramGroups[0];
    const config: serialization.ConfigDict = { lr, betas: [betas[0], betas[1]], eps, weightDecay, amsgrad, maximize };
    // AdamW takes no decoupledWeightDecay option (it is always on), as torch.optim.AdamW.
    if (!(this.optimizer instanceof AdamW)) config.decoupledWeightDecay = decoupledWeightDecay;
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
    for (const t of this.#weightTensors) t.dispose();
    this.#weightTensors = [];
    super.dispose();
  }

  /**
   * @internal NOT part of the API (stripped from the declarations). Whether reads may take
   * tfjs-backend-wasm's memory directly (see backend-memory.ts; default on): the tests run both
   * ways. {@link LucidAdam._backendReads} counts the reads that did.
   */
  _useBackendMemory(on: boolean): void {
    this.#useBackendMemory = on === true;
  }

  /** @internal See {@link LucidAdam._useBackendMemory}. */
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
    return `${(this.constructor as typeof LucidAdam).className}.${method}`;
  }

  #live(where: string): Adam {
    if (this.#disposed) throw new TypeError(`${where}: optimizer used after dispose()`);
    return this.optimizer;
  }

  /** The variable names of `optimizer.paramGroups[0].params`, in order. */
  #names(where: string): string[] {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== 1) {
      throw new TypeError(`${where}: opt.optimizer must keep its one group (lucid-optim/tfjs holds every variable in paramGroups[0]), got ${groups.length} groups`);
    }
    return groups[0].params.map((p) => p.name!);
  }

  /** Fills the step's lists with the variables that have a gradient, checking each; changes nothing. */
  #collect(where: string, variableGradients: NamedTensorMap | NamedGradient[]): void {
    const registered = engine().registeredVariables;
    const visit = (name: string, gradient: Tensor | null | undefined) => {
      if (gradient === null || gradient === undefined) return; // frozen, or no path to the loss
      const variable = registered[name] as Variable | undefined;
      if (variable === undefined) throw new TypeError(`${where}: no variable named ${quote(name)} is registered with tfjs (was it disposed?)`);
      if (variable.dtype !== 'float32') throw new TypeError(`${where}: variable ${quote(name)} must be float32, got ${variable.dtype}`);
      if (gradient.dtype !== 'float32') throw new TypeError(`${where}: the gradient of ${quote(name)} must be float32, got ${gradient.dtype}`);
      if (gradient.size !== variable.size) {
        throw new RangeError(`${where}: the gradient of ${quote(name)} must have ${variable.size} elements (the variable's size), got ${gradient.size}`);
      }
      const known = this.#params.get(name);
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
  }

  /**
   * Loads `positional` (a state dict over `names`: the known variables, then new ones, of `sizes`
   * elements) into a throwaway optimizer of this class with Parameters of those sizes: lucid-optim's own
   * checks, with nothing of this optimizer touched. Throws what they throw.
   */
  #checkOnScratch(positional: StateDict, names: string[], sizes: number[]): void {
    const params: Parameter[] = [];
    let scratch: Adam | undefined;
    try {
      names.forEach((name, i) => params.push(new Parameter(sizes[i], { name })));
      scratch = new (this.constructor as typeof LucidAdam).lucidClass([{ params }]);
      scratch.loadStateDict(positional);
    } finally {
      scratch?.dispose();
      for (const p of params) p.dispose();
    }
  }

  /**
   * Gives every variable of this step its Parameter, creating those seen for the first time. As
   * addParams cannot be undone, a step with no gradient set (it changes nothing) first makes
   * lucid-optim check the groups' hyperparameters, which the real step would refuse after.
   */
  #addNewParameters(where: string, lucid: Adam): void {
    const fresh: { name: string; length: number; shape: number[] }[] = [];
    for (const variable of this.#variables) {
      if (!this.#params.has(variable.name) && !fresh.some((f) => f.name === variable.name)) {
        fresh.push({ name: variable.name, length: variable.size, shape: variable.shape });
      }
    }
    if (fresh.length > 0) {
      lucid.step();
      this.#createParameters(where, fresh);
    }
    for (const variable of this.#variables) this.#stepped.push(this.#params.get(variable.name)!);
  }

  /** New Parameters (zeros: values are copied in before each step), appended to the optimizer's group. */
  #createParameters(where: string, specs: { name: string; length: number; shape: number[] }[]): Parameter[] {
    if (specs.length === 0) return [];
    const created: Parameter[] = [];
    try {
      for (const { name, length, shape } of specs) created.push(new Parameter(length, { name, shape }));
      this.optimizer.addParams(created, 0);
    } catch (error) {
      for (const p of created) p.dispose();
      throw error instanceof RangeError ? new RangeError(`${where}: ${error.message}`) : error;
    }
    for (const p of created) this.#params.set(p.name!, p);
    return created;
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
