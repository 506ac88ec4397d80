#!/usr/bin/env bash
# Side-by-side benchmark: forward + backward + AdamW step of the 300m arch, batch 2 x 4 s,
# ours (burn-tch, CPU) vs fairseq2 0.6, same machine, same thread count; prints the ratios.
#
#   bench/model/run.sh [threads]        (default 2)
#
# The release profile: our crates optimised too (burn's generic kernels are instantiated in
# them), as in the binary `./dev demo` and `trainer submit` jobs run.
# Needs: /work/venvs/ref (fairseq2 0.6), libtorch 2.9 for burn-tch (see .ci/run for the env).
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${1:-2}"
REF_PY="${DIALEKT_REF_PYTHON:-/work/venvs/ref/bin/python}"
export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"

# libtest prints "test <name> ... " before the test's own stdout line: take the JSON.
echo "build: release profile (cargo test --release), opt-level 3"
ours=$(cargo test --release -p dialekt-model --test it bench \
  -- --ignored --nocapture --test-threads 1 2>/dev/null | grep -o '{"impl".*}' | head -1)
theirs=$("$REF_PY" bench/model/fairseq2_step.py --threads "$THREADS" 2>/dev/null | grep '^{"impl"')
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, statistics, sys
ours, theirs = (json.loads(a) for a in sys.argv[1:3])
o, t = statistics.median(ours["step_secs"]), statistics.median(theirs["step_secs"])
gib = 1024 ** 3
print(f"step time: ours {o:.2f} s, fairseq2 {t:.2f} s -> throughput ratio {t / o:.2f}x (goal >= 1.2)")
print(f"peak RSS: ours {ours['peak_rss_bytes'] / gib:.2f} GiB, fairseq2 {theirs['peak_rss_bytes'] / gib:.2f} GiB"
      f" -> memory ratio {ours['peak_rss_bytes'] / theirs['peak_rss_bytes']:.2f}x (goal <= 0.8)")
PY
