#!/usr/bin/env node
// Serves the demo page on 127.0.0.1 and prints its URL.
//
//   npm run demo:web                 (builds lucid-optim first)
//   node examples/web/serve.mjs --port 8080
//
// Everything comes from this machine: the page (examples/web/), the shared model
// (examples/model.mjs), schedules (examples/schedule.mjs), the optimizers' table (examples/optimizers.mjs)
// and seeded generator (reference/rng.mjs),
// lucid-optim's browser build (dist/) and uPlot's ESM build. The page's
// import map turns `import … from 'lucid-optim'` into /lucid-optim/browser.mjs, which fetches
// lucid_optim_bg.wasm from beside itself.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveStatic } from './static-server.mjs';

const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));

/** Starts the demo server; `port` 0 picks a free port. */
export function startDemoServer({ host = '127.0.0.1', port = 0 } = {}) {
  const dist = path('../../dist/');
  if (!existsSync(`${dist}browser.mjs`)) {
    throw new Error('dist/browser.mjs is missing: run `npm run build` (or `npm run demo:web`, which builds first)');
  }
  return serveStatic({
    host,
    port,
    // Cross-origin isolation (everything here is same-origin) gives performance.now() a fine
    // enough resolution to time a few-microsecond optimizer.step().
    headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
    mounts: {
      '/': path('./'),
      '/model.mjs': path('../model.mjs'),
      '/schedule.mjs': path('../schedule.mjs'),
      '/optimizers.mjs': path('../optimizers.mjs'),
      '/reference/rng.mjs': path('../../reference/rng.mjs'),
      '/lucid-optim/': dist,
      '/uplot/': path('../../node_modules/uplot/dist/'),
    },
  });
}

async function main() {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8787' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: node examples/web/serve.mjs [--port <n>]   (default 8787; 0 picks a free port)');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  let server;
  try {
    server = await startDemoServer({ port });
  } catch (error) {
    if (error.code !== 'EADDRINUSE') throw error;
    console.log(`port ${port} is taken; using a free one`);
    server = await startDemoServer({ port: 0 });
  }
  console.log(`lucid-optim demo: ${server.url}  (Ctrl+C to stop)`);
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
