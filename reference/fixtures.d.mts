/** The .json fixtures of test/fixtures/`dir`/, parsed, sorted by file name. */
export function jsonFixtures<T = unknown>(dir: string): T[];
/** Replays a fixture (`params`, `groups`, `grads`) with lucid's `Class`, calling `after` after each step. */
export function replay<O>(
  lucid: typeof import('lucid-optim'),
  Class: new (groups: object[]) => O,
  fx: { params: { shape: number[]; initial: number[] }[]; groups: ({ params: number[] } & Record<string, unknown>)[]; grads: (number[] | null)[][] },
  after: (step: number, params: import('lucid-optim').Parameter[], opt: O) => void,
): void;
