import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import 'lucid-optim' exactly as users do, and get the built package (dist/), not the
// sources: what is tested is what ships. `npm test` builds dist/ first. 'lucid-optim/tfjs' is the
// subpath's Node build, which imports dist/node.mjs itself: one module, one init(), as for users.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^lucid-optim\/tfjs$/, replacement: fileURLToPath(new URL('./dist/tfjs/node.mjs', import.meta.url)) },
      { find: /^lucid-optim$/, replacement: fileURLToPath(new URL('./dist/node.mjs', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // A committed `.only` would run one test and pass; vitest allows it unless CI is set, and
    // .ci/run does not set CI. Refuse it everywhere (test/e2e/reliability/test-gate.test.ts).
    allowOnly: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
