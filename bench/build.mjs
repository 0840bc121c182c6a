#!/usr/bin/env node
// Builds what bench/run.mjs measures besides the package itself (dist/: `npm run build`):
//   build/wasm/scalar/      the same Rust without simd128 (scripts/build-wasm.sh scalar)
//   native, native-ceiling  crates/optim-core/benches/serve.rs, two cargo bench-profile builds,
//                           recorded in target/bench-artifacts.json
// Incremental: fast when nothing changed, minutes from cold (LTO). scripts/test.sh runs it in its
// build phase, before any test runner starts; `npm run bench` runs it before bench/run.mjs.
//
//   node bench/build.mjs [--impl ids]     (default: every contestant that has something to build)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PEERS } from './lib/peers/index.mjs';

/** Builds the artifacts of `peers` (default: all); a contestant without build() needs none. */
export function buildBench(peers = PEERS) {
  for (const peer of peers) {
    if (peer.build === undefined) continue;
    console.error(`[bench/build] ${peer.id}`);
    peer.build();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { impl: { type: 'string' } } });
  const wanted = values.impl?.split(',');
  const unknown = wanted?.filter((id) => !PEERS.some((peer) => peer.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown impl: ${unknown.join(', ')} (known: ${PEERS.map((p) => p.id).join(', ')})`);
  buildBench(wanted === undefined ? PEERS : PEERS.filter((peer) => wanted.includes(peer.id)));
}
