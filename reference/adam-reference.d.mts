// Types of adam-reference.mjs (a float64 model of torch.optim.Adam; not shipped).

export interface ReferenceOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export interface ReferenceGroupInput extends Partial<Omit<ReferenceOptions, 'betas'>> {
  /** Indices into the `initial` array given to the constructor. */
  params: number[];
  betas?: readonly [number, number];
}

export interface ReferenceGroup extends ReferenceOptions {
  params: number[];
}

export interface Semantics {
  amsgrad: 'raw-v' | 'bias-corrected-v';
  eps: 'after-bias-correction' | 'hat';
  weightDecay: 'l2' | 'decoupled';
}

export interface ReferenceState {
  step: number;
  expAvg: Float64Array;
  expAvgSq: Float64Array;
  maxExpAvgSq: Float64Array | undefined;
}

/** Per-element first-order bounds on |float32 run - this model| (PyTorch semantics only). */
export interface ReferenceBounds {
  param: Float64Array;
  expAvg: Float64Array | undefined;
  expAvgSq: Float64Array | undefined;
  maxExpAvgSq: Float64Array | undefined;
}

export const DEFAULTS: Readonly<ReferenceOptions>;
export const PYTORCH: Readonly<Semantics>;

export class ReferenceAdam {
  constructor(initial: ArrayLike<number>[], groups: ReferenceGroupInput[], options?: { semantics?: Partial<Semantics> });
  readonly semantics: Readonly<Semantics>;
  readonly params: Float64Array[];
  readonly paramGroups: ReferenceGroup[];
  readonly state: (ReferenceState | undefined)[];
  readonly bounds: ReferenceBounds[] | undefined;
  /** `weightDecayAt[i]`: the values weight_decay * p uses for parameter i, instead of this model's. */
  step(grads: (ArrayLike<number> | null)[], weightDecayAt?: (ArrayLike<number> | undefined)[]): void;
}
