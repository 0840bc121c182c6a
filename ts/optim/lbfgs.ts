// torch.optim.LBFGS (torch 2.15, torch/optim/lbfgs.py): the loop of one `step(closure)`, its
// stopping rules and the strong-Wolfe line search are scalar host logic, here, in torch's order;
// every operation on vectors (the flat gradient, the two-loop recursion, p += t·d, dot products)
// is Rust's (crates/optim-core/src/lbfgs.rs), one WebAssembly call each.

import type { Parameter } from '../nn/parameter.js';
import { liveParameters } from '../nn/param-list.js';
import { describe, rangeError, typeError, unknownKeyError, usedAfterDispose } from '../runtime/errors.js';
import { checkBoolean, checkInteger, checkNumber } from '../runtime/validate.js';
import { LbfgsOp, LbfgsVector, outOfMemoryMessage, RawLbfgs, rustError, wasmMemory } from '../runtime/wasm.js';
import { camelCaseKey, snakeCase } from '../torch/optimizer-state-dict.js';
import { isTorchTensor, type TorchTensor } from '../torch/tensor.js';
import { checkBuffer, savedBuffer } from './state-dict.js';

/** LBFGS's options (torch's names in camelCase, torch 2.15's defaults). All optional. */
export interface LBFGSOptions {
  /** The step length's scale, `>= 0`. Default `1`. */
  lr?: number;
  /** Iterations per `step`, an integer `>= 1`. Default `20`. */
  maxIter?: number;
  /** Closure calls per `step`, an integer `>= 1`; `null`: `floor(maxIter * 5 / 4)`. Default `null`. */
  maxEval?: number | null;
  /** Stop when the gradient's largest magnitude is at most this. Default `1e-7`. */
  toleranceGrad?: number;
  /** Stop when the step, or the change of the loss, is smaller than this. Default `1e-9`. */
  toleranceChange?: number;
  /** How many past steps the inverse-Hessian estimate keeps, an integer `>= 1`. Default `100`. */
  historySize?: number;
  /** `'strong_wolfe'`: a line search for each step's length; `null`: the fixed length `lr`. Default `null`. */
  lineSearchFn?: 'strong_wolfe' | null;
  /** Maximize the objective (the closure's loss) instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** LBFGS's options, resolved. */
export interface LBFGSHyperparameters {
  /** The step length's scale (a scheduler may set it). */
  lr: number;
  /** Iterations per `step`. */
  maxIter: number;
  /** Closure calls per `step`. */
  maxEval: number;
  /** The gradient's tolerance. */
  toleranceGrad: number;
  /** The step's and the loss's tolerance. */
  toleranceChange: number;
  /** Steps kept. */
  historySize: number;
  /** The line search, or `null`. */
  lineSearchFn: 'strong_wolfe' | null;
  /** Whether the loss is maximized. */
  maximize: boolean;
}

/** LBFGS's one group: its options, its parameters, and keys a scheduler adds (`initialLr`, kept and saved as torch keeps them). */
export type LBFGSParamGroup = LBFGSHyperparameters & {
  /** The parameters, in the order of the flat vectors. */
  params: Parameter[];
  [key: string]: unknown;
};

/** LBFGS's state, torch's `state[params[0]]` with camelCase keys (absent before the first `step`). */
export interface LBFGSState {
  /** Closure calls so far (torch's `func_evals`). */
  funcEvals: number;
  /** Iterations so far (torch's `n_iter`). */
  nIter: number;
  /** The last direction, over all parameters' elements (torch's `d`). */
  d?: Float32Array;
  /** The last step length (torch's `t`). */
  t?: number;
  /** The kept gradient differences `y`, oldest first (torch's `old_dirs`). */
  oldDirs?: Float32Array[];
  /** The kept steps `s` (torch's `old_stps`). */
  oldStps?: Float32Array[];
  /** `1 / (y · s)` of each kept pair (torch's `ro`). */
  ro?: number[];
  /** The initial inverse Hessian's scale (torch's `H_diag`). */
  hDiag?: number;
  /** The last flat gradient (torch's `prev_flat_grad`). */
  prevFlatGrad?: Float32Array;
  /** The last loss (torch's `prev_loss`). */
  prevLoss?: number;
  /** The recursion's coefficients, `historySize` entries, `null` where unused (torch's `al`). */
  al?: (number | null)[];
}

/** What {@link LBFGS.stateDict} returns: torch's layout, camelCased. */
export interface LBFGSStateDict {
  /** Parameter 0's entry holds the whole state, as torch keeps it; empty before the first step. */
  state: Record<number, LBFGSState>;
  /** The one group, its parameters as indices. */
  paramGroups: (LBFGSHyperparameters & {
    /** The parameters' indices. */
    params: number[];
    [key: string]: unknown;
  })[];
}

/** The options, in torch's order (torch's names are their snake_case). */
const OPTION_KEYS = ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn', 'maximize'] as const;
const STATE_KEYS = ['funcEvals', 'nIter', 'd', 't', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss', 'al'] as const;
const TORCH_STATE: Record<(typeof STATE_KEYS)[number], string> = {
  funcEvals: 'func_evals',
  nIter: 'n_iter',
  d: 'd',
  t: 't',
  oldDirs: 'old_dirs',
  oldStps: 'old_stps',
  ro: 'ro',
  hDiag: 'H_diag',
  prevFlatGrad: 'prev_flat_grad',
  prevLoss: 'prev_loss',
  al: 'al',
};

/** Gradient slots Rust keeps (optim-core's `GRAD_SLOTS`): the line search holds at most five at once. */
const SLOTS = 6;
const f32 = Math.fround;

/**
 * L-BFGS, as `torch.optim.LBFGS` computes it: each `step(closure)` runs up to `maxIter`
 * iterations, calling `closure` (which must write every parameter's `grad` and return the loss)
 * up to `maxEval` times, with torch's stopping rules, history and, with `lineSearchFn:
 * 'strong_wolfe'`, torch's line search. One group only, as torch's.
 *
 * Its dot products and sums are reductions, which torch hands to BLAS in float32 and lucid-optim
 * sums in float64: on well-conditioned problems it calls the closure as often as torch and ends
 * near torch's parameters (docs/fidelity.md gives the measured distance). Not a TensorFlow.js
 * optimizer: tfjs's optimizers take one gradient per step, not a closure.
 *
 * Owns WebAssembly memory (its history): call {@link LBFGS.dispose} when done.
 *
 * @example
 * ```ts
 * await init();
 * const x = new Parameter([1.5, -0.5]);
 * const opt = new LBFGS([x], { lineSearchFn: 'strong_wolfe' });
 * const loss = opt.step(() => {
 *   const [a, b] = x.data;
 *   x.grad = [2 * (a - 3), 4 * (b + 1)];
 *   return (a - 3) ** 2 + 2 * (b + 1) ** 2;
 * });
 * ```
 */
export class LBFGS {
  /** torch's name of the class. */
  static readonly torchName: string = 'LBFGS';
  /** The one group: its options (a scheduler may set `lr`) and parameters. */
  readonly paramGroups: [LBFGSParamGroup];
  /** The options every group starts from: torch's defaults, overridden by the constructor's options. */
  readonly defaults: Readonly<LBFGSHyperparameters>;
  #raw: RawLbfgs | undefined;
  #state: LBFGSState | undefined;

  /**
   * @param params the parameters, or a list with one group `{ params, ...options }` (torch:
   *   "LBFGS doesn't support per-parameter options (parameter groups)")
   * @param options the options (torch's defaults otherwise)
   */
  constructor(params: Iterable<Parameter> | Iterable<{ params: Iterable<Parameter> } & LBFGSOptions>, options: LBFGSOptions = {}) {
    const where = 'LBFGS';
    const defaults = resolve(where, 'options', options, undefined);
    const list = params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function' ? undefined : [...(params as Iterable<unknown>)];
    if (list === undefined) throw typeError(where, 'params', 'an iterable of Parameters, or of one group { params, ...options }', params);
    let group: LBFGSHyperparameters = defaults;
    let members: unknown = list;
    if (list.length > 0 && list[0] !== null && typeof list[0] === 'object' && 'params' in (list[0] as object)) {
      if (list.length !== 1) throw rangeError(where, 'params', "one group (torch: \"LBFGS doesn't support per-parameter options (parameter groups)\")", `${list.length} groups`);
      const { params: inner, ...rest } = list[0] as { params: unknown } & LBFGSOptions;
      group = resolve(where, 'params[0]', rest, defaults);
      members = inner;
    }
    const parameters = [...liveParameters(where, members, 'an iterable of Parameters')];
    if (new Set(parameters).size !== parameters.length) throw rangeError(where, 'params', 'distinct Parameters', 'a Parameter listed twice');
    const raw = new RawLbfgs(group.historySize);
    for (const p of parameters) raw.addParam(p.raw);
    this.#raw = raw;
    this.defaults = Object.freeze({ ...defaults });
    this.paramGroups = [{ params: parameters, ...group }];
  }

  /** True once {@link LBFGS.dispose} has been called. */
  get disposed(): boolean {
    return this.#raw === undefined;
  }

  /** Frees the history's WebAssembly memory. The parameters stay; later calls throw. Calling it twice is harmless. */
  dispose(): void {
    this.#raw?.free();
    this.#raw = undefined;
  }

  /** Clears every parameter's gradient (`setToNone`, the default) or fills it with zeros, as torch's `zero_grad`. */
  zeroGrad(setToNone = true): void {
    this.#live('zeroGrad');
    for (const p of this.paramGroups[0].params) p.zeroGrad(setToNone);
  }

  #live(what: string): RawLbfgs {
    if (this.#raw === undefined) throw usedAfterDispose(`LBFGS.${what}`);
    return this.#raw;
  }

  /** Runs `op` in Rust (see crates/optim-wasm's `LbfgsOp`), turning a refusal into a readable error. */
  #run(what: string, op: LbfgsOp, slot = 0, x = 0, flag = false): number {
    const raw = this.#live(what);
    const value = raw.run(op, slot, x, flag);
    if (Number.isNaN(value)) {
      const error = raw.takeError();
      if (error !== undefined) this.#throw(what, error);
    }
    return value;
  }

  #throw(what: string, error: unknown): never {
    const e = rustError(error);
    const where = `LBFGS.${what}`;
    if (e.bytes > 0) throw new RangeError(`${where}: cannot hold LBFGS's state: ${outOfMemoryMessage(e)}`);
    if (e.param !== undefined) {
      const p = this.paramGroups[0].params[e.param];
      throw new TypeError(`${where}: params[${e.param}] (${p?.label ?? 'Parameter'}) was disposed`);
    }
    throw new RangeError(`${where}: ${describe(e.value)} is out of range`);
  }

