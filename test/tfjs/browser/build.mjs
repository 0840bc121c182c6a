// Bundles the page test/tfjs/browsers.test.ts opens (index.html + page.mjs) with Vite, into
// target/tfjs-page/, as an application bundles lucid-optim/tfjs with tfjs: run by scripts/test.sh
// after dist/ is built and before any test (no test builds anything). `lucid-optim` and
// `lucid-optim/tfjs` resolve to dist/, as they would in node_modules.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../../..', import.meta.url));
await build({
  root: fileURLToPath(new URL('.', import.meta.url)),
  configFile: false,
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^lucid-optim\/tfjs$/, replacement: `${root}dist/tfjs/browser.mjs` },
      { find: /^lucid-optim$/, replacement: `${root}dist/browser.mjs` },
    ],
  },
  build: { outDir: `${root}target/tfjs-page`, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
});
