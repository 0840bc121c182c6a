import type { Parameter } from 'lucid-optim';

/** One parameter after one recorded step. */
export interface AdafactorDistance {
  step: number;
  param: number;
  /** ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2. */
  params: number;
  /** The largest error of its state buffers, relative to each buffer's largest value. */
  state: number;
  /** Whether its step count is torch's. */
  stepCount: boolean;
  /** Whether its state has torch's keys (rowVar and colVar, or variance). */
  sameKeys: boolean;
}

/** A fixture of test/fixtures/torch-adafactor/ (scripts/golden/adafactor.py). */
export interface AdafactorFixture {
  case: string;
  note: string;
  groups: ({ params: number[] } & Record<string, unknown>)[];
  params: { shape: number[]; initial: number[] }[];
  grads: (number[] | null)[][];
  checkpoints: { afterStep: number; params: number[][]; state: (Record<string, number | number[]> | null)[] }[];
}

export function measure(lucid: typeof import('lucid-optim'), fx: AdafactorFixture): { rows: AdafactorDistance[]; torchGroups: Map<string, unknown>[] };
export function fixtures(): AdafactorFixture[];
export type { Parameter };
