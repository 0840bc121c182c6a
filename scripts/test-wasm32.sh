#!/usr/bin/env bash
# optim-core's unit and integration tests on wasm32-unknown-unknown, compiled with simd128 as the
# shipped .wasm is: native `cargo test` exercises the SSE lanes, this run the simd128 ones.
# The tests run under Node through wasm-bindgen-test-runner, which Cargo calls as the target's
# runner (scripts/setup.sh installs it with wasm-bindgen-cli); see tests/adam.rs for how a test
# is written so that it runs on both. Doctests do not run on wasm32. Extra arguments go to
# `cargo test`, e.g. `scripts/test-wasm32.sh --test step` or a test name filter.
# Run scripts/setup.sh first (scripts/test.sh does).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

# A test without wasm-bindgen-test's attribute compiles on wasm32 and is silently skipped there, so
# the native list of tests (with the host toolchain, as scripts/test.sh's `cargo test` builds it)
# is the reference: every test in it must run on wasm32 too, unless its path says `native_only`.
list_tests() { sed -n 's/: test$//p' | sort; }
native_tests=$(cargo test -p optim-core --lib --tests --quiet -- --list | list_tests)

# The toolchain scripts/setup.sh chose (rustup's, or Debian's rustc-web with its own rustc and
# linker), exactly as scripts/build-wasm.sh uses it.
# shellcheck source=/dev/null
source "$root/target/wasm-toolchain.env" 2>/dev/null || { echo "run scripts/setup.sh first" >&2; exit 1; }
export PATH="${WASM_PATH_PREFIX:+$WASM_PATH_PREFIX:}$PATH"
for var in RUSTC CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER; do
  if [ -n "${!var:-}" ]; then export "${var?}"; else unset "$var"; fi
done
command -v wasm-bindgen-test-runner >/dev/null || { echo "no wasm-bindgen-test-runner: run scripts/setup.sh" >&2; exit 1; }

# Its own target dir: other RUSTFLAGS than the native and wasm-pack builds, so none invalidates another.
export CARGO_TARGET_DIR="$root/target/wasm32-test"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export RUSTFLAGS="-C target-feature=+simd128"
# --lib --tests: no doctests, which would report `ok` on wasm32 without having run.
wasm_test() { cargo test -p optim-core --target wasm32-unknown-unknown --lib --tests "$@"; }

wasm_tests=$(wasm_test -- --list | list_tests)
missing=$(comm -23 <(echo "$native_tests" | grep -v native_only) <(echo "$wasm_tests"))
if [ -n "$missing" ]; then
  echo "these optim-core tests run natively but not on wasm32 (see the convention atop crates/optim-core/tests/adam.rs):" >&2
  echo "$missing" >&2
  exit 1
fi
wasm_test --no-fail-fast "$@"
echo "wasm32 + simd128: all $(echo "$native_tests" | grep -vc native_only) of optim-core's tests that run natively ran" \
  "($(echo "$native_tests" | grep -c native_only) native_only)" >&2
