/** One parameter after one recorded step. */
export interface MuonDistance {
  step: number;
  param: number;
  /** ||p_lucid - p_torch||_2 / ||p_torch - p_0||_2 against torch's float32 iteration. */
  float32: number;
  /** The same against torch as shipped (bfloat16 iteration). */
  bfloat16: number;
  /** Whether the momentum buffer is torch's bits (or absent, as torch's, before the first gradient). */
  bufferIsTorchs: boolean;
}

/** A fixture of test/fixtures/torch-muon/ (scripts/golden/muon.py). */
export interface MuonFixture {
  case: string;
  note: string;
  groups: ({ params: number[] } & Record<string, unknown>)[];
  params: { shape: number[]; initial: number[] }[];
  grads: (number[] | null)[][];
  runs: {
    bfloat16: { afterStep: number; params: number[][] }[];
    float32: { afterStep: number; params: number[][]; momentumBuffers: (number[] | null)[] }[];
  };
  torchRunsDistance: number;
}

export function relativeDistance(a: ArrayLike<number>, b: readonly number[], p0: readonly number[]): number;
export function measure(lucid: typeof import('lucid-optim'), fx: MuonFixture): { rows: MuonDistance[]; torchGroups: Map<string, unknown>[] };
export function fixtures(): MuonFixture[];
