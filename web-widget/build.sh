#!/usr/bin/env bash
# Builds the Sportello web widget into web-widget/dist/ and the example bundle into
# examples/website/bundle/. Idempotent: tools are installed only when missing or at the
# wrong version.
#
#   web-widget/build.sh                       full build (wasm-opt -O3)
#   SPORTELLO_SKIP_WASM_OPT=1 web-widget/build.sh   quick local iterations (bigger wasm)
#
# Needs: rustup/cargo, node >= 20 and npm. Respects CARGO_TARGET_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
cd "${root}"
target_dir="${CARGO_TARGET_DIR:-${root}/target}"
dist="${here}/dist"

say() { echo "==> web-widget: $*"; }

# 1. Tools, pinned.
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-unknown-unknown >/dev/null
fi
# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "${bindgen_version}" ]; then
    echo "web-widget: wasm-bindgen not found in Cargo.lock" >&2
    exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen ${bindgen_version}" ]; then
    say "installing wasm-bindgen-cli ${bindgen_version}"
    # --locked first; if one of its locked dependencies is no longer on the registry (a
    # yanked release), resolve them afresh: the CLI's own version stays pinned.
    cargo install wasm-bindgen-cli --version "${bindgen_version}" --locked ||
        cargo install wasm-bindgen-cli --version "${bindgen_version}"
fi
# binaryen (wasm-opt), playwright-core and axe-core, pinned in package-lock.json.
if [ ! -x "${here}/node_modules/.bin/wasm-opt" ] || [ "${here}/package-lock.json" -nt "${here}/node_modules/.package-lock.json" ]; then
    say "npm ci"
    (cd "${here}" && npm ci --no-audit --no-fund)
fi

# 2. The engine in WebAssembly.
say "cargo build -p sportello-wasm (profile wasm)"
cargo build -p sportello-wasm --target wasm32-unknown-unknown --profile wasm
wasm="${target_dir}/wasm32-unknown-unknown/wasm/sportello_wasm.wasm"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
say "wasm-bindgen --target web"
wasm-bindgen --target web --out-dir "${tmp}" "${wasm}"

mkdir -p "${dist}"
if [ "${SPORTELLO_SKIP_WASM_OPT:-0}" = "1" ]; then
    say "SPORTELLO_SKIP_WASM_OPT=1: wasm-opt skipped"
    rm -f "${dist}/.wasm-opt-input.sha256"
    cp "${tmp}/sportello_wasm_bg.wasm" "${dist}/sportello_wasm_bg.wasm"
else
    # wasm-opt is slow: skip it when its input has not changed since the last build.
    stamp="${dist}/.wasm-opt-input.sha256"
    input_sum="$(sha256sum "${tmp}/sportello_wasm_bg.wasm" | cut -d' ' -f1)"
    if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${input_sum}" ] && [ -f "${dist}/sportello_wasm_bg.wasm" ]; then
        say "wasm-opt: input unchanged, keeping dist/sportello_wasm_bg.wasm"
    else
        say "wasm-opt -O3"
        rm -f "${stamp}"
        # -ocimfs 50: do not inline big functions into their only caller. Chromium compiles
        # a wasm function when it is first called, whole: with unlimited one-caller inlining
        # the engine's constructor held the fallback index build too, and opening the engine
        # compiled ~75 KB of code it never ran (engine open 104 -> 69 ms, and 45 KB less gzip).
        "${here}/node_modules/.bin/wasm-opt" -O3 -ocimfs 50 --enable-bulk-memory --enable-nontrapping-float-to-int \
            --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
            "${tmp}/sportello_wasm_bg.wasm" -o "${dist}/sportello_wasm_bg.wasm"
        echo "${input_sum}" >"${stamp}"
    fi
fi
cp "${tmp}/sportello_wasm.js" "${dist}/sportello_wasm.js"
# The types of the engine's API (Assistant), imported by package/sportello.d.ts.
cp "${tmp}/sportello_wasm.d.ts" "${dist}/sportello_wasm.d.ts"
cp "${here}/src/"*.js "${dist}/"

# 3. The example bundle, with the CLI.
cli="${target_dir}/release/sportello"
say "cargo build --release -p sportello-cli"
cargo build --release -p sportello-cli
say "sportello build knowledge-base/comune-di-esempio"
"${cli}" build knowledge-base/comune-di-esempio --out examples/website/bundle

say "done: $(cd "${dist}" && ls | tr '\n' ' ')"
ls -l "${dist}" examples/website/bundle
