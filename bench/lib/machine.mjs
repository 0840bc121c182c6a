// What the numbers were measured on.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, homedir, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

function run(command, args) {
  try {
    const env = { ...process.env, PATH: `${join(homedir(), '.cargo/bin')}:${process.env.PATH}` };
    return execFileSync(command, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function machine() {
  const lscpu = Object.fromEntries(
    (run('lscpu', []) ?? '')
      .split('\n')
      .map((line) => line.split(/:\s+/))
      .filter((pair) => pair.length === 2),
  );
  const flags = lscpu.Flags?.split(' ') ?? [];
  const vectorExtensions = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']);
  return {
    cpu: lscpu['Model name'] ?? cpus()[0]?.model,
    cpuFamilyModel: lscpu['CPU family'] ? `family ${lscpu['CPU family']} model ${lscpu.Model}` : undefined,
    cores: Number(lscpu['CPU(s)'] ?? cpus().length),
    threadsPerCore: lscpu['Thread(s) per core'] ? Number(lscpu['Thread(s) per core']) : undefined,
    caches: ['L1d cache', 'L2 cache', 'L3 cache'].map((k) => lscpu[k] && `${k.split(' ')[0]} ${lscpu[k]}`).filter(Boolean).join(', '),
    vectorExtensions: vectorExtensions.join(' '),
    hypervisor: lscpu['Hypervisor vendor'],
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
    rustc: run('rustc', ['-V']),
    tfjs: JSON.parse(readFileSync(join(root, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')).version,
    commit: run('git', ['rev-parse', '--short', 'HEAD']),
    dirtyTree: dirty === undefined ? undefined : dirty.length > 0,
    loadAverage: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}
