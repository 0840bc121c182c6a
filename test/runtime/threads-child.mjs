// A Node process that runs test/e2e/browser/fixtures/threads-run.mjs with `init({ threads })` and
// prints its hashes as JSON; test/runtime/threads.test.ts starts it with 1, 2, 3 and 'auto' threads.
// It never calls disposeThreads(): the process must end by itself with its workers parked.
//   node test/runtime/threads-child.mjs <threads>
import * as lucid from '../../dist/node.mjs';
import { runThreads } from '../e2e/browser/fixtures/threads-run.mjs';

const arg = process.argv[2];
await lucid.init({ threads: arg === 'auto' ? 'auto' : Number(arg) });
process.stdout.write(`${JSON.stringify(runThreads(lucid))}\n`);
