import { describe, rangeError, typeError, unknownKeyError, usedAfterDispose } from '../runtime/errors.js';
import { checkInteger, checkValues } from '../runtime/validate.js';
import { ErrorKind, RawParameter, copyIfIn, isDetached, outOfMemoryMessage, rustError, wasmLimits, wasmMemory } from '../runtime/wasm.js';

const OPTION_KEYS: readonly string[] = Object.freeze(['name', 'shape']);

/**
 * A sparse gradient (`p.grad = { indices, values }`), as `nn.Embedding(sparse=True)` makes them:
 * rows of the parameter's first dimension, repeats allowed (their values are summed, as torch's
 * `coalesce()` sums them), and their values, row after row. Only {@link SparseAdam} takes one.
 */
export interface SparseGrad {
  /** The rows, integers in `[0, shape[0])`. */
  indices: ArrayLike<number>;
  /** `indices.length` rows of `length / shape[0]` values each. */
  values: ArrayLike<number>;
}

/** A sparse gradient as {@link Parameter.sparseGrad} reads it back: copies, in the order given. */
export interface SparseGradCopy {
  /** The rows, as given (not coalesced). */
  indices: Uint32Array;
  /** Their values, `indices.length` rows. */
  values: Float32Array;
}

/** Optional metadata of a {@link Parameter}. */
export interface ParameterOptions {
  /** Shown in error messages and kept in your model code; not used by the optimizer. */
  name?: string;
  /** Logical shape; its product must equal the number of elements. Defaults to `[length]`. */
  shape?: readonly number[];
}

/**
 * A flat `f32` tensor whose data and gradient live in WebAssembly memory, where the optimizer
 * updates them in place.
 *
 * Owns WebAssembly memory: call {@link Parameter.dispose} when done with it (a
 * `FinalizationRegistry` frees it eventually if you forget).
 *
 * `data` and `grad` are live `Float32Array` views: writing into them writes the parameter. A view
 * is valid until WebAssembly memory grows, after which it is detached (length 0). Memory can grow
 * whenever lucid-optim allocates: creating a parameter, a parameter's first `grad`, `new Adam` and
 * `addParamGroup`, a parameter's first `step()` (its state) or AMSGrad switched on,
 * `loadStateDict`, `reserve`. Read `param.data` again after such calls rather than keeping a view
 * across them; the getter is cheap and always returns a valid view. A view also must not be used
 * after {@link Parameter.dispose}: its memory may then belong to another parameter.
 *
 * @example
 * ```ts
 * await init();
 * const w = new Parameter([1, 2, 3], { name: 'w' });
 * w.grad = [0.1, -0.2, 0.3];
 * ```
 */
export class Parameter {
  /** Number of elements. */
  readonly length: number;
  /** Logical shape (product = `length`). */
  readonly shape: readonly number[];
  /** The name given at construction, if any. */
  readonly name: string | undefined;
  /** @internal */
  readonly raw: RawParameter;
  /** @internal Its id in WebAssembly's registry (what `clipGradNorm` passes instead of a pointer); read once. */
  readonly id: number;
  #dataView: Float32Array | undefined;
  #gradView: Float32Array | undefined;
  // Mirror the Rust state so that hot paths (every optimizer step, every grad write) need no
  // call into WebAssembly.
  #disposed = false;
  #gradAllocated = false;
  #sparse = false;

