#!/usr/bin/env bash
# Time dialekt's jiwer-exact scorer against jiwer 4.0.0 on 10,000 pairs (same machine, one
# run). Needs a Python with jiwer==4.0.0 (default: the reference venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venvs/ref/bin/python}
cargo build --release -q -p dialekt-text --example score_files
TARGET=${CARGO_TARGET_DIR:-target}
exec "$PYTHON" bench/text/score.py "$TARGET/release/examples/score_files"
