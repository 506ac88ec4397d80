#!/usr/bin/env bash
# Data-parallel scaling of `trainer run` over Gloo (weak scaling, as DDP is used: every
# rank keeps the per-rank batch): the demo experiment on 1 rank, then on N local ranks
# (--nproc-per-node), each rank with THREADS threads. Prints each run's training
# throughput and the efficiency against linear (N × the one-rank throughput).
#
#   bench/distributed/run.sh [steps] [ranks...]     (defaults 60, 2)
#
# Give every rank its own cores: on a machine with C cores, N × THREADS ≤ C
# (THREADS defaults to 1). Needs a trainer built with the `distributed` feature (./dev
# builds it when gloo's headers are installed: apt-get install libgloo-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS="${1:-60}"
shift || true
RANKS=("${@:-2}")
THREADS="${THREADS:-1}"
export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
export GLOO_SOCKET_IFNAME="${GLOO_SOCKET_IFNAME:-lo}"
torch_env=$(./dev env)
eval "$torch_env"
cargo build --release -q -p dialekt-trainer --features distributed
trainer="${CARGO_TARGET_DIR:-target}/release/trainer"
echo "build: $("$trainer" --version)"
"$trainer" data prepare --coral demo/coral --out data/demo > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs the demo on $1 ranks; prints {"ranks", "audio_secs_per_s", "secs"}.
measure() {
  python3 - "$trainer" "$work/ranks-$1" "$STEPS" "$1" <<'PY'
import glob, json, subprocess, sys, time
trainer, store, steps, ranks = sys.argv[1:5]
args = [trainer, "run", "experiments/demo.yaml", "--set", f"output={store}",
        "--set", f"regime.num_steps={steps}", "--set", f"regime.validate_every_n_steps={steps}",
        "--set", f"regime.checkpoint_every_n_steps={steps}",
        "--set", "regime.publish_metrics_every_n_steps=10"]
if int(ranks) > 1:
    args += ["--nproc-per-node", ranks]
started = time.perf_counter()
subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
secs = time.perf_counter() - started
run = glob.glob(f"{store}/*/")[0]
train = [json.loads(l) for l in open(run + "metrics.jsonl")]
train = [l for l in train if l["phase"] == "train"]
audio = sum(l["values"]["num_elements"] - l["values"]["padding"] for l in train) / 16000
window = sum(l["timing"]["window_s"] for l in train)
print(json.dumps({"ranks": int(ranks), "audio_secs_per_s": audio / window, "secs": secs}))
PY
}

one=$(measure 1)
echo "$one"
for n in "${RANKS[@]}"; do
  many=$(measure "$n")
  echo "$many"
  python3 - "$one" "$many" "$THREADS" <<'PY'
import json, sys
one, many = (json.loads(a) for a in sys.argv[1:3])
n = many["ranks"]
efficiency = many["audio_secs_per_s"] / (n * one["audio_secs_per_s"])
print(f"{n} ranks x {sys.argv[3]} thread(s): {many['audio_secs_per_s']:.1f} audio-s/s vs 1 rank "
      f"{one['audio_secs_per_s']:.1f} -> speed-up {many['audio_secs_per_s'] / one['audio_secs_per_s']:.2f}x, "
      f"efficiency vs linear {efficiency:.0%}")
PY
done