  /**
   * @param init initial values (copied in), or a length for a zero-filled parameter
   * @param options name and shape
   */
  constructor(init: ArrayLike<number> | number, options: ParameterOptions = {}) {
    const where = 'Parameter';
    const memory = wasmMemory(where);
    const { maxElements } = wasmLimits(where);
    if (options === null || typeof options !== 'object') {
      throw typeError(where, 'options', 'an object', options);
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) throw unknownKeyError(where, `options.${key}`, OPTION_KEYS, (options as Record<string, unknown>)[key]);
    }
    const { name, shape } = options;
    if (name !== undefined && typeof name !== 'string') throw typeError(where, 'options.name', 'a string', name);
    let length: number;
    let values: ArrayLike<number> | undefined;
    if (typeof init === 'number') {
      length = checkInteger(where, 'length', init, 1);
      if (length > maxElements) throw rangeError(where, 'length', `at most ${maxElements} (2 GiB of f32, the most one WebAssembly buffer holds)`, length);
    } else {
      if (ArrayBuffer.isView(init) && isDetached(init)) checkValues(where, 'init', init, 1); // explains it
      notAParameter(where, 'init', init);
      length = typeof init === 'object' && init !== null ? (init as ArrayLike<number>).length : NaN;
      if (!Number.isInteger(length)) throw typeError(where, 'init', 'an array of numbers or a length', init);
      if (length < 1) throw rangeError(where, 'init.length', '>= 1', length);
      if (length > maxElements) throw rangeError(where, 'init.length', `at most ${maxElements}`, length);
      // A view into WebAssembly memory (another parameter's data) would be detached by growth.
      values = copyIfIn(checkValues(where, 'init', init, length), memory.buffer);
    }
    const fullShape = shape === undefined ? [length] : checkShape(where, shape, length);
    let raw: RawParameter;
    try {
      raw = new RawParameter(length);
    } catch (error) {
      throw new RangeError(`${where}: cannot create ${length} elements: ${outOfMemoryMessage(rustError(error))}`);
    }
    // Rust keeps what algorithms that take matrices read (the dimensions and the last two);
    // every parameter starts 1-D there. The shape was checked above: this cannot fail.
    if (fullShape.length !== 1) raw.setShape(Float64Array.from(fullShape));
    this.raw = raw;
    this.id = raw.id;
    this.length = length;
    this.shape = Object.freeze(fullShape);
    this.name = name;
    if (values !== undefined) new Float32Array(memory.buffer, raw.dataPtr(), length).set(values);
  }

  /** Live view of the values. Assigning copies values in (same length required). */
  get data(): Float32Array {
    this.#assertLive('data');
    const memory = wasmMemory(this.#where);
    if (this.#dataView?.buffer !== memory.buffer) {
      this.#dataView = new Float32Array(memory.buffer, this.raw.dataPtr(), this.length);
    }
    return this.#dataView;
  }

  /** Copies `values` in (the parameter's length; a TypeError or RangeError otherwise). */
  set data(values: ArrayLike<number>) {
    this.#assertLive('data');
    notAParameter(this.#where, 'data', values);
    const checked = checkValues(this.#where, 'data', values, this.length);
    this.data.set(checked);
  }

  /**
   * Live view of the (dense) gradient, or `null` when there is none (the optimizer then skips this
   * parameter) or the gradient is sparse (read {@link Parameter.sparseGrad}).
   */
  get grad(): Float32Array | null {
    this.#assertLive('grad');
    if (this.#sparse || !this.raw.hasGrad) return null;
    const memory = wasmMemory(this.#where);
    if (this.#gradView?.buffer !== memory.buffer) {
      this.#gradView = new Float32Array(memory.buffer, this.raw.gradPtr(), this.length);
    }
    return this.#gradView;
  }

  /**
   * Copies a gradient in (same length required), or clears it with `null`; or sets a sparse
   * gradient, `{ indices, values }` ({@link SparseGrad}: for {@link SparseAdam}).
   */
  set grad(values: ArrayLike<number> | SparseGrad | null) {
    this.#assertLive('grad');
    if (values === null) {
      this.raw.setHasGrad(false);
      this.#sparse = false;
      return;
    }
    if (isSparseGrad(values)) {
      this.#setSparse(values);
      return;
    }
    if (values === undefined) throw typeError(this.#where, 'grad', 'an array of numbers or null', values);
    notAParameter(this.#where, 'grad', values);
    let checked = checkValues(this.#where, 'grad', values, this.length);
    if (!this.#gradAllocated) {
      // The first gradient allocates, which may grow memory and detach a view passed in.
      checked = copyIfIn(checked, wasmMemory(this.#where).buffer);
      this.#allocateGrad();
    }
    this.raw.setHasGrad(true);
    this.#sparse = false;
    this.grad!.set(checked);
  }

  /**
   * A copy of the sparse gradient (`indices` as a `Uint32Array`, `values` as a `Float32Array`), or
   * `null` when the gradient is dense or absent.
   */
  get sparseGrad(): SparseGradCopy | null {
    this.#assertLive('sparseGrad');
    if (!this.#sparse || !this.raw.hasGrad) return null;
    return { indices: this.raw.sparseIndices(), values: this.raw.sparseValues() };
  }

  /**
   * Clears the gradient, as `torch.Tensor.grad = None` (`setToNone`, the default), or fills an
   * existing gradient with zeros. A parameter without a gradient keeps none either way, as in
   * PyTorch's `zero_grad`.
   */
  zeroGrad(setToNone = true): void {
    this.#assertLive('zeroGrad');
    if (typeof setToNone !== 'boolean') throw typeError(`${this.#where}.zeroGrad`, 'setToNone', 'a boolean', setToNone);
    if (!this.raw.hasGrad) return;
    if (setToNone) {
      this.raw.setHasGrad(false);
      this.#sparse = false;
    } else if (this.#sparse) {
      // torch's zero_() of a sparse gradient: no rows left.
      this.raw.setSparseGrad(new Uint32Array(0), new Float32Array(0));
    } else {
      this.grad!.fill(0);
    }
  }

  /** True once {@link Parameter.dispose} has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Frees this parameter's WebAssembly memory now. Optimizers holding it refuse to step or load a
   * state dict afterwards; any other use of the parameter throws a `TypeError` (`length`, `shape`
   * and `name` stay readable). Views taken before must not be used. Calling it twice is harmless.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.raw.dispose(); // frees the buffers even while an optimizer still shares them
    this.raw.free(); // and this handle
    this.#dataView = undefined;
    this.#gradView = undefined;
  }

  /** @internal e.g. `Parameter 'w1'` */
  get label(): string {
    return this.name === undefined ? 'Parameter' : `Parameter ${describe(this.name)}`;
  }

  get #where(): string {
    return this.label;
  }

  #setSparse(grad: SparseGrad): void {
    const where = this.#where;
    for (const key of Object.keys(grad)) {
      if (key !== 'indices' && key !== 'values') throw unknownKeyError(where, `grad.${key}`, ['indices', 'values'], (grad as unknown as Record<string, unknown>)[key]);
    }
    const { indices, values } = grad;
    if (indices === null || typeof indices !== 'object' || typeof (indices as ArrayLike<unknown>).length !== 'number') {
      throw typeError(where, 'grad.indices', 'an array of row indices (integers)', indices);
    }
    const rows = Uint32Array.from({ length: indices.length }, (_, i) => checkInteger(where, `grad.indices[${i}]`, indices[i], 0, 2 ** 32 - 1));
    const width = this.length / (this.shape[0] ?? 1);
    const memory = wasmMemory(where);
    const checked = copyIfIn(checkValues(where, 'grad.values', values, rows.length * width), memory.buffer);
    try {
      this.raw.setSparseGrad(rows, checked instanceof Float32Array ? checked : Float32Array.from(checked));
    } catch (error) {
      const e = rustError(error);
      if (e.kind !== ErrorKind.OutOfRange) throw new RangeError(`${where}: cannot hold its sparse gradient: ${outOfMemoryMessage(e)}`);
      const first = this.shape[0] ?? 1;
      throw rangeError(where, `grad.indices[${e.param}]`, `a row of the first dimension, an integer in [0, ${first - 1}]`, e.value);
    }
    this.#sparse = true;
  }

  #allocateGrad(): void {
    try {
      this.raw.gradPtr();
    } catch (error) {
      throw new RangeError(`${this.#where}: cannot create its gradient (${this.length} elements): ${outOfMemoryMessage(rustError(error))}`);
    }
    this.#gradAllocated = true;
  }

  #assertLive(what: string): void {
    if (this.#disposed) throw usedAfterDispose(this.#where, what);
  }
}

/** Whether a gradient given is a sparse one: an object with `indices` (not an array of numbers itself). */
function isSparseGrad(value: unknown): value is SparseGrad {
  return value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Array.isArray(value) && 'indices' in value;
}

/** A Parameter is array-like (it has a length) but holds no values: say what to pass instead. */
function notAParameter(where: string, field: string, value: unknown): void {
  if (value instanceof Parameter) throw typeError(where, field, 'values, not a Parameter (pass param.data to copy its values)', value);
}

function checkShape(where: string, shape: unknown, length: number): number[] {
  if (!Array.isArray(shape)) throw typeError(where, 'options.shape', 'an array of integers', shape);
  shape.forEach((size, i) => checkInteger(where, `options.shape[${i}]`, size, 0));
  const product = shape.reduce((a: number, b: number) => a * b, 1);
  if (product !== length) {
    throw rangeError(where, 'options.shape', `a shape with ${length} elements`, shape);
  }
  return [...shape];
}
