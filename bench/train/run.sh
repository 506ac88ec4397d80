#!/usr/bin/env bash
# Side-by-side benchmark of training: the whole `trainer run` (data loading, prefetch,
# metrics, checkpoints included) against fairseq2 0.6 running the same recipe step
# (bench/train/fairseq2_train.py) on the same prepared demo data, with the demo
# experiment's model dimensions, the same number of steps and threads. Prints the ratios.
#
#   bench/train/run.sh [steps] [threads]        (defaults 200, 2)
#
# Needs the reference venv (tools/reference/setup-venv.sh; DIALEKT_REF_PYTHON points at its
# python) and libtorch for burn-tch (./dev sets it up).
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS="${1:-200}"
THREADS="${2:-2}"
REF_PY="${DIALEKT_REF_PYTHON:-/work/venvs/ref/bin/python}"
export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
torch_env=$(./dev env)
eval "$torch_env"
cargo build --release -q -p dialekt-trainer
trainer="${CARGO_TARGET_DIR:-target}/release/trainer"
echo "build: $("$trainer" --version)"
"$trainer" data prepare --coral demo/coral --out data/demo > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Ours: the real command, validation and checkpoints only at the end.
ours=$(python3 - "$trainer" "$work" "$STEPS" <<'PY'
import json, resource, subprocess, sys, time, glob
trainer, work, steps = sys.argv[1:4]
started = time.perf_counter()
subprocess.run([trainer, "run", "experiments/demo.yaml", "--set", f"output={work}/runs",
                "--set", f"regime.num_steps={steps}", "--set", f"regime.validate_every_n_steps={steps}",
                "--set", f"regime.checkpoint_every_n_steps={steps}", "--set", "regime.publish_metrics_every_n_steps=10"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
secs = time.perf_counter() - started
run = glob.glob(f"{work}/runs/*/")[0]
lines = [json.loads(l) for l in open(run + "metrics.jsonl")]
train = [l for l in lines if l["phase"] == "train"]
audio = sum(l["values"]["num_elements"] - l["values"]["padding"] for l in train) / 16000
window = sum(l["timing"]["window_s"] for l in train)
json.dump(json.load(open(run + "origin.json"))["arch"], open(f"{work}/dims.json", "w"))
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"impl": "dialekt", "steps": int(steps), "secs": secs, "train_secs": window,
                  "audio_secs_per_s": audio / window, "peak_rss_bytes": peak}))
PY
)
theirs=$("$REF_PY" bench/train/fairseq2_train.py --data data/demo --dims "$work/dims.json" \
  --tokenizer demo/tokenizer/demo_char.model --steps "$STEPS" --threads "$THREADS" 2>/dev/null | grep '^{"impl"')
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = (json.loads(a) for a in sys.argv[1:3])
mib = 1024 ** 2
print(f"training throughput: dialekt {ours['audio_secs_per_s']:.1f} audio-s/s (whole command incl. start-up,"
      f" validation, checkpoint: {ours['secs']:.1f} s), fairseq2 {theirs['audio_secs_per_s']:.1f} audio-s/s"
      f" -> ratio {ours['audio_secs_per_s'] / theirs['audio_secs_per_s']:.2f}x")
print(f"peak RSS: dialekt {ours['peak_rss_bytes'] / mib:.0f} MiB, fairseq2 {theirs['peak_rss_bytes'] / mib:.0f} MiB"
      f" -> ratio {ours['peak_rss_bytes'] / theirs['peak_rss_bytes']:.2f}x")
PY
