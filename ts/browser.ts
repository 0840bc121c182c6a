// Entry point for browsers and bundlers: fetches the .wasm from
// new URL('lucid_optim_bg.wasm', import.meta.url), a pattern Vite, webpack and Rollup understand
// (they emit the file as an asset and rewrite the URL).

import { setThreadHost } from './runtime/threads.js';
import { setDefaultSource } from './runtime/wasm.js';

setDefaultSource(async (build) => {
  // Two literal `new URL(..., import.meta.url)`s, so that bundlers emit both files.
  const url = build === 'single' ? new URL('lucid_optim_bg.wasm', import.meta.url) : new URL('lucid_optim_threads_bg.wasm', import.meta.url);
  const response = await fetch(url);
  const hint = "pass the .wasm's URL or bytes to init()";
  if (!response.ok) {
    throw new Error(`lucid-optim: fetching ${url} failed (HTTP ${response.status}); ${hint}`);
  }
  // A dev server that cannot find the file often answers with its index.html instead.
  if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(
      `lucid-optim: ${url} answered with an HTML page, not the .wasm. With Vite's dev server, add ` +
        `optimizeDeps: { exclude: ['lucid-optim'] } to vite.config; otherwise ${hint}`,
    );
  }
  return response;
});

// Threads are Web Workers started from a blob: URL (no file to serve); shared memory needs a
// cross-origin isolated page.
setThreadHost({
  sharedMemory() {
    if (typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false) return { ok: true };
    return {
      ok: false,
      why:
        'this page is not cross-origin isolated: serve it with the headers Cross-Origin-Opener-Policy: same-origin and ' +
        "Cross-Origin-Embedder-Policy: require-corp (or credentialless), or leave threads out (or use 'auto', one thread here)",
    };
  },
  parallelism: () => navigator.hardwareConcurrency || 1,
  spawn(code, events) {
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = (event) => events.message(event.data);
    worker.onerror = (event) => events.gone(`failed: ${event.message}`);
    return {
      post: (message) => worker.postMessage(message),
      terminate() {
        worker.terminate();
        events.gone('was terminated');
      },
    };
  },
});

export * from './index.js';
