// Native Rust contestants: crates/optim-core/benches/serve.rs, built with cargo's bench profile
// (LTO, one codegen unit) and driven over stdin/stdout. Each native step is timed inside the Rust
// process, so no pipe or JSON time is counted. Two builds:
//   native          the default x86-64 target (SSE2), running step_simd: the WebAssembly kernel's
//                   own code, on SSE instead of simd128
//   native-ceiling  -C target-cpu=native, running the scalar reference, which LLVM vectorizes to
//                   this CPU's widest vectors (the fastest native build of the same math here)
//
// Each contestant's build() (bench/build.mjs calls them) runs cargo and records the executable in
// target/bench-artifacts.json; prepare() and create() only read that record, so measuring never
// compiles (`bench/run.mjs --no-build`).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;
/** Where build() records the executables it built, by contestant id. */
export const ARTIFACTS = join(root, 'target/bench-artifacts.json');

/** Builds (if needed) the serve benchmark and returns its executable. */
function build(rustflags, targetDir) {
  const env = { ...process.env, PATH: `${join(homedir(), '.cargo/bin')}:${process.env.PATH}` };
  if (rustflags) env.RUSTFLAGS = rustflags;
  else delete env.RUSTFLAGS;
  if (targetDir) env.CARGO_TARGET_DIR = join(root, targetDir);
  else delete env.CARGO_TARGET_DIR;
  const args = ['bench', '-p', 'optim-core', '--bench', 'serve', '--no-run', '--message-format=json-render-diagnostics'];
  const result = spawnSync('cargo', args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`cargo ${args.join(' ')} failed (status ${result.status})`);
  const artifact = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .find((m) => m.reason === 'compiler-artifact' && m.target?.name === 'serve' && m.executable);
  if (!artifact) throw new Error('cargo did not report the serve executable');
  return artifact.executable;
}

const recorded = () => (existsSync(ARTIFACTS) ? JSON.parse(readFileSync(ARTIFACTS, 'utf8')) : {});

/** Records contestant `id`'s executable in ARTIFACTS. */
function record(id, executable) {
  mkdirSync(dirname(ARTIFACTS), { recursive: true });
  writeFileSync(ARTIFACTS, `${JSON.stringify({ ...recorded(), [id]: executable }, null, 1)}\n`);
}

/** The executable build() recorded for contestant `id`; throws, naming the command to run, if there is none. */
function prebuilt(id) {
  const executable = recorded()[id];
  if (executable === undefined || !existsSync(executable)) {
    const what = executable === undefined ? `none recorded in ${ARTIFACTS}` : `${executable} is missing`;
    throw new Error(`no build of the native contestant "${id}" (${what}): run \`node bench/build.mjs\` (npm test and npm run bench run it)`);
  }
  return executable;
}

/** One long-lived `serve --serve` process: send a command, await its JSON line. */
class Server {
  #child;
  #pending = [];
  constructor(executable) {
    this.#child = spawn(executable, ['--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#child.on('error', (error) => this.#pending.splice(0).forEach(({ reject }) => reject(error)));
    this.#child.on('exit', (code) => this.#pending.splice(0).forEach(({ reject }) => reject(new Error(`serve exited (${code})`))));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const { resolve, reject } = this.#pending.shift();
      const reply = JSON.parse(line);
      if (reply.error) reject(new Error(`serve: ${reply.error}`));
      else resolve(reply);
    });
  }
  send(command) {
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#child.stdin.write(`${command}\n`);
    });
  }
  close() {
    this.#child.stdin.end();
  }
}

function nativePeer(id, label, kernel, rustflags, targetDir) {
  let server;
  let executable;
  return {
    id,
    label,
    group: 'native',
    describe: () => ({ executable, rustflags: rustflags ?? '', kernel }),
    supports: () => true,
    /** Builds this contestant with cargo (incremental) and records its executable. */
    build() {
      record(id, build(rustflags, targetDir));
    },
    /** Finds the executable build() recorded, or throws naming the command to run. */
    prepare() {
      executable = prebuilt(id);
    },
    async create(data, variant) {
      executable ??= prebuilt(id);
      server ??= new Server(executable);
      const { id: model } = await server.send(`new ${variant.id} ${data.shape.join(',')}`);
      return {
        async run(steps) {
          const { ns } = await server.send(`run ${model} ${kernel} ${steps}`);
          return ns / 1e6;
        },
        async params() {
          const { hex } = await server.send(`params ${model}`);
          const all = new Float32Array(new Uint8Array(Buffer.from(hex, 'hex')).buffer);
          let offset = 0;
          return data.shape.map((n) => all.slice(offset, (offset += n)));
        },
        dispose: () => server.send(`free ${model}`),
      };
    },
    close: () => server?.close(),
  };
}

export const native = nativePeer('native', 'Rust native, same kernel (x86-64 default target)', 'simd');
export const nativeCeiling = nativePeer(
  'native-ceiling',
  'Rust native ceiling (-C target-cpu=native)',
  'scalar',
  '-C target-cpu=native',
  'target/native-cpu',
);

