// Which seeds a fuzz suite runs, and how a failure says to replay it.
//
//   npm test         FIXED_SEEDS, printed: the same sequences on every run, so that a failure
//                    reproduces, and several of them, so that more ground is covered.
//   npm run fuzz     FUZZ_RANDOM=1: one fresh seed per suite per run, printed before it starts.
//   FUZZ_SEED=n      that seed only (and FUZZ_PATH=p, fast-check's path to the shrunk case).
//
// Every property runs through `checkSeeds`, which throws fast-check's report of a failure with the
// command that replays it.
import fc from 'fast-check';

/** The seeds `npm test` runs, each once per property. */
export const FIXED_SEEDS: readonly number[] = Object.freeze([0x5eed_0001, 0x5eed_0002, 0x5eed_0003]);

/** The seeds to run, from the environment (see the top of this file). */
export function fuzzSeeds(env: Record<string, string | undefined> = process.env): number[] {
  if (env.FUZZ_SEED !== undefined) return [Number(env.FUZZ_SEED)];
  if (env.FUZZ_RANDOM === '1') return [Math.floor(Math.random() * 2 ** 31)];
  return [...FIXED_SEEDS];
}

/** The command that replays one failure of a suite. */
export function replayCommand(file: string, seed: number, path: string | undefined): string {
  return `FUZZ_SEED=${seed}${path === undefined ? '' : ` FUZZ_PATH=${path}`} npx vitest run ${file}`;
}

/**
 * Checks `property` once per seed (`runs` runs each), printing the seeds; on a failure, throws
 * fast-check's report (the seed, the path, the shrunk counterexample) and the replay command.
 */
export function checkSeeds<T>(file: string, property: fc.IProperty<T>, runs: number, env: Record<string, string | undefined> = process.env): void {
  const seeds = fuzzSeeds(env);
  console.log(`${file}: seeds ${seeds.join(', ')}, ${runs} runs each${env.FUZZ_SEED === undefined ? '' : ' (FUZZ_SEED)'}`);
  for (const seed of seeds) {
    // includeErrorInReport: the report says what failed (the assertion's message), not only where.
    const details = fc.check(property, { numRuns: runs, seed, includeErrorInReport: true, ...(env.FUZZ_PATH === undefined ? {} : { path: env.FUZZ_PATH }) });
    if (details.failed) {
      throw new Error(`${fc.defaultReportMessage(details) ?? 'failed'}\nReplay: ${replayCommand(file, details.seed, details.counterexamplePath ?? undefined)}`);
    }
  }
}
