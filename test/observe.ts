// observe(): everything a user can observe of some parameters and optimizers, as plain data, for
// the "a refused call changes nothing" assertions of every suite:
//
//   const before = observe(params, [opt]);
//   expect(() => opt.step()).toThrow(RangeError);
//   expect(observe(params, [opt])).toEqual(before);
//
// It captures each parameter's data, whether it has a gradient and the gradient; each optimizer's
// paramGroups (live objects: hyperparameters, extra keys, which parameters), defaults, stateDict()
// (state, whatever the algorithm keeps, and saved groups), the non-finite guard (skipNonFinite, onNonFinite, skippedSteps,
// lastStepSkipped); and what lucid-optim has allocated (memoryStats' allocatedBytes and
// allocations: a refused call leaks nothing). Disposed objects observe as 'disposed'.
//
// Buffers are compared by a SHA-256 of their bytes: exact to the bit (NaN payloads, -0) and fast
// for the megabytes of the out-of-memory suite; short ones also carry their values, so that a
// failing comparison shows which element changed.
import { createHash } from 'node:crypto';
import { memoryStats, type Optimizer, type Parameter } from 'lucid-optim';

/** Buffers up to this length also keep their values in the observation (for readable diffs). */
const SHOWN = 64;

/** A float32 buffer, observed. */
export interface ObservedBuffer {
  length: number;
  sha256: string;
  values?: number[];
}

export type ObservedParameter = 'disposed' | { data: ObservedBuffer; hasGrad: boolean; grad: ObservedBuffer | null };

export interface ObservedOptimizer {
  /** Live groups: every key as a deep copy, `params` as observed-parameter indices (see `paramRef`). */
  paramGroups: Record<string, unknown>[];
  defaults: unknown;
  stateDict: {
    /** Each state's entries: numbers (`step`) as they are, buffers observed. */
    state: Record<string, Record<string, number | ObservedBuffer>>;
    paramGroups: unknown[];
  };
  skipNonFinite: boolean;
  onNonFinite: unknown;
  skippedSteps: number;
  lastStepSkipped: boolean;
}

export interface Observation {
  params: ObservedParameter[];
  optimizers: ('disposed' | ObservedOptimizer)[];
  memory: { allocatedBytes: number; allocations: number };
}

/** Exact fingerprint of a float32 buffer (a view into WebAssembly memory or a copy). */
export function observeBuffer(values: Float32Array): ObservedBuffer {
  const sha256 = createHash('sha256').update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest('hex');
  return values.length <= SHOWN ? { length: values.length, sha256, values: Array.from(values) } : { length: values.length, sha256 };
}

const ids = new WeakMap<Parameter, number>();
let lastId = 0;
/** A parameter as a group refers to it: its index in `observed`, or a stable id if it is not there. */
function paramRef(p: Parameter, observed: readonly Parameter[]): number | string {
  const index = observed.indexOf(p);
  if (index >= 0) return index;
  if (!ids.has(p)) ids.set(p, ++lastId);
  return `unobserved parameter #${ids.get(p)}`;
}

function observeParameter(p: Parameter): ObservedParameter {
  if (p.disposed) return 'disposed';
  const grad = p.grad;
  return { data: observeBuffer(p.data), hasGrad: grad !== null, grad: grad === null ? null : observeBuffer(grad) };
}

/** Any optimizer (Adam, SGD, ...), as far as observing it goes. */
type AnyOptimizer = Optimizer<object, object, object>;

function observeOptimizer(opt: AnyOptimizer, params: readonly Parameter[]): 'disposed' | ObservedOptimizer {
  if (opt.disposed) return 'disposed';
  const saved = opt.stateDict();
  const state: ObservedOptimizer['stateDict']['state'] = {};
  for (const [index, s] of Object.entries(saved.state as Record<string, Record<string, unknown>>)) {
    state[index] = Object.fromEntries(Object.entries(s).map(([key, value]) => [key, value instanceof Float32Array ? observeBuffer(value) : (value as number)]));
  }
  return {
    paramGroups: (opt.paramGroups as { params: readonly Parameter[] }[]).map(({ params: groupParams, ...rest }) => ({
      ...structuredClone(rest),
      params: groupParams.map((p) => paramRef(p, params)),
    })),
    defaults: structuredClone(opt.defaults),
    stateDict: { state, paramGroups: structuredClone(saved.paramGroups) },
    skipNonFinite: opt.skipNonFinite,
    onNonFinite: opt.onNonFinite,
    skippedSteps: opt.skippedSteps,
    lastStepSkipped: opt.lastStepSkipped,
  };
}

/** Everything observable of `params` and `optimizers`, and lucid-optim's allocations (read last). */
export function observe(params: readonly Parameter[], optimizers: readonly AnyOptimizer[] = []): Observation {
  const observed = {
    params: params.map(observeParameter),
    optimizers: optimizers.map((opt) => observeOptimizer(opt, params)),
  };
  const { allocatedBytes, allocations } = memoryStats();
  return { ...observed, memory: { allocatedBytes, allocations } };
}
