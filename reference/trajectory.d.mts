// Types of trajectory.mjs (seeded problems, option cases and the side-by-side runner; not shipped).
import type { ReferenceBounds, ReferenceGroupInput, ReferenceState, Semantics } from './adam-reference.mjs';

export const SIZES: readonly number[];
export const STEPS: number;
export const CHECKPOINTS: readonly number[];

export function seedOf(name: string): number;

export interface Problem {
  initial: Float32Array[];
  nextGrads(): Float32Array[];
}
export function makeProblem(seed: number, sizes?: readonly number[]): Problem;

export interface LrChange {
  afterStep: number;
  group: number;
  lr: number;
}

export interface Case {
  name: string;
  seed: number;
  groups: ReferenceGroupInput[];
  lrSchedule: LrChange[];
  /** True when parameter `i` has no gradient (null) at `step`. */
  skip(step: number, i: number): boolean;
}
export function cases(): Case[];

/** The package's exports (`import * as lucid from 'lucid-optim'`), as much as the runner uses. */
export interface LucidModule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Parameter: new (values: ArrayLike<number>, options?: { name?: string }) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Adam: new (groups: any[]) => any;
}

export interface LucidSnapshot {
  params: Float32Array[];
  /** stateDict().state by parameter index; undefined before a parameter's first step. */
  state: ({ step: number; expAvg: Float32Array; expAvgSq: Float32Array; maxExpAvgSq?: Float32Array } | undefined)[];
}

export interface ReferenceSnapshot {
  params: Float64Array[];
  state: (ReferenceState | undefined)[];
  bounds: ReferenceBounds[] | undefined;
}

export interface Snapshot {
  step: number;
  lucid: LucidSnapshot;
  reference: ReferenceSnapshot;
  alternatives: Record<string, ReferenceSnapshot>;
}

export interface RunOptions {
  steps?: number;
  checkpoints?: readonly number[];
  /** Step with the scalar reference kernel (the internal `_useReferenceKernel` hook). */
  referenceKernel?: boolean;
  /** Extra float64 references with other semantics, by name. */
  alternatives?: Record<string, Partial<Semantics>>;
  /** Where the references evaluate weight_decay * p: lucid's parameters (default) or their own. */
  weightDecayFrom?: 'lucid' | 'reference';
}
export function runCase(lucid: LucidModule, def: Case, options?: RunOptions): Snapshot[];
