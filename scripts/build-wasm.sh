#!/usr/bin/env bash
# Builds the WebAssembly module and its wasm-bindgen glue into build/wasm/<variant>/:
#   simd    (default) compiled with -C target-feature=+simd128: the one the package ships
#   scalar  the same Rust without simd128, for the benchmarks' SIMD-versus-scalar comparison
#   reference  the shipped build plus the scalar reference kernel (optim-wasm's `reference-kernel`
#           feature), for the tests that compare every SIMD kernel with it (test/helpers.ts
#           `initReferenceBuild`); same imports and exports as the shipped one, so dist/'s glue fits
#   threads the second .wasm the package ships, for `init({ threads })`: shared memory (imported,
#           so that every worker instantiates the module over the same memory), atomics, and
#           optim-wasm's `threads` feature (the worker pool). Rust's std is rebuilt with atomics
#           (-Zbuild-std, which needs rust-src; RUSTC_BOOTSTRAP lets stable rustc take -Z flags).
# Run scripts/setup.sh first (`npm run build` and scripts/test.sh do).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
variant=${1:-simd}
features=()
opt_features=()
case "$variant" in
  simd) rustflags="-C target-feature=+simd128" ;;
  scalar) rustflags="" ;;
  reference) rustflags="-C target-feature=+simd128"; features=(-- --features reference-kernel) ;;
  threads)
    # rustc adds none of the shared-memory link arguments by itself. Without --max-memory a shared
    # memory cannot grow; 65536 pages is wasm32's 4 GiB. The TLS exports let wasm-bindgen give
    # each worker its own thread-local block and stack.
    rustflags="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128"
    for arg in --shared-memory --import-memory --max-memory=4294967296 --export=__wasm_init_tls \
      --export=__tls_size --export=__tls_align --export=__tls_base; do
      rustflags+=" -C link-arg=$arg"
    done
    export RUSTC_BOOTSTRAP=1
    features=(-- --features threads -Zbuild-std=std,panic_abort)
    opt_features=(--enable-threads) ;;
  *) echo "usage: scripts/build-wasm.sh [simd|scalar|reference|threads]" >&2; exit 2 ;;
esac

# shellcheck source=/dev/null
source "$root/target/wasm-toolchain.env" 2>/dev/null || { echo "run scripts/setup.sh first" >&2; exit 1; }
out="$root/build/wasm/$variant"
export PATH="${WASM_PATH_PREFIX:+$WASM_PATH_PREFIX:}$HOME/.cargo/bin:$PATH"
for var in RUSTC CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER; do
  if [ -n "${!var:-}" ]; then export "${var?}"; else unset "$var"; fi
done
# A separate target dir per variant keeps both incremental (RUSTFLAGS changes invalidate builds).
export CARGO_TARGET_DIR="$root/target/wasm-$variant"
RUSTFLAGS="$rustflags" wasm-pack --quiet build "$root/crates/optim-wasm" --release --target web --mode no-install \
  --out-dir "$out" --out-name lucid_optim --no-pack "${features[@]}" >&2

# wasm-opt from npm's binaryen (wasm-pack's own would download it). -O3 keeps simd128 enabled.
# KERNELS_STAY_APART: every algorithm's SIMD kernel (`step_simd`, #[inline(never)] in Rust) stays a
# wasm function of its own. wasm-opt would inline each into the step, its one caller, and V8 then
# allocates registers over one function holding every algorithm's loops: with SGD's loops beside
# Adam's, Adam's AMSGrad + weight decay loop spilled and ran at 0.85x (bench/ab.mjs, 1M elements);
# apart, 1.00x of the Adam-only module.
"$root/node_modules/.bin/wasm-opt" --no-inline="*step_simd*" -O3 --strip-producers --strip-target-features --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue "${opt_features[@]}" \
  "$out/lucid_optim_bg.wasm" -o "$out/lucid_optim_bg.wasm"
rm -f "$out/.gitignore" "$out/package.json" "$out/README.md"
echo "built $out/lucid_optim_bg.wasm ($(wc -c < "$out/lucid_optim_bg.wasm") bytes)" >&2
