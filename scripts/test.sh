#!/usr/bin/env bash
# The whole suite, as `npm test` and CI run it, on a fresh clone or an old one:
# set-up (idempotent), then the build phase: every artifact a test uses (the .wasm, dist/, the
# benchmark's scalar .wasm and native contestants), then Rust tests (native, then optim-core's on
# wasm32) with rustfmt and clippy, then every vitest suite (facade, fidelity, reliability,
# packaging from the packed tarball, real browser). No vitest test builds anything: what takes
# minutes from cold is done here, outside any test's timeout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# rustup's cargo lives in ~/.cargo/bin, which a bare CI environment may not have on PATH.
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh --browser
bash scripts/build-wasm.sh simd
# The shared-memory .wasm of init({ threads }) (std rebuilt with atomics: about a minute, once).
bash scripts/build-wasm.sh threads
# The test build with the scalar reference kernel, which the shipped .wasm leaves out (test/helpers.ts).
bash scripts/build-wasm.sh reference
npx rollup -c --silent
echo "== test/tfjs/browser/build.mjs: the page test/tfjs/browsers.test.ts opens (Vite, into target/tfjs-page/)"
node test/tfjs/browser/build.mjs
echo "== bench/build.mjs: the scalar .wasm and the native contestants test/e2e/bench.test.ts runs"
node bench/build.mjs

echo "== cargo test (optim-core, optim-wasm; native)"
cargo test --workspace --quiet

echo "== cargo fmt --check, cargo clippy (rustfmt.toml; warnings are errors)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test on wasm32 with simd128 (optim-core, under Node: the lanes the .wasm ships)"
bash scripts/test-wasm32.sh

echo "== tsc: the facade, and the test suites against dist/index.d.ts"
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.test.json

echo "== typedoc (typedoc.json): every export has a doc comment, every {@link} resolves (warnings are errors)"
npx typedoc --emit none

echo "== scripts/examples.mjs: every js/ts example of README.md and docs/ type-checks against dist/"
node scripts/examples.mjs

echo "== vitest"
npx vitest run
