#!/usr/bin/env bash
# Installs what building lucid-optim needs, and only what is missing: safe to run again and again.
# The README's commands run it for you (`npm run build` and `npm test` call it first); you never
# need to call it by hand.
#
#   1. A Rust toolchain that can build wasm32-unknown-unknown, and Rust's std sources (the
#      shared-memory .wasm of `init({ threads })` rebuilds std with atomics: -Zbuild-std):
#      a. rustup's, adding the target with `rustup target add` and the sources with
#         `rustup component add rust-src` where that works (a normal laptop);
#      b. otherwise Debian's rustc-web (Rust 1.96, offline-friendly): its std is rebuilt for wasm32
#         from rust-web-src with -Zbuild-std once (libtest too, for scripts/test-wasm32.sh), and the
#         rlibs are installed into its sysroot; rust-web-src is also what the shared-memory build
#         rebuilds std from.
#      The choice is written to target/wasm-toolchain.env for scripts/build-wasm.sh.
#   2. wasm-bindgen-cli at exactly the version crates/optim-wasm pins (with wasm-bindgen-test-runner),
#      wasm-pack, and rustup's rustfmt and clippy components.
#   3. npm dependencies (npm ci) when node_modules is missing or older than package-lock.json.
#   Set LUCID_OPTIM_WASM_TOOLCHAIN=debian (or rustup) to force one route.
#   4. With --browser: the three browser engines of the real-browser tests, Debian's own builds:
#      chromium, firefox-esr, and WebKitGTK's MiniBrowser with webkit2gtk-driver (WebKitWebDriver),
#      which needs a display: xvfb.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
env_file="$root/target/wasm-toolchain.env"
wasm_bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$root/crates/optim-wasm/Cargo.toml")
want_browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    *) echo "usage: scripts/setup.sh [--browser]" >&2; exit 2 ;;
  esac
done

