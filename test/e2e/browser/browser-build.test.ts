// The browser build (dist/browser.mjs + lucid_optim_bg.wasm) in each real browser engine
// (Chromium, Firefox, WebKit: test/e2e/browser/engines.ts), three ways a web page gets it: a plain <script type="module"> with no bundler, a Vite production build, and
// Vite's dev server. Each page runs test/e2e/browser/fixtures/harness.mjs: the error paths, then 200
// Adam steps of a seeded problem whose trajectory must be bit-identical to the same run here in
// Node (the two engines share no code but the .wasm and the JavaScript facade).

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import * as lucid from 'lucid-optim';
import { build, createServer as createViteServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveStatic } from '../../../examples/web/static-server.mjs';
import { ENGINES, launch, UNCAUGHT_ERRORS_SCRIPT, type Engine, type EngineName } from './engines.mjs';
import { runTrajectory, SIZE, STEPS } from './fixtures/trajectory.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const packagedWasm = readFileSync(join(root, 'dist/lucid_optim_bg.wasm'));
const MISSING_WASM = '/missing/lucid_optim_bg.wasm';

interface Outcome {
  threw: boolean;
  name?: string;
  message?: string;
}

interface PageReport {
  simdSupported: boolean;
  beforeInit: Outcome;
  badUrl: Outcome;
  badBytes: Outcome;
  init: Outcome;
  wasmUrls: string[];
  loadedWasm?: { url: string; status: number; type: string | null; bytes: number; valid: boolean; base64: string };
  badLr: Outcome;
  badBetas: Outcome;
  badEpsAtStep: Outcome;
  dataAfterBadStep: number[];
  ms: number;
  trajectory: string;
  losses: string;
}

interface Site {
  url: string;
  close: () => Promise<void>;
}

let node: { trajectory: Float32Array; losses: Float64Array };
let work: string;

beforeAll(async () => {
  await lucid.init();
  node = runTrajectory(lucid);
  work = mkdtempSync(join(tmpdir(), 'lucid-optim-browser-'));
});

afterAll(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Where the parameters of the trajectory first differ, or undefined if they are bit-identical. */
function firstDifference(browserRun: Float32Array, nodeRun: Float32Array): string | undefined {
  if (browserRun.length !== nodeRun.length) return `length ${browserRun.length} in the browser, ${nodeRun.length} in Node`;
  const a = new Uint32Array(browserRun.buffer, browserRun.byteOffset, browserRun.length);
  const b = new Uint32Array(nodeRun.buffer, nodeRun.byteOffset, nodeRun.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const hex = (x: number) => `0x${x.toString(16).padStart(8, '0')}`;
      const where = i < STEPS * SIZE ? `after step ${Math.floor(i / SIZE) + 1}, weight ${i % SIZE}` : 'in the final optimizer state';
      return `${where}: browser ${browserRun[i]} (${hex(a[i])}), Node ${nodeRun[i]} (${hex(b[i])})`;
    }
  }
  return undefined;
}

