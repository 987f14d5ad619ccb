#!/usr/bin/env bash
# Checks the release files of scripts/dist.sh as an agency would use them, on a machine with no
# Rust toolchain:
#
#   1. SHA256SUMS verifies;
#   2. in a fresh Debian 12 chroot made by debootstrap (scripts/chroot-lib.sh; no cargo, no
#      rustc, no compiler: checked), the archive is unpacked with the chroot's own tar, and its
#      binary runs `check` and `ask` on the example KB, `build`s the widget's bundle, and
#      `serve` answers /healthz, /readyz and a question on the JSON API (in its own network
#      namespace, so no port clashes with the host);
#   3. as a web developer without cargo on PATH (env -i PATH=/usr/bin:/bin, checked), the npm
#      package is installed into a plain site with `npm install <tgz>` (offline: it has no
#      dependencies), and web-widget/tests/release-page.mjs opens that page in Chromium and
#      asks the widget a question, with the bundle from step 2.
#
#   scripts/release-check.sh [dist-dir]     (default target/dist; needs root, debootstrap,
#                                           unshare, curl, node with web-widget/node_modules)
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root_dir}"
# shellcheck source=scripts/chroot-lib.sh
source scripts/chroot-lib.sh
dist="$(cd "${1:-${CARGO_TARGET_DIR:-target}/dist}" && pwd)"
say() { echo "==> release-check: $*"; }
fail() {
    echo "release-check: FAILED: $*" >&2
    exit 1
}
start=$SECONDS

# 1. Checksums.
(cd "${dist}" && sha256sum -c --quiet SHA256SUMS) || fail "checksums"
archive="$(cd "${dist}" && ls sportello-*-linux-*.tar.gz | head -1)"
package="$(cd "${dist}" && ls sportello-widget-*.tgz | head -1)"
[ -n "${archive}" ] && [ -n "${package}" ] || fail "no archive or package in ${dist}"
say "checksums ok: ${archive}, ${package}"

# 2. The binary in a clean system.
chroot_ensure_base
scratch="$(mktemp -d)"
trap 'chroot_release "${scratch}"' EXIT
root="$(chroot_fresh_copy "${scratch}")"
if chroot_run "${root}" root /bin/sh -c 'command -v cargo || command -v rustc || command -v cc || command -v gcc'; then
    fail "the chroot has a toolchain"
fi
cp "${dist}/${archive}" "${root}/tmp/"
chroot_run "${root}" root tar -xzf "/tmp/${archive}" -C /opt
top="/opt/${archive%.tar.gz}"
say "unpacked in the chroot: $(ls "${root}${top}" | tr '\n' ' ')"
kb="${top}/knowledge-base/comune-di-esempio"
chroot_run "${root}" root "${top}/sportello" check "${kb}" || fail "sportello check"
ask="$(chroot_run "${root}" root "${top}/sportello" ask "${kb}" "quanto costa la carta d'identità")"
echo "${ask}" | head -3
grep -q "22,21" <<<"${ask}" || fail "sportello ask did not answer with the price of the CIE"
chroot_run "${root}" root "${top}/sportello" build "${kb}" --out /tmp/bundle >/dev/null || fail "sportello build"
say "sportello build: bundle.json $(stat -c %s "${root}/tmp/bundle/bundle.json") bytes, bundle.bin $(stat -c %s "${root}/tmp/bundle/bundle.bin") bytes"
cat >"${root}/tmp/serve.toml" <<TOML
[server]
listen = "127.0.0.1:8080"
reload_poll_seconds = 0
[[agency]]
id = "comune-di-esempio"
kb = "${kb}"
channels = ["api"]
TOML
export root top
unshare -n bash -c '
    set -euo pipefail
    source scripts/chroot-lib.sh
    ip link set lo up
    # A simple command in the background, so that $! is the server itself (env and chroot
    # exec it): a function would run in a subshell that TERM kills, leaving the server behind.
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "${chroot_bin}" "${root}" "${top}/sportello" serve --config /tmp/serve.toml 2>"${root}/tmp/serve.log" &
    pid=$!
    for _ in $(seq 100); do
        curl -sf http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "GET /healthz -> $(curl -sf http://127.0.0.1:8080/healthz)"
    echo "GET /readyz  -> $(curl -sf http://127.0.0.1:8080/readyz)"
    reply="$(curl -sf -X POST -H "content-type: application/json" \
        -d "{\"question\":\"orari della ztl\"}" http://127.0.0.1:8080/v1/agencies/comune-di-esempio/ask)"
    echo "POST /ask    -> ${reply:0:90}…"
    grep -q "\"kind\":\"answer\"" <<<"${reply}"
    kill -TERM "${pid}"
    wait "${pid}"
' || { cat "${root}/tmp/serve.log" >&2; fail "sportello serve"; }
say "the release binary ran check, ask, build and serve in a clean Debian 12 chroot"
# The archive's systemd unit, as systemd reads it (its ExecStart pointed at the unpacked binary).
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s|/usr/local/bin/sportello|${root}${top}/sportello|" "${root}${top}/deploy/sportello.service" >"${scratch}/sportello.service"
    systemd-analyze verify "${scratch}/sportello.service" || fail "systemd-analyze verify deploy/sportello.service"
    say "systemd-analyze verify: the unit is valid"
fi

# 3. The npm package on a plain page, installed without cargo.
site="${scratch}/site"
mkdir -p "${site}/bundle" "${scratch}/home"
cp "${root}/tmp/bundle/bundle.json" "${root}/tmp/bundle/bundle.bin" "${site}/bundle/"
cp "${dist}/${package}" "${scratch}/"
cat >"${site}/package.json" <<'JSON'
{ "name": "sito-comune", "private": true, "version": "1.0.0" }
JSON
cat >"${site}/index.html" <<'HTML'
<!doctype html>
<html lang="it">
<head><meta charset="utf-8"><title>Comune di Esempio</title></head>
<body>
  <h1>Comune di Esempio</h1>
  <script type="module" src="node_modules/sportello-widget/sportello.js"></script>
  <sportello-chat src="bundle/"></sportello-chat>
</body>
</html>
HTML
(
    cd "${site}"
    env -i PATH=/usr/bin:/bin HOME="${scratch}/home" bash -c '
        set -euo pipefail
        if command -v cargo || command -v rustc; then exit 3; fi
        npm install --offline --no-audit --no-fund --loglevel=error "../$1"
    ' sh "${package}"
) || fail "npm install of the package without cargo"
say "npm install: $(cd "${site}/node_modules/sportello-widget" && ls | tr '\n' ' ')"
# The package's types, as a TypeScript site would use them (typescript pinned, installed here).
npm install --prefix "${scratch}/ts" --no-audit --no-fund --loglevel=error typescript@5.9.3 >/dev/null
cp web-widget/tests/release-types.ts "${site}/"
cat >"${site}/tsconfig.json" <<'JSON'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "es2022", "module": "esnext",
  "moduleResolution": "bundler", "lib": ["es2022", "dom", "esnext.disposable"], "skipLibCheck": false },
  "files": ["release-types.ts"] }
JSON
(cd "${site}" && node "${scratch}/ts/node_modules/typescript/bin/tsc" -p tsconfig.json) || fail "the package's types"
say "tsc --strict accepts the package's types (sportello.d.ts, sportello_wasm.d.ts)"
node web-widget/tests/release-page.mjs "${site}" || fail "the widget on the plain page"
say "ok in $((SECONDS - start)) s"
