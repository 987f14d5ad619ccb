#!/usr/bin/env bash
# Bundles survive upgrades, checked across real commits: the `sportello` CLI of an earlier
# commit (built from git in a worktree) builds the example bundle, and the widget built at this
# commit (web-widget/dist, from web-widget/build.sh) opens it in Chromium from its prebuilt data
# and answers. The earlier commit is the newest one before HEAD whose crates differ from HEAD's,
# when it has the same bundle format, data version and analysis version as HEAD (a widget must
# open those); when HEAD itself changed a version, no earlier commit qualifies and the check says so
# and passes (tests/bundle_compat.rs then holds a bundle of the new versions).
#
#   scripts/bundle-across-commits.sh [commit]     (needs git history, cargo, node, chromium)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
say() { echo "==> bundle-across-commits: $*"; }

versions() {
    local c="$1" d a f
    d="$(git show "${c}:crates/sportello-core/src/prebuilt/mod.rs" 2>/dev/null | sed -n 's/^pub const DATA_VERSION: u32 = \([0-9]*\);.*/\1/p')"
    a="$(git show "${c}:crates/sportello-core/src/analysis/mod.rs" 2>/dev/null | sed -n 's/^pub const ANALYSIS_VERSION: u32 = \([0-9]*\);.*/\1/p')"
    f="$(git show "${c}:crates/sportello-core/src/bundle.rs" 2>/dev/null | sed -n 's/^pub const FORMAT: u32 = \([0-9]*\);.*/\1/p')"
    echo "format ${f:-?} data ${d:-?} analysis ${a:-?}"
}

head_versions="$(versions HEAD)"
old="${1:-}"
if [ -z "${old}" ]; then
    if ! git rev-parse -q --verify HEAD~1 >/dev/null; then
        say "SKIPPED: no history (a shallow clone)"
        exit 0
    fi
    # The newest earlier commit whose crates differ from HEAD's (the code changed since).
    for c in $(git log --format=%H -n 100 HEAD~1 -- crates); do
        git diff --quiet "${c}" HEAD -- crates && continue
        if [ "$(versions "${c}")" = "${head_versions}" ]; then
            old="${c}"
        fi
        break
    done
fi
if [ -z "${old}" ]; then
    say "no earlier commit with ${head_versions}: HEAD changed a version; nothing to check across commits"
    exit 0
fi
[ "$(versions "${old}")" = "${head_versions}" ] || { echo "bundle-across-commits: ${old} has $(versions "${old}"), HEAD ${head_versions}" >&2; exit 1; }
[ -f web-widget/dist/sportello_wasm_bg.wasm ] || { echo "bundle-across-commits: run web-widget/build.sh first" >&2; exit 1; }
changed="$(git diff --stat "${old}" HEAD -- crates | tail -1)"
say "bundle by $(git log -1 --format='%h (%ad)' --date=short "${old}"), widget at $(git log -1 --format='%h' HEAD), both ${head_versions}; code changed since: ${changed}"

work="$(mktemp -d)"
cleanup() {
    git worktree remove --force "${work}/old" >/dev/null 2>&1 || true
    rm -rf "${work}"
}
trap cleanup EXIT
git worktree add --detach -q "${work}/old" "${old}"
# Its own target dir (the earlier commit's crates must not replace this one's binaries),
# warmed with this one's compiled dependencies.
target="${CARGO_TARGET_DIR:-${root}/target}"
old_target="${target}/across-commits"
if [ ! -d "${old_target}/release/deps" ] && [ -d "${target}/release/deps" ]; then
    mkdir -p "${old_target}/release"
    cp -r "${target}/release/deps" "${target}/release/build" "${target}/release/.fingerprint" "${old_target}/release/"
fi
(cd "${work}/old" && CARGO_TARGET_DIR="${old_target}" cargo build --release --locked -p sportello-cli --bin sportello 2>&1 | tail -2)
"${old_target}/release/sportello" build "${work}/old/knowledge-base/comune-di-esempio" --out "${work}/site/bundle"
cat >"${work}/site/index.html" <<'HTML'
<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Comune di Esempio</title>
<script type="module" src="/web-widget/dist/sportello.js"></script></head>
<body><main><h1>Comune di Esempio</h1></main><sportello-chat src="/site/bundle/" load="eager"></sportello-chat></body></html>
HTML
node web-widget/tests/old-bundle.mjs "${work}/site"
say "ok: the widget of $(git log -1 --format=%h HEAD) opened the bundle of $(git log -1 --format=%h "${old}") from its prebuilt data and answered"
