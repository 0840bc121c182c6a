import type { Parameter } from 'lucid-optim';

/** A fixture of test/fixtures/torch-lbfgs/ (scripts/golden/lbfgs.py). */
export interface LbfgsFixture {
  torchVersion: string;
  cpuCapability: string;
  case: string;
  note: string;
  options: Record<string, unknown>;
  sign: number;
  params: { shape: number[]; initial: number[]; m: number[]; c: number[]; e: number[] }[];
  steps: { loss: number; funcEvals: number; nIter: number; params: number[][] }[];
  state: { t: number; hDiag: number; ro: number[]; prevLoss: number; historyLen: number; d: number[]; alSet: number };
}

/** One step() call, measured. */
export interface LbfgsDistance {
  step: number;
  /** lucid's func_evals and n_iter after it, and torch's. */
  counts: [number, number];
  want: [number, number];
  /** The largest ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2 over the parameters. */
  params: number;
  /** |loss - torch's| / |torch's first loss|, for the loss step() returned. */
  loss: number;
}

export function closureOf(fx: LbfgsFixture, params: Parameter[]): () => number;
export function measure(
  lucid: typeof import('lucid-optim'),
  fx: LbfgsFixture,
): { rows: LbfgsDistance[]; final: { t: number; hDiag: number; ro: number; history: [number, number] } };
export function fixtures(): LbfgsFixture[];
