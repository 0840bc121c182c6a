#!/usr/bin/env node
// The 1M-element Adam step in each browser engine, beside Node: M elements per second (median) and
// the ratio to Node, all measured in this run on this machine. Chromium, Firefox and WebKit are
// Debian's builds (scripts/setup.sh --browser), driven as the real-browser tests drive them
// (test/e2e/browser/engines.mjs); the page is served cross-origin isolated, as a page using
// lucid-optim's timing-sensitive features would be. See docs/benchmarks.md.
//
//   node bench/browsers.mjs              1M elements, 9 batches of ≥ 200 ms each, per engine
//   node bench/browsers.mjs --quick      10K elements, 1 batch (npm test runs this: it checks it runs)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveStatic } from '../examples/web/static-server.mjs';
import { ENGINES, launch } from '../test/e2e/browser/engines.mjs';
import { machine } from './lib/machine.mjs';
import { measureAdam } from './lib/adam-in-page.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const settings = args.quick ? { size: 10_000, reps: 1, batchMs: 10, warmupMs: 10 } : { size: 1_000_000, reps: 9, batchMs: 200, warmupMs: 1000 };
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const lib = fileURLToPath(new URL('./lib/', import.meta.url));

const lucid = await import('../dist/node.mjs');
await lucid.init();
const rows = [{ engine: `Node ${process.versions.node} (V8 ${process.versions.v8})`, ...(await measureAdam(lucid, settings)) }];

const server = await serveStatic({
  mounts: { '/lucid-optim/': dist, '/': lib },
  headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
});
const query = new URLSearchParams(Object.entries(settings).map(([key, value]) => [key, String(value)]));
try {
  for (const name of ENGINES) {
    const engine = await launch(name);
    try {
      const tab = await engine.newPage();
      await tab.goto(`${server.url}adam-page.html?${query}`);
      await tab.waitFor(() => window.report !== undefined);
      const report = await tab.evaluate(() => window.report);
      rows.push({ engine: engine.version + (report.isolated ? '' : ' (not isolated: coarse clock)'), ...report });
    } finally {
      await engine.close();
    }
  }
} finally {
  await server.close();
}

const { cpu, cores } = machine();
console.log(`Adam step, ${settings.size.toLocaleString('en-US')} elements, median of ${settings.reps} batches; ${cpu}, ${cores} cores`);
console.log(`${'engine'.padEnd(44)} ${'M elem/s'.padStart(9)} ${'vs Node'.padStart(8)}`);
for (const row of rows) console.log(`${row.engine.padEnd(44)} ${row.melemPerS.toFixed(0).padStart(9)} ${(row.melemPerS / rows[0].melemPerS).toFixed(2).padStart(7)}×`);
