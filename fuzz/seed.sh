#!/usr/bin/env bash
# Seeds the fuzz corpora from the example KB and the dev question sets, and writes the
# example bundle the `ask` and `prebuilt` targets open. Needs the release CLI
# (`cargo build --release -p sportello-cli`). Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${SPORTELLO_BIN:-${CARGO_TARGET_DIR:-target}/release/sportello}"
KB=knowledge-base/comune-di-esempio
C=fuzz/corpus
mkdir -p "$C"/{load_native,load_jsonl,load_csv,bundle,prebuilt,ask,redact}

"$BIN" build "$KB" --out fuzz/bundle-out >/dev/null
cp fuzz/bundle-out/bundle.json fuzz/example-bundle.json
cp fuzz/bundle-out/bundle.bin fuzz/example-bundle.bin
rm -rf fuzz/bundle-out
# Entries (selector byte 0), agency.toml (1) for the native parsers.
for f in "$KB"/entries/*.md; do
    { printf '\0'; cat "$f"; } >"$C/load_native/$(basename "$f")"
done
{ printf '\1'; cat "$KB/agency.toml"; } >"$C/load_native/agency.toml"
"$BIN" export "$KB" --format jsonl --out "$C/load_jsonl/example.jsonl"
"$BIN" export "$KB" --format csv --out "$C/load_csv/example.csv"
# Small and whole bundles; the prebuilt payload alone (after magic, versions, fingerprint
# and checksum).
cp fuzz/example-bundle.json "$C/bundle/example.json"
python3 - "$C" <<'PY'
import json, sys, pathlib
c = pathlib.Path(sys.argv[1])
b = json.loads(pathlib.Path("fuzz/example-bundle.json").read_text())
small = dict(b, entries=b["entries"][:3], rendered=b["rendered"][:3])
small.pop("prebuilt", None)
(c / "bundle" / "small.json").write_text(json.dumps(small, ensure_ascii=False))
blob = pathlib.Path("fuzz/example-bundle.bin").read_bytes()
at = 4
for _ in range(2):  # data and analysis versions, LEB128 each
    while blob[at] & 0x80:
        at += 1
    at += 1
(c / "prebuilt" / "example.bin").write_bytes(blob[at + 16:])
# Questions of the dev sets, and texts with personal data, for ask and redact.
n = 0
for name in ("in-scope", "out-of-scope"):
    for line in open(f"tests/eval/comune-di-esempio/{name}.jsonl", encoding="utf-8"):
        q = json.loads(line)["query"]
        (c / "ask" / f"q{n:03}").write_text(q)
        n += 1
pii = [
    "mi chiamo Mario Rossi, abito in via Garibaldi 12, tel 333 1234567",
    "cf RSSMRA85T10A562S targa AB123CD carta CA12345AB",
    "iban IT60 X054 2811 1010 0000 0123 456 del 12/05/2024 prot. 2024/000123",
    "scrivete a mario.rossi@example.it \x1b[31m(+39) 06.1234.5678\x1b[0m",
]
for i, t in enumerate(pii):
    (c / "redact" / f"p{i}").write_text(t)
    (c / "ask" / f"p{i}").write_text(t)
PY
echo "corpora in $C: $(find "$C" -type f | wc -l) files"