log() { echo "[setup] $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=false
apt_install() {
  command -v apt-get >/dev/null || { log "need Debian packages ($*) but there is no apt-get"; return 1; }
  if ! $apt_updated; then as_root apt-get update -qq >&2; apt_updated=true; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >&2
}

write_env() { mkdir -p "$(dirname "$env_file")"; printf '%s\n' "$@" > "$env_file"; }

# --- 1a. rustup ------------------------------------------------------------------------------
rustup_has_target() { rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }
rustup_has_src() { rustup component list --installed 2>/dev/null | grep -qx rust-src; }
use_rustup() {
  command -v rustup >/dev/null || return 1
  if ! rustup_has_target; then
    log "rustup target add wasm32-unknown-unknown"
    timeout 300 rustup target add wasm32-unknown-unknown >&2 2>/dev/null && rustup_has_target || return 1
  fi
  if ! rustup_has_src; then
    log "rustup component add rust-src (for the shared-memory .wasm's -Zbuild-std)"
    timeout 300 rustup component add rust-src >&2 2>/dev/null && rustup_has_src || return 1
  fi
}

# --- 1b. Debian rustc-web with a locally built wasm32 std -------------------------------------
debian_rustc=/usr/bin/rustc
debian_cargo=/usr/bin/cargo
debian_src=/usr/lib/rustlib/src/rust/library
use_debian() {
  if ! { [ -x "$debian_rustc" ] && "$debian_rustc" --print target-list 2>/dev/null | grep -qx wasm32-unknown-unknown \
         && [ -d "$debian_src/vendor" ] && command -v wasm-ld-22 >/dev/null; }; then
    apt_install rustc-web cargo-web rust-web-src lld-22 || return 1
  fi
  local sysroot libdir
  sysroot=$("$debian_rustc" --print sysroot)
  libdir="$sysroot/lib/rustlib/wasm32-unknown-unknown/lib"
  # libtest: `cargo test --target wasm32-unknown-unknown` (scripts/test-wasm32.sh) links it.
  if ! ls "$libdir"/libtest-*.rlib >/dev/null 2>&1; then
    log "building Rust's std and libtest for wasm32-unknown-unknown with $("$debian_rustc" --version) (about a minute)"
    local work
    work=$(mktemp -d)
    mkdir -p "$work/src" "$work/.cargo"
    printf '[package]\nname = "wasm32-std-build"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n' > "$work/Cargo.toml"
    : > "$work/src/lib.rs"
    # The std sources vendor their own dependencies; point crates.io at them, in this crate only.
    printf '[source.crates-io]\nreplace-with = "rust-std-vendor"\n[source.rust-std-vendor]\ndirectory = "%s"\n' \
      "$debian_src/vendor" > "$work/.cargo/config.toml"
    (cd "$work" && RUSTC_BOOTSTRAP=1 RUSTC="$debian_rustc" CARGO_TARGET_DIR="$work/target" \
      "$debian_cargo" build --release --quiet -Zbuild-std=std,panic_abort,test --target wasm32-unknown-unknown) >&2
    as_root mkdir -p "$libdir"
    # An older set (std only) must go: two rlibs of one crate in the sysroot are ambiguous to rustc.
    as_root rm -f "$libdir"/lib*.rlib
    # shellcheck disable=SC2046 # rlib paths have no spaces
    as_root cp $(find "$work/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libwasm32_std_build*') "$libdir/"
    rm -rf "$work"
  fi
  # cargo and rustc are picked by PATH inside wasm-pack; a shim folder puts Debian's first.
  local shims="$root/target/wasm-toolchain/bin"
  mkdir -p "$shims"
  ln -sf "$debian_cargo" "$shims/cargo"
  ln -sf "$debian_rustc" "$shims/rustc"
  # Debian's rustc names the linker rust-lld, which Debian does not ship; lld-22's wasm-ld is it.
  write_env "WASM_TOOLCHAIN=debian" "WASM_PATH_PREFIX=$shims" "RUSTC=$debian_rustc" \
    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$(command -v wasm-ld-22)"
}

# LUCID_OPTIM_WASM_TOOLCHAIN=debian|rustup forces a route (to test the other one on one machine).
route=${LUCID_OPTIM_WASM_TOOLCHAIN:-auto}
if [ "$route" != debian ] && use_rustup; then
  write_env "WASM_TOOLCHAIN=rustup" "WASM_PATH_PREFIX=" "RUSTC=" "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="
elif [ "$route" != rustup ] && use_debian; then
  :
else
  log "cannot get a Rust toolchain for wasm32-unknown-unknown: install rustup and run"
  log "'rustup target add wasm32-unknown-unknown', or on Debian 12 the packages rustc-web cargo-web rust-web-src lld-22"
  exit 1
fi

# --- 2. wasm-bindgen-cli and wasm-pack ---------------------------------------------------------
cargo_bin=$(command -v cargo || echo "$debian_cargo")
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  log "cargo install wasm-bindgen-cli $wasm_bindgen_version (a few minutes, once)"
  "$cargo_bin" install --quiet --force wasm-bindgen-cli --version "$wasm_bindgen_version" >&2
fi
if ! command -v wasm-pack >/dev/null; then
  log "cargo install wasm-pack (a few minutes, once)"
  "$cargo_bin" install --quiet wasm-pack >&2
fi
# rustfmt and clippy for scripts/test.sh's checks (rustup's minimal profile has neither).
has_lints() { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1
if ! has_lints && command -v rustup >/dev/null; then
  log "rustup component add rustfmt clippy"
  rustup component add rustfmt clippy >&2 || true
fi
has_lints || log "no cargo fmt or cargo clippy: scripts/test.sh needs both (rustup component add rustfmt clippy)"

# --- 3. npm dependencies -------------------------------------------------------------------------
if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  log "npm ci"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

# --- 4. a real browser ------------------------------------------------------------------------------
if $want_browser; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null || missing+=(xvfb)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
fi
log "ready ($(grep WASM_TOOLCHAIN "$env_file"))"
