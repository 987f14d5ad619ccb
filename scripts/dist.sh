#!/usr/bin/env bash
# Builds the release files into target/dist/ (or $1):
#
#   sportello-<version>-x86_64-linux-gnu.tar.gz   the `sportello` binary (CLI, editor tools and
#                                                 bot backend, TLS built in), the example KB, the
#                                                 example configuration and the deploy files
#   sportello-widget-<version>.tgz                 the web widget as an npm package (sportello.js,
#                                                 the engine's wasm and glue, .d.ts, manifest)
#   SHA256SUMS                                     `sha256sum -c SHA256SUMS` checks both
#
#   scripts/dist.sh [out-dir]
#   SPORTELLO_DIST_TARGET=<rust target> scripts/dist.sh    another target, if its std is installed
#
# Linking: the binary links glibc (libc, libm, libgcc_s) dynamically and everything else
# statically: rustls and its roots (no OpenSSL), SQLite (bundled). It runs on any x86_64 Linux
# with glibc >= the version printed below (Debian 12, Ubuntu 22.04, RHEL 9 and later). A fully
# static binary needs the x86_64-unknown-linux-musl target, and aarch64 needs the
# aarch64-unknown-linux-gnu std plus Debian's gcc-aarch64-linux-gnu; neither rust std can be
# installed on the machines this project is built on (rustup cannot download there), so this
# script builds them only where `rustup target list --installed` shows them.
# Needs what web-widget/build.sh needs (rustup/cargo, node >= 20, npm). Respects CARGO_TARGET_DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
target_dir="${CARGO_TARGET_DIR:-${root}/target}"
out="$(mkdir -p "${1:-${target_dir}/dist}" && cd "${1:-${target_dir}/dist}" && pwd)"
say() { echo "==> dist: $*"; }

version="$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^version = / { print $2; exit }' Cargo.toml)"
[ -n "${version}" ] || { echo "dist: no version in Cargo.toml" >&2; exit 1; }
# Reproducible archives: file times from the last commit.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

# 1. The widget (wasm, glue, types) and the release CLI, as CI builds them.
web-widget/build.sh

rust_target="${SPORTELLO_DIST_TARGET:-}"
if [ -n "${rust_target}" ]; then
    if ! rustup target list --installed 2>/dev/null | grep -qx "${rust_target}"; then
        echo "dist: the Rust std for ${rust_target} is not installed (rustup target add ${rust_target})" >&2
        exit 1
    fi
    say "cargo build --release -p sportello-cli --target ${rust_target}"
    cargo build --release --locked -p sportello-cli --target "${rust_target}"
    bin="${target_dir}/${rust_target}/release/sportello"
    platform="${rust_target/-unknown-/-}"
else
    bin="${target_dir}/release/sportello"
    platform="x86_64-linux-gnu"
fi
[ -x "${bin}" ] || { echo "dist: ${bin} missing" >&2; exit 1; }

# 2. The release archive.
name="sportello-${version}-${platform}"
stage="$(mktemp -d)"
trap 'rm -rf "${stage}"' EXIT
dir="${stage}/${name}"
mkdir -p "${dir}/examples/bot" "${dir}/knowledge-base" "${dir}/deploy"
install -m 0755 "${bin}" "${dir}/sportello"
strip "${dir}/sportello" 2>/dev/null || true
cp LICENSE-MIT LICENSE-APACHE "${dir}/"
cp deploy/INSTALL.md "${dir}/README.md"
cp -r knowledge-base/comune-di-esempio "${dir}/knowledge-base/"
# The example configuration (its KB path, ../../knowledge-base/…, holds in the archive too).
cp examples/bot/sportello.toml "${dir}/examples/bot/"
cp deploy/sportello.service deploy/nginx.conf deploy/sportello.toml deploy/sportello-replicas.toml "${dir}/deploy/"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH}" \
    -C "${stage}" -czf "${out}/${name}.tar.gz" "${name}"

# 3. The npm package.
pkg="${stage}/package"
mkdir -p "${pkg}"
cp web-widget/dist/sportello.js web-widget/dist/sportello_wasm.js web-widget/dist/sportello_wasm.d.ts \
    web-widget/dist/sportello_wasm_bg.wasm "${pkg}/"
cp web-widget/package/package.json web-widget/package/sportello.d.ts web-widget/package/custom-elements.json \
    web-widget/package/README.md LICENSE-MIT LICENSE-APACHE "${pkg}/"
node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const p = JSON.parse(fs.readFileSync(file, "utf8"));
  p.version = process.argv[2];
  fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");
' "${pkg}/package.json" "${version}"
(cd "${pkg}" && npm pack --silent --pack-destination "${out}" >/dev/null)

# 4. Checksums, and what was made.
(cd "${out}" && sha256sum "${name}.tar.gz" "sportello-widget-${version}.tgz" >SHA256SUMS)
say "glibc needed: $(objdump -T "${dir}/sportello" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || echo '?')"
say "dynamic libraries: $(objdump -p "${dir}/sportello" 2>/dev/null | awk '/NEEDED/ { printf "%s ", $2 }')"
ls -l "${out}"
cat "${out}/SHA256SUMS"