  /** A copy of one of Rust's vectors (`length` values), or undefined where there is none; JSON writes it exactly. */
  #vector(which: LbfgsVector, length: number, i = 0): Float32Array | undefined {
    const ptr = this.#live('stateDict').vector(which, i);
    return ptr === 0 ? undefined : savedBuffer(new Float32Array(wasmMemory('LBFGS.stateDict').buffer, ptr, length).slice());
  }

  /**
   * Runs torch's `LBFGS.step(closure)`: up to `maxIter` iterations and `maxEval` closure calls.
   * `closure` must write every parameter's `grad` (dense, or sparse) and return the loss, a
   * number. Returns the loss of the first call, as torch does.
   *
   * An error the closure throws propagates at once, as in torch (the parameters may have moved
   * by then); a first call that returns no number is a TypeError that changes nothing.
   */
  step(closure: () => number): number {
    this.#live('step');
    const where = 'LBFGS.step';
    if (typeof closure !== 'function') throw typeError(where, 'closure', 'a function that writes the gradients and returns the loss', closure);
    const group = this.paramGroups[0];
    const { params } = group;
    checkGroup(where, group);
    const evaluate = (): number => {
      const value = closure();
      if (typeof value !== 'number') throw typeError(where, 'closure()', 'a number (the loss)', value);
      return value;
    };
    if (params.length === 0) return evaluate();
    for (const [i, p] of params.entries()) if (p.disposed) throw new TypeError(`${where}: params[${i}] (${p.label}) was disposed`);
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, maximize } = group;
    this.#run('step', LbfgsOp.Reserve);

    const origLoss = evaluate();
    const state = (this.#state ??= { funcEvals: 0, nIter: 0 });
    let loss = maximize ? -origLoss : origLoss;
    let currentEvals = 1;
    state.funcEvals += 1;

    // A gather writes a slot no live variable holds (`keep`): slots are never changed while held.
    const gather = (keep: readonly number[]): [number, number] => {
      let slot = 0;
      while (keep.includes(slot)) slot++;
      const absMax = this.#run('step', LbfgsOp.Gather, slot, 0, maximize);
      return [slot, absMax];
    };
    let [flatGrad, absMax] = gather([]);
    let optCond = absMax <= toleranceGrad;
    if (optCond) return origLoss;

    let t = state.t ?? 0;
    let prevLoss = state.prevLoss ?? 0;
    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.nIter += 1;
      // The direction, and prev_flat_grad = flat_grad (Rust), from this iteration's gradient.
      const first = state.nIter === 1;
      this.#run('step', LbfgsOp.Direction, flatGrad, f32(t), first);
      state.al = this.#alFromRust();
      prevLoss = loss;
      // The step length's first guess.
      if (first) {
        const inverse = f32(1 / this.#run('step', LbfgsOp.AbsSum, flatGrad));
        t = inverse < 1 ? f32(inverse * f32(lr)) : lr;
      } else {
        t = lr;
      }
      const gtd = this.#run('step', LbfgsOp.DotD, flatGrad);
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        this.#run('step', LbfgsOp.SaveParams);
        const objective = (step: number, keep: readonly number[]): [number, number] => {
          this.#run('step', LbfgsOp.AddGrad, 0, f32(step));
          const value = evaluate();
          const [slot] = gather(keep);
          this.#run('step', LbfgsOp.RestoreParams);
          return [maximize ? -value : value, slot];
        };
        const found = strongWolfe(objective, (slot) => this.#run('step', LbfgsOp.DotD, slot), this.#run('step', LbfgsOp.DAbsMax), t, loss, flatGrad, gtd, toleranceChange, maxEval - currentEvals);
        [loss, flatGrad, t, lsFuncEvals] = found;
        this.#run('step', LbfgsOp.AddGrad, 0, f32(t));
        // The gradient the line search returned (not the last one the closure wrote).
        const g = flatGrad;
        optCond = this.#run('step', LbfgsOp.AbsMax, g) <= toleranceGrad;
      } else {
        this.#run('step', LbfgsOp.AddGrad, 0, f32(t));
        if (nIter !== maxIter) {
          const value = evaluate();
          loss = maximize ? -value : value;
          [flatGrad, absMax] = gather([]);
          optCond = absMax <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.funcEvals += lsFuncEvals;

      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (this.#run('step', LbfgsOp.DAbsMax, 0, f32(t), true) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    state.t = t;
    state.prevLoss = prevLoss;
    return origLoss;
  }

  /** torch's `al`: `historySize` entries (None before use), once the recursion has run. */
  #alFromRust(): (number | null)[] | undefined {
    const length = this.#run('step', LbfgsOp.AlLen);
    const al = length === 0 ? undefined : this.#vector(LbfgsVector.Al, length);
    return al === undefined ? this.#state?.al : Array.from(al, (v) => (Number.isNaN(v) ? null : v));
  }

  /**
   * The state and the group: lucid's shape (camelCase, typed arrays), or with `{ format: 'torch' }`
   * torch's own (a `Map`, tensors and lists as `optimizer.state_dict()` holds them), for {@link saveTorch}.
   */
  stateDict(options: { format?: 'lucid' | 'torch' } = {}): LBFGSStateDict {
    this.#live('stateDict');
    const format = options?.format ?? 'lucid';
    if (format !== 'lucid' && format !== 'torch') throw rangeError('LBFGS.stateDict', 'options.format', "'lucid' or 'torch'", format);
    const { params, ...group } = this.paramGroups[0];
    const state: Record<number, LBFGSState> = {};
    if (this.#state !== undefined) {
      const s: LBFGSState = { funcEvals: this.#state.funcEvals, nIter: this.#state.nIter };
      if (this.#state.t !== undefined) {
        const n = params.reduce((sum, p) => sum + p.length, 0);
        const k = this.#run('stateDict', LbfgsOp.HistoryLen);
        const pairs = (which: LbfgsVector) => Array.from({ length: k }, (_, i) => this.#vector(which, n, i) ?? new Float32Array(0));
        Object.assign(s, {
          d: this.#vector(LbfgsVector.D, n),
          t: this.#state.t,
          oldDirs: pairs(LbfgsVector.OldDir),
          oldStps: pairs(LbfgsVector.OldStp),
          ro: Array.from(this.#vector(LbfgsVector.Ro, k) ?? []),
          hDiag: this.#run('stateDict', LbfgsOp.HDiag),
          prevFlatGrad: this.#vector(LbfgsVector.PrevFlatGrad, n),
          prevLoss: this.#state.prevLoss,
        });
        if (this.#state.al !== undefined) s.al = [...this.#state.al];
      }
      state[0] = s;
    }
    const plain: LBFGSStateDict = { state, paramGroups: [{ ...group, params: params.map((_, i) => i) }] };
    return (format === 'torch' ? toTorch(plain) : plain) as LBFGSStateDict;
  }

  /**
   * Loads a state dict of either shape (lucid's, or torch's as {@link loadTorch} reads a
   * `torch.save(optimizer.state_dict())` file). Checked in full first: a bad one is a
   * TypeError or RangeError naming the field, and changes nothing.
   */
  loadStateDict(stateDict: LBFGSStateDict | Map<string, unknown>): void {
    const raw = this.#live('loadStateDict');
    const where = 'LBFGS.loadStateDict';
    const plain = stateDict instanceof Map ? fromTorch(where, stateDict) : stateDict;
    if (plain === null || typeof plain !== 'object') throw typeError(where, 'stateDict', 'a state dict { state, paramGroups }', plain);
    const groups = (plain as LBFGSStateDict).paramGroups;
    if (!Array.isArray(groups) || groups.length !== 1) throw rangeError(where, 'stateDict.paramGroups', 'one group', groups);
    const { params: ids, ...saved } = groups[0] as LBFGSStateDict['paramGroups'][number];
    // The options, and the keys a scheduler added (kept as they are, as torch keeps them).
    const options = Object.fromEntries(Object.entries(saved).filter(([k]) => (OPTION_KEYS as readonly string[]).includes(k)));
    const extras = Object.fromEntries(Object.entries(saved).filter(([k]) => !(OPTION_KEYS as readonly string[]).includes(k)));
    const n = this.paramGroups[0].params.length;
    if (!Array.isArray(ids) || ids.length !== n) throw rangeError(where, 'stateDict.paramGroups[0].params', `${n} parameter indices, as this optimizer has`, ids);
    const group = resolve(where, 'stateDict.paramGroups[0]', options, this.defaults);
    if (group.historySize !== this.paramGroups[0].historySize) {
      throw rangeError(where, 'stateDict.paramGroups[0].historySize', `${this.paramGroups[0].historySize}, this optimizer's`, group.historySize);
    }
    const entries = (plain as LBFGSStateDict).state;
    if (entries === null || typeof entries !== 'object') throw typeError(where, 'stateDict.state', 'an object', entries);
    const keys = Object.keys(entries);
    if (keys.some((k) => k !== '0')) throw rangeError(where, 'stateDict.state', 'one entry, for parameter 0', keys);
    const entry = (entries as Record<string, LBFGSState>)['0'];
    const total = this.paramGroups[0].params.reduce((sum, p) => sum + p.length, 0);
    const checked = entry === undefined ? undefined : checkState(where, 'stateDict.state[0]', entry, total, group.historySize);
    if (checked?.t !== undefined) {
      const flat = (list: Float32Array[]) => {
        const out = new Float32Array(list.length * total);
        list.forEach((v, i) => out.set(v, i * total));
        return out;
      };
      const al = checked.al === undefined ? new Float32Array(0) : Float32Array.from(checked.al, (v) => (v === null ? NaN : v));
      const prev = checked.prevFlatGrad;
      if (!raw.load(checked.d!, prev !== undefined, prev ?? new Float32Array(0), flat(checked.oldDirs!), flat(checked.oldStps!), Float32Array.from(checked.ro!), al, checked.hDiag!)) {
        this.#throw('loadStateDict', raw.takeError());
      }
    }
    Object.assign(this.paramGroups[0], extras, group);
    this.#state = checked;
  }
}

/** Checks and completes options (`base`: the defaults a group starts from; none: torch's). */
function resolve(where: string, field: string, options: unknown, base: LBFGSHyperparameters | undefined): LBFGSHyperparameters {
  if (options === null || typeof options !== 'object') throw typeError(where, field, 'an object of options', options);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!(OPTION_KEYS as readonly string[]).includes(key)) throw unknownKeyError(where, `${field}.${key}`, OPTION_KEYS, o[key]);
  const pick = <K extends (typeof OPTION_KEYS)[number]>(key: K, fallback: unknown) => (o[key] === undefined ? fallback : o[key]);
  const maxIter = pick('maxIter', base?.maxIter ?? 20);
  // torch: max_eval = max_iter * 5 // 4 when None; a group without one inherits the defaults'.
  const maxEval = o.maxEval === undefined && base !== undefined ? base.maxEval : (o.maxEval ?? null);
  const group = {
    lr: pick('lr', base?.lr ?? 1),
    maxIter,
    maxEval: maxEval === null ? Math.floor((Number(maxIter) * 5) / 4) : maxEval,
    toleranceGrad: pick('toleranceGrad', base?.toleranceGrad ?? 1e-7),
    toleranceChange: pick('toleranceChange', base?.toleranceChange ?? 1e-9),
    historySize: pick('historySize', base?.historySize ?? 100),
    lineSearchFn: pick('lineSearchFn', base === undefined ? null : base.lineSearchFn),
    maximize: pick('maximize', base?.maximize ?? false),
  } as LBFGSHyperparameters;
  checkGroup(where, group, `${field}.`);
  return group;
}

/** torch's constructor checks, and the types every option needs (again at each step: a group may have been edited). */
function checkGroup(where: string, g: LBFGSHyperparameters, prefix = 'paramGroups[0].'): void {
  // torch: "Invalid learning rate" unless 0 <= lr.
  if (!(checkNumber(where, `${prefix}lr`, g.lr) >= 0) || !Number.isFinite(g.lr)) throw rangeError(where, `${prefix}lr`, 'a finite number >= 0', g.lr);
  checkInteger(where, `${prefix}maxIter`, g.maxIter, 1);
  checkInteger(where, `${prefix}maxEval`, g.maxEval, 1);
  checkNumber(where, `${prefix}toleranceGrad`, g.toleranceGrad);
  checkNumber(where, `${prefix}toleranceChange`, g.toleranceChange);
  // torch's step fails with 0 (it pops from an empty history).
  checkInteger(where, `${prefix}historySize`, g.historySize, 1, 2 ** 20);
  // torch: "only 'strong_wolfe' is supported" (at the step; here at once).
  if (g.lineSearchFn !== null && g.lineSearchFn !== 'strong_wolfe') throw rangeError(where, `${prefix}lineSearchFn`, "'strong_wolfe' or null", g.lineSearchFn);
  checkBoolean(where, `${prefix}maximize`, g.maximize);
}

/**
 * torch's `_strong_wolfe` (c1 1e-4, c2 0.9, max_ls `maxLs`): returns the loss, the gradient's
 * slot, the step length and the closure calls. `objective(t, keep)` evaluates at `x + t d` into a
 * slot none of `keep` holds; `dot(slot)` is `slot · d`.
 */
function strongWolfe(
  objective: (t: number, keep: readonly number[]) => [number, number],
  dot: (slot: number) => number,
  dNorm: number,
  t: number,
  f: number,
  g: number,
  gtd: number,
  toleranceChange: number,
  maxLs: number,
): [number, number, number, number] {
  const c1 = 1e-4;
  const c2 = 0.9;
  let [fNew, gNew] = objective(t, [g]);
  let lsFuncEvals = 1;
  let gtdNew = dot(gNew);
  let [tPrev, fPrev, gPrev, gtdPrev] = [0, f, g, gtd];
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: number[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    [tPrev, fPrev, gPrev, gtdPrev] = [tmp, fNew, gNew, gtdNew];
    [fNew, gNew] = objective(t, [g, gPrev]);
    lsFuncEvals += 1;
    gtdNew = dot(gNew);
    lsIter += 1;
  }
  if (lsIter === maxLs) [bracket, bracketF, bracketG] = [[0, t], [f, fNew], [g, gNew]];

  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const hi = Math.max(...bracket);
    const lo = Math.min(...bracket);
    const eps = 0.1 * (hi - lo);
    if (Math.min(hi - t, t - lo) < eps) {
      if (insufProgress || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = objective(t, [g, ...bracketG]);
    lsFuncEvals += 1;
    gtdNew = dot(gNew);
    lsIter += 1;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew;
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew;
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}

/** torch's `_cubic_interpolate` of two points with values and slopes, within `bounds`. */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

/** A saved state, checked: every field of the right type and length. */
function checkState(where: string, field: string, s: unknown, n: number, historySize: number): LBFGSState {
  if (s === null || typeof s !== 'object') throw typeError(where, field, 'an object', s);
  const o = s as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!(STATE_KEYS as readonly string[]).includes(key)) throw unknownKeyError(where, `${field}.${key}`, STATE_KEYS, o[key]);
  const out: LBFGSState = { funcEvals: checkInteger(where, `${field}.funcEvals`, o.funcEvals, 0), nIter: checkInteger(where, `${field}.nIter`, o.nIter, 0) };
  const vector = (key: string, value: unknown): Float32Array => Float32Array.from(checkBuffer(where, `${field}.${key}`, value, n, "every parameter's elements"));
  if (o.t === undefined) {
    for (const key of ['d', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss'] as const) {
      if (o[key] !== undefined) throw rangeError(where, `${field}.t`, `a number, since ${key} is given`, undefined);
    }
    return out;
  }
  out.t = checkNumber(where, `${field}.t`, o.t);
  out.d = vector('d', o.d);
  const list = (key: 'oldDirs' | 'oldStps') => {
    const value = o[key];
    if (!Array.isArray(value)) throw typeError(where, `${field}.${key}`, 'an array of Float32Arrays', value);
    if (value.length > historySize) throw rangeError(where, `${field}.${key}.length`, `at most historySize (${historySize})`, value.length);
    return value.map((v, i) => vector(`${key}[${i}]`, v));
  };
  out.oldDirs = list('oldDirs');
  out.oldStps = list('oldStps');
  if (!Array.isArray(o.ro)) throw typeError(where, `${field}.ro`, 'an array of numbers', o.ro);
  out.ro = o.ro.map((v, i) => checkNumber(where, `${field}.ro[${i}]`, v));
  if (out.oldStps.length !== out.oldDirs.length || out.ro.length !== out.oldDirs.length) {
    throw rangeError(where, `${field}.ro.length`, `oldDirs.length and oldStps.length (${out.oldDirs.length})`, out.ro.length);
  }
  out.hDiag = checkNumber(where, `${field}.hDiag`, o.hDiag);
  if (o.prevFlatGrad !== undefined && o.prevFlatGrad !== null) out.prevFlatGrad = vector('prevFlatGrad', o.prevFlatGrad);
  out.prevLoss = checkNumber(where, `${field}.prevLoss`, o.prevLoss);
  if (o.al !== undefined) {
    if (!Array.isArray(o.al) || o.al.length !== historySize) throw rangeError(where, `${field}.al`, `an array of historySize (${historySize}) numbers or nulls`, o.al);
    out.al = o.al.map((v, i) => (v === null ? null : checkNumber(where, `${field}.al[${i}]`, v)));
  }
  return out;
}

/** A 0-d float32 tensor. */
const scalarTensor = (v: number): TorchTensor => ({ dtype: 'float32', shape: [], data: Float32Array.of(v) });
const vectorTensor = (v: Float32Array): TorchTensor => ({ dtype: 'float32', shape: [v.length], data: v });

/** lucid's state dict in torch's shape: `{'state': {0: {...}}, 'param_groups': [{...}]}`. */
function toTorch(plain: LBFGSStateDict): Map<string, unknown> {
  const state = new Map<number, Map<string, unknown>>();
  const s = plain.state[0];
  if (s !== undefined) {
    const entry = new Map<string, unknown>([
      ['func_evals', s.funcEvals],
      ['n_iter', s.nIter],
    ]);
    if (s.al !== undefined) entry.set('al', s.al.map((v) => (v === null ? null : scalarTensor(v))));
    if (s.t !== undefined) {
      entry.set('d', vectorTensor(s.d!));
      entry.set('t', s.t);
      entry.set('old_dirs', s.oldDirs!.map(vectorTensor));
      entry.set('old_stps', s.oldStps!.map(vectorTensor));
      entry.set('ro', s.ro!.map(scalarTensor));
      entry.set('H_diag', scalarTensor(s.hDiag!));
      entry.set('prev_flat_grad', s.prevFlatGrad === undefined ? null : vectorTensor(s.prevFlatGrad));
      entry.set('prev_loss', s.prevLoss);
    }
    state.set(0, entry);
  }
  const groups = plain.paramGroups.map((g) => {
    const m = new Map<string, unknown>();
    for (const [key, value] of Object.entries(g)) if (key !== 'params') m.set(snakeCase(key), value);
    m.set('params', g.params);
    return m;
  });
  return new Map<string, unknown>([
    ['state', state],
    ['param_groups', groups],
  ]);
}

/** A number from torch's state: a Python number, or a 0-d tensor's value. */
function torchNumber(where: string, field: string, v: unknown): number {
  if (isTorchTensor(v)) {
    if (v.data.length !== 1) throw rangeError(where, `${field}.shape`, '[] (a 0-d tensor)', v.shape);
    return Number(v.data[0]);
  }
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number') throw typeError(where, field, 'a number or a 0-d tensor', v);
  return v;
}

/** A vector from torch's state: a 1-d float32 tensor's values. */
function torchVector(where: string, field: string, v: unknown): Float32Array {
  if (!isTorchTensor(v) || v.dtype !== 'float32') throw typeError(where, field, 'a float32 tensor', v);
  return v.data as Float32Array;
}

/** torch's state dict (as loadTorch reads it) in lucid's shape; checked again by loadStateDict. */
function fromTorch(where: string, dict: Map<string, unknown>): LBFGSStateDict {
  const state = dict.get('state');
  const groups = dict.get('param_groups');
  if (!(state instanceof Map)) throw typeError(where, "stateDict.get('state')", 'a Map', state);
  if (!Array.isArray(groups)) throw typeError(where, "stateDict.get('param_groups')", 'a list', groups);
  const paramGroups = groups.map((g: unknown, k) => {
    if (!(g instanceof Map)) throw typeError(where, `param_groups[${k}]`, 'a Map', g);
    const out: Record<string, unknown> = { params: (g.get('params') as unknown[] | undefined)?.map(Number) };
    for (const [key, v] of g) if (key !== 'params') out[camelCaseKey(String(key))] = typeof v === 'bigint' ? Number(v) : v;
    return out as LBFGSStateDict['paramGroups'][number];
  });
  const plain: Record<number, LBFGSState> = {};
  for (const [key, entry] of state as Map<unknown, unknown>) {
    if (!(entry instanceof Map)) throw typeError(where, `state[${describe(key)}]`, 'a Map', entry);
    const at = `state[${describe(key)}]`;
    const s: Record<string, unknown> = {};
    for (const name of STATE_KEYS) {
      const v = entry.get(TORCH_STATE[name]);
      if (v === undefined) continue;
      const field = `${at}.${TORCH_STATE[name]}`;
      if (name === 'd' || name === 'prevFlatGrad') s[name] = v === null ? undefined : torchVector(where, field, v);
      else if (name === 'oldDirs' || name === 'oldStps') s[name] = Array.isArray(v) ? v.map((x, i) => torchVector(where, `${field}[${i}]`, x)) : v;
      else if (name === 'ro') s[name] = Array.isArray(v) ? v.map((x, i) => torchNumber(where, `${field}[${i}]`, x)) : v;
      else if (name === 'al') s[name] = Array.isArray(v) ? v.map((x, i) => (x === null ? null : torchNumber(where, `${field}[${i}]`, x))) : v;
      else s[name] = torchNumber(where, field, v);
    }
    for (const k of entry.keys()) if (!(Object.values(TORCH_STATE) as unknown[]).includes(k)) throw unknownKeyError(where, `${at}.${String(k)}`, Object.values(TORCH_STATE), entry.get(k));
    plain[Number(key)] = s as unknown as LBFGSState;
  }
  return { state: plain, paramGroups };
}
