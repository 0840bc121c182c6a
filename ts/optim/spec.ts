// An algorithm's spec, as Rust declares it (crates/optim-core/src/algorithms/*.rs, exported by
// crates/optim-wasm/src/spec.rs) and read once per algorithm: its options with torch's names and
// defaults, the slots they take in a group's row, the rules of those slots, its state buffers.
// Validation, messages, both state-dict shapes, the tfjs bridge and the documentation tables are
// built from it; nothing here retypes a field.

import { BufferUse, Extent, FieldKind, RawSpec, Rule, algorithmIndex, bufferShapeRaw, wasmMemory } from '../runtime/wasm.js';

/** One key of torch's param groups (but `params`). */
export interface FieldSpec {
  /** torch's name: `weight_decay`. */
  readonly torchName: string;
  /** lucid-optim's (camelCase): `weightDecay`. */
  readonly name: string;
  /**
   * `number`, `tuple` (`betas`, Muon's `nsCoefficients`: `width` numbers), `flag`, `choice` (one
   * of `choices`: Muon's `adjustLrFn`), or `torch`: one of torch's execution flags, not an option.
   */
  readonly kind: 'number' | 'tuple' | 'flag' | 'choice' | 'torch';
  /** Its first slot in a group's row (torch-only fields take none). */
  readonly slot: number;
  /** Slots it takes: a tuple's length, 1 for other options, 0 for torch's flags. */
  readonly width: number;
  /** A choice's values (`null`: Python's None), in the order of the index its slot holds; empty otherwise. */
  readonly choices: readonly (string | null)[];
  /** torch 2.15's default (a torch-only field: what torch saves, `null` for None). */
  readonly default: number | readonly (number | null)[] | boolean | string | null;
  /** A flag that is not an option of this class and always holds its default (AdamW's `decoupledWeightDecay`). */
  readonly fixed: boolean;
  /** The rule of each of its slots. */
  readonly rules: readonly Rule[];
}

/** One per-parameter state buffer. */
export interface BufferSpec {
  /** torch's key in `optimizer.state[p]`: `exp_avg`. */
  readonly torchName: string;
  /** lucid-optim's: `expAvg`. */
  readonly name: string;
  /** When it is in use: always, while the flag at `useSlot` is on, or while the number there is not 0. */
  readonly use: BufferUse;
  readonly useSlot: number;
  /** Whether a loaded state must have it while it is in use (torch raises a KeyError otherwise). */
  readonly required: boolean;
  /** How many elements it holds: the parameter's, or (Adafactor's `row_var`, `col_var`) one per row or column: {@link bufferShape}. */
  readonly extent: Extent;
  /** Whether it has the parameter's shape (`extent` is `Extent.Param`). */
  readonly ofParamShape: boolean;
}

/** A per-parameter state scalar besides `step`: a float32 0-d tensor in torch's state (NAdam's `mu_product`). */
export interface ScalarSpec {
  /** torch's key in `optimizer.state[p]`: `mu_product`. */
  readonly torchName: string;
  /** lucid-optim's: `muProduct`. */
  readonly name: string;
}

/** An algorithm, as its Rust spec declares it. */
export interface AlgorithmSpec {
  /** Its index in optim-core's registry, which RawOptimizer, checkRow and the others take. */
  readonly algorithm: number;
  /** torch's class name: `SGD`. */
  readonly name: string;
  /** Every key of torch's param groups (but `params`), in torch's order. */
  readonly fields: readonly FieldSpec[];
  /** The fields that are lucid-optim options (every field but torch's execution flags). */
  readonly options: readonly FieldSpec[];
  /** The options' names, in order. */
  readonly optionNames: readonly string[];
  /** f64 slots per group row. */
  readonly rowLen: number;
  /** Each slot's path in a group: `lr`, `betas[1]`. */
  readonly slotPaths: readonly string[];
  /** Whether the state counts steps (torch's `state['step']`). */
  readonly countsSteps: boolean;
  /** Whether the constructor creates every parameter's state, as torch's Adagrad does. */
  readonly eagerState: boolean;
  /** Whether every parameter must be a matrix (2-D), as torch's Muon requires. */
  readonly matricesOnly: boolean;
  /** Whether the algorithm takes sparse gradients, and only those (torch's SparseAdam). */
  readonly sparseGrads: boolean;
  /** Whether torch keeps `step` as a Python int (SparseAdam), not a float32 0-d tensor. */
  readonly intStep: boolean;
  /** The state's scalars besides `step`, in torch's order (they come before the buffers). */
  readonly scalars: readonly ScalarSpec[];
  readonly buffers: readonly BufferSpec[];
  /** torch's defaults of the options (tuples as frozen arrays). */
  readonly defaults: Readonly<Record<string, unknown>>;
}

/** `weight_decay` -> `weightDecay`, `t0` -> `t0`: how lucid-optim spells each of torch's names. */
export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const cache = new Map<string, AlgorithmSpec>();

/**
 * The spec of the algorithm torch calls `name` (`'RMSprop'`), read from WebAssembly once; throws the
 * `init()` error before `init()`, and a TypeError for a name optim-core has no algorithm for.
 */
export function specOf(name: string, where: string): AlgorithmSpec {
  wasmMemory(where);
  let spec = cache.get(name);
  if (spec === undefined) {
    const algorithm = algorithmIndex(name);
    if (algorithm === undefined) throw new TypeError(`${where}: lucid-optim has no algorithm named ${name}`);
    spec = readSpec(algorithm);
    cache.set(name, spec);
  }
  return spec;
}

