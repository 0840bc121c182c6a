// Types of tfjs-adam.mjs (lucid-optim next to tf.train.adam; not shipped).
import type { LucidModule } from './trajectory.mjs';

export interface TfjsHyper {
  lr: number;
  betas: [number, number];
  eps: number;
}

export const TFJS_SIZES: readonly number[];
export const TFJS_STEPS: number;
export const TFJS_CHECKPOINTS: readonly number[];
export const TFJS_CONFIGS: readonly { name: string; h: TfjsHyper }[];

export interface SideValues<T> {
  p: T[];
  m: T[];
  v: T[];
}

export interface TfjsSnapshot {
  step: number;
  lucid: SideValues<Float32Array>;
  tfjs: SideValues<Float32Array>;
  reference: SideValues<Float64Array>;
  boundLucid: SideValues<Float64Array>;
  boundTfjs: SideValues<Float64Array>;
}

export class TfjsBounds {
  constructor(sizes: readonly number[], h: TfjsHyper);
  readonly param: Float64Array[];
  readonly expAvg: Float64Array[];
  readonly expAvgSq: Float64Array[];
  step(t: number, grads: Float32Array[], before: SideValues<Float64Array>, after: SideValues<Float64Array>): void;
}

export function runTfjs(
  lucid: LucidModule,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tf: any,
  name: string,
  h: TfjsHyper,
  options?: { tfjsEps?: number | null; referenceKernel?: boolean },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ snaps: TfjsSnapshot[]; tfjsOptimizer: any }>;