function decode<T extends Float32Array | Float64Array>(base64: string, Type: new (buffer: ArrayBuffer) => T): T {
  const bytes = Buffer.from(base64, 'base64');
  return new Type(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Opens the page in `engine` and waits for the harness's report. */
async function visit(engine: Engine, url: string) {
  const page = await engine.newPage();
  try {
    await page.goto(url);
    await page.waitFor(() => (window as { report?: unknown }).report !== undefined);
    const report = (await page.evaluate(() => (window as unknown as { report: Promise<unknown> }).report)) as PageReport;
    return { report, errors: await page.errors() };
  } finally {
    await page.close();
  }
}

/**
 * Vite's dev server for project `dir`, with the given pre-bundling, on a loopback port the system
 * picks. Vite's own listen() reads port 0 as "the default" (5173, then the next free one), so
 * Vite runs in middleware mode behind our HTTP server, bound to port 0: no port is chosen first
 * and bound later, so no other process can take it in between.
 */
async function viteDevServer(dir: string, optimizeDeps: { include?: string[]; exclude?: string[] }): Promise<Site> {
  // Our server, handed to Vite for its WebSocket too: the page's /@vite/client connects to it (with
  // no WebSocket server behind the page's own address it fails, sometimes as an unhandled
  // rejection in the page, "WebSocket closed without opened.").
  const http = createHttpServer();
  const vite = await createViteServer({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    cacheDir: join(dir, '.vite'),
    appType: 'spa',
    server: { middlewareMode: true, hmr: { server: http } },
    optimizeDeps,
  });
  http.on('request', vite.middlewares);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', resolve);
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await vite.close();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** A Vite project using lucid-optim as an installed dependency: package.json + dist/, as npm would. */
function viteProject(name: string): string {
  const dir = join(work, name);
  const installed = join(dir, 'node_modules/lucid-optim');
  mkdirSync(installed, { recursive: true });
  cpSync(join(root, 'package.json'), join(installed, 'package.json'));
  cpSync(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
  cpSync(join(fixtures, 'harness.mjs'), join(dir, 'harness.mjs'));
  cpSync(join(fixtures, 'trajectory.mjs'), join(dir, 'trajectory.mjs'));
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html>\n<meta charset="utf-8">\n<title>lucid-optim, Vite</title>\n${UNCAUGHT_ERRORS_SCRIPT}\n<script type="module" src="./main.js"></script>\n`,
  );
  writeFileSync(
    join(dir, 'main.js'),
    `import * as lucid from 'lucid-optim';\nimport { runInPage } from './harness.mjs';\n\nwindow.report = runInPage(lucid, ${JSON.stringify(MISSING_WASM)});\n`,
  );
  return dir;
}

const sites: Record<string, { start: () => Promise<Site>; wasmPath: RegExp; missingWasm: RegExp | Record<EngineName, RegExp> }> = {
  'plain ESM (dist/browser.mjs in a <script type="module">, no bundler)': {
    start: async () => {
      const server = await serveStatic({ mounts: { '/lucid-optim/': join(root, 'dist'), '/': fixtures } });
      return { ...server, url: `${server.url}plain-esm.html` };
    },
    wasmPath: /^\/lucid-optim\/lucid_optim_bg\.wasm$/,
    missingWasm: /failed to fetch Wasm: 404/,
  },
  'a Vite production build': {
    start: async () => {
      const dir = viteProject('vite-build');
      const outDir = join(dir, 'out');
      await build({ root: dir, configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
      return serveStatic({ mounts: { '/': outDir } });
    },
    // Vite emits the .wasm as a hashed asset and rewrites the new URL(…, import.meta.url) to it.
    wasmPath: /^\/assets\/lucid_optim_bg-[\w-]+\.wasm$/,
    missingWasm: /failed to fetch Wasm: 404/,
  },
  "Vite's dev server, with optimizeDeps.exclude: ['lucid-optim']": {
    // Pre-bundling would move the glue to .vite/deps/, away from the .wasm beside it.
    start: () => viteDevServer(viteProject('vite-dev'), { exclude: ['lucid-optim'] }),
    wasmPath: /^\/node_modules\/lucid-optim\/dist\/lucid_optim_bg\.wasm$/,
    // The dev server answers unknown paths with index.html, which then fails to compile: its
    // first bytes, `<!do`, are not WebAssembly's magic number (each engine says so in its words).
    missingWasm: {
      Chromium: /expected magic word 00 61 73 6d, found 3c 21 64 6f/,
      Firefox: /wasm validation error: at offset 4: failed to match magic number/,
      WebKit: /WebAssembly\.Module doesn't parse at byte 0: module doesn't start with '\\0asm'/,
    },
  },
};

describe.each(ENGINES)('in %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await launch(engineName);
  });
  afterAll(() => engine?.close());

  describe.each(Object.entries(sites))('%s', (_, site) => {
    let visited: Awaited<ReturnType<typeof visit>>;

    beforeAll(async () => {
      const server = await site.start();
      try {
        visited = await visit(engine, server.url);
      } finally {
        await server.close();
      }
    });

    test('failures surface as exceptions and rejected promises, and change nothing', () => {
      const { report, errors } = visited;
      expect(report.beforeInit).toMatchObject({ threw: true, name: 'TypeError', message: expect.stringMatching(/call `await init\(\)` first/) });
      expect(report.badUrl).toMatchObject({ threw: true, message: expect.stringMatching(site.missingWasm instanceof RegExp ? site.missingWasm : site.missingWasm[engineName]) });
      expect(report.badBytes).toMatchObject({ threw: true, name: 'CompileError' });
      // A failed init() does not stick: the next one loads the packaged .wasm.
      expect(report.init).toEqual({ threw: false });
      expect(report.badLr).toMatchObject({ threw: true, name: 'RangeError', message: 'Adam: lr must be a finite number >= 0, got -1' });
      expect(report.badBetas).toMatchObject({ threw: true, name: 'RangeError', message: 'Adam: betas[1] must be in [0, 1), got 1' });
      expect(report.badEpsAtStep).toMatchObject({ threw: true, name: 'RangeError', message: expect.stringMatching(/eps/) });
      expect(report.dataAfterBadStep).toEqual([1, 2, 3]);
      expect(errors).toEqual([]); // nothing thrown or rejected that the page did not handle
    });

    test('loads the packaged SIMD .wasm, served as application/wasm', () => {
      const { report } = visited;
      expect(report.simdSupported).toBe(true);
      // Every .wasm the page fetched (its resource timing): the 404 it was given on purpose, and the packaged one.
      const loaded = report.wasmUrls.map((url) => new URL(url).pathname).filter((path) => site.wasmPath.test(path));
      expect(loaded.length, `wasm requests: ${JSON.stringify(report.wasmUrls)}`).toBeGreaterThan(0);
      const wasm = report.loadedWasm!;
      expect(site.wasmPath.test(new URL(wasm.url).pathname)).toBe(true);
      expect(wasm).toMatchObject({ status: 200, type: 'application/wasm', bytes: packagedWasm.length, valid: true });
      expect(Buffer.from(wasm.base64, 'base64').equals(packagedWasm), `${wasm.url} is not dist/lucid_optim_bg.wasm`).toBe(true);
    });

    test(`${STEPS} Adam steps are bit-identical to the same run in Node`, () => {
      const { report } = visited;
      const trajectory = decode(report.trajectory, Float32Array);
      const losses = decode(report.losses, Float64Array);
      expect(firstDifference(trajectory, node.trajectory)).toBeUndefined();
      expect(Buffer.from(losses.buffer).equals(Buffer.from(node.losses.buffer))).toBe(true);
    });
  });

  test("without optimizeDeps.exclude, Vite's dev server gets a clear error from init(), not a CompileError", async () => {
    // Pre-bundling moves the code to .vite/deps/, where the .wasm is not; the dev server answers
    // that URL with index.html. init() must say so, and how to fix it.
    const dir = viteProject(`vite-dev-prebundled-${engineName}`);
    writeFileSync(
      join(dir, 'main.js'),
      "import { init } from 'lucid-optim';\nwindow.report = init().then(() => ({ threw: false }), (e) => ({ threw: true, name: e.name, message: e.message }));\n",
    );
    const server = await viteDevServer(dir, { include: ['lucid-optim'] });
    try {
      const { report, errors } = await visit(engine, server.url);
      expect(report).toMatchObject({ threw: true, message: expect.stringMatching(/answered with an HTML page.*optimizeDeps: \{ exclude: \['lucid-optim'\] \}/) });
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

test('the packaged .wasm is the SIMD build (it uses f32x4 instructions)', () => {
  const module = binaryen.readBinary(packagedWasm);
  try {
    expect((module.emitText().match(/\bf32x4\.\w+/g) ?? []).length).toBeGreaterThan(10);
  } finally {
    module.dispose();
  }
});

test('the seeded problem is a real one: Node run falls in loss', () => {
  expect(node.losses[STEPS - 1]).toBeLessThan(node.losses[0] / 10);
});