const KINDS: Readonly<Record<FieldKind, FieldSpec['kind']>> = {
  [FieldKind.Number]: 'number',
  [FieldKind.Tuple]: 'tuple',
  [FieldKind.Flag]: 'flag',
  [FieldKind.Choice]: 'choice',
  [FieldKind.TorchOnly]: 'torch',
};

function readSpec(algorithm: number): AlgorithmSpec {
  const raw = new RawSpec(algorithm);
  try {
    const fields: FieldSpec[] = [];
    for (let i = 0; i < raw.fieldCount; i++) {
      const kind = KINDS[raw.fieldKind(i)];
      const slot = raw.fieldSlot(i);
      const value = (e: number) => raw.fieldDefault(i, e);
      const width = raw.fieldWidth(i);
      const choices = Object.freeze(Array.from({ length: raw.fieldChoiceCount(i) }, (_, k) => raw.fieldChoice(i, k) ?? null));
      const defaults: Record<FieldSpec['kind'], () => FieldSpec['default']> = {
        number: () => value(0),
        // A nullable element's default NaN is torch's None.
        tuple: () => Object.freeze(Array.from({ length: width }, (_, e) => (nullable(raw.slotRule(slot + e)) && Number.isNaN(value(e)) ? null : value(e)))),
        flag: () => value(0) === 1,
        choice: () => choices[value(0)],
        torch: () => (Number.isNaN(value(0)) ? null : value(0) === 1),
      };
      const torchName = raw.fieldName(i);
      fields.push(
        Object.freeze({
          torchName,
          name: camelCase(torchName),
          kind,
          slot,
          width,
          choices,
          default: defaults[kind](),
          fixed: raw.fieldFixed(i),
          rules: Object.freeze(Array.from({ length: width }, (_, e) => raw.slotRule(slot + e))),
        }),
      );
    }
    const options = fields.filter((f) => f.kind !== 'torch');
    const slotPaths: string[] = [];
    for (const f of options) {
      if (f.kind === 'tuple') for (let e = 0; e < f.width; e++) slotPaths.push(`${f.name}[${e}]`);
      else slotPaths.push(f.name);
    }
    const buffers: BufferSpec[] = [];
    for (let b = 0; b < raw.bufferCount; b++) {
      const torchName = raw.bufferName(b);
      buffers.push(
        Object.freeze({
          torchName,
          name: camelCase(torchName),
          use: raw.bufferUse(b),
          useSlot: raw.bufferUseSlot(b),
          required: raw.bufferRequired(b),
          extent: raw.bufferExtent(b),
          ofParamShape: raw.bufferExtent(b) === Extent.Param,
        }),
      );
    }
    const scalars: ScalarSpec[] = [];
    for (let k = 0; k < raw.scalarCount; k++) {
      const torchName = raw.scalarName(k);
      scalars.push(Object.freeze({ torchName, name: camelCase(torchName) }));
    }
    return Object.freeze({
      algorithm,
      name: raw.name,
      fields: Object.freeze(fields),
      options: Object.freeze(options),
      optionNames: Object.freeze(options.map((f) => f.name)),
      rowLen: raw.rowLen,
      slotPaths: Object.freeze(slotPaths),
      countsSteps: raw.countsSteps,
      eagerState: raw.eagerState,
      matricesOnly: raw.matricesOnly,
      sparseGrads: raw.sparseGrads,
      intStep: raw.intStep,
      scalars: Object.freeze(scalars),
      buffers: Object.freeze(buffers),
      defaults: Object.freeze(Object.fromEntries(options.map((f) => [f.name, f.default]))),
    });
  } finally {
    raw.free();
  }
}

/** The shape of `spec`'s buffer `b` for a parameter of shape `shape` (Rust's `Extent`: Adafactor's `row_var` is the shape with its last dimension 1). */
export function bufferShape(spec: AlgorithmSpec, b: number, shape: readonly number[]): number[] {
  return spec.buffers[b].extent === Extent.Param ? [...shape] : Array.from(bufferShapeRaw(spec.algorithm, b, Float64Array.from(shape)));
}

/** The number of elements of `spec`'s buffer `b` for a parameter of shape `shape`. */
export function bufferLength(spec: AlgorithmSpec, b: number, shape: readonly number[]): number {
  return bufferShape(spec, b, shape).reduce((n, d) => n * d, 1);
}

/** Whether slot rule `rule` lets a tuple element be `null` (torch's None: Adafactor's `eps[0]`), which a row holds as NaN. */
export function nullable(rule: Rule): boolean {
  return rule === Rule.NonNegativeOrNone;
}

/**
 * Writes a group's options into `row` (at `offset`), as Rust reads them: numbers as they are,
 * tuples one number per slot (`null`, torch's None, as NaN), flags as 0 or 1, a choice as its index.
 */
export function writeRow(spec: AlgorithmSpec, group: Readonly<Record<string, unknown>>, row: Float64Array, offset = 0): void {
  for (const f of spec.options) {
    const value = group[f.name];
    if (f.kind === 'tuple') {
      const tuple = value as readonly (number | null)[];
      for (let e = 0; e < f.width; e++) row[offset + f.slot + e] = tuple[e] ?? NaN;
    } else if (f.kind === 'choice') {
      row[offset + f.slot] = f.choices.indexOf(value as string | null);
    } else {
      row[offset + f.slot] = f.kind === 'flag' ? (value ? 1 : 0) : (value as number);
    }
  }
}
