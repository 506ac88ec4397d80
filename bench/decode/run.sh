#!/usr/bin/env bash
# Benchmark: dialekt's CTC beam search + n-gram LM against pyctcdecode 0.5.0 + kenlm 0.3.0
# in one run on one machine: decoding throughput (same float32 logits, same lmplz ARPA,
# same beam, one core each), LM load time and resident memory vs kenlm on the same ARPA,
# and the estimator vs lmplz. Release build. Asserts nothing (machines are noisy).
#
#   bench/decode/run.sh
#
# Needs a Python with pyctcdecode==0.5.0 kenlm==0.3.0 numpy sentencepiece (default
# /work/venvs/lm), and lmplz (built by tools/reference/lm/build_lmplz.sh if LMPLZ is
# unset). REPEATS (default 5) alternating runs of each side.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venvs/lm/bin/python}
LMPLZ=${LMPLZ:-$(PIP="$(dirname "$PYTHON")/pip" tools/reference/lm/build_lmplz.sh)/lmplz}
INPUTS=${BENCH_INPUTS:-/tmp/dialekt-bench-decode}
cargo build --release -q -p dialekt-text --example decode_bench --example lm_load --example lm_build
BINS=${CARGO_TARGET_DIR:-target}/release/examples
if [ ! -f "$INPUTS/frames.txt" ]; then
  LMPLZ=$LMPLZ "$PYTHON" bench/decode/make_inputs.py "$INPUTS"
fi
exec "$PYTHON" bench/decode/bench.py "$BINS" "$INPUTS" "$LMPLZ"
