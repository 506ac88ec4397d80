#!/usr/bin/env bash
# The viewer's time to first chart in headless Chromium, on a store of 10 runs × 20,000
# steps (train: ctc_loss, lr, grad_norm, num_examples, audio s/s; dev every 100 steps: loss,
# WER, UER and WER for 10 dialects), next to the straightforward way to chart the same
# data: plotly.js given every logged point (what a report that embeds the raw series does).
#
#   bench/viewer/run.sh            (after ./dev viewer; needs chromium and node)
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(./dev env)"
./dev viewer > /dev/null
# The timed part is the browser's and the server's: the optimised build users serve with.
cargo build --release -q -p dialekt-trainer
trainer=${CARGO_TARGET_DIR:-target}/release/trainer
echo "build: $("$trainer" --version)"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

start=$(date +%s.%N)
DIALEKT_FIXTURE_OUT="$work/runs" DIALEKT_FIXTURE_RUNS=10 DIALEKT_FIXTURE_STEPS=20000 \
  DIALEKT_FIXTURE_VALIDATE_EVERY=100 DIALEKT_FIXTURE_UTTERANCES=300 \
  cargo test -q -p dialekt-trainer --test it report_fixture::write_a_fixture_store -- --ignored --exact > /dev/null
echo "fixture store written in $(echo "$(date +%s.%N) - $start" | bc) s"
start=$(date +%s.%N)
"$trainer" report build "$work/runs" --out "$work/report" > /dev/null
echo "report built in $(echo "$(date +%s.%N) - $start" | bc) s ($(du -sh "$work/report/data" | cut -f1) of data)"
start=$(date +%s.%N)
"$trainer" report build "$work/runs" --out "$work/report" > /dev/null
echo "rebuilt with no run changed in $(echo "$(date +%s.%N) - $start" | bc) s (what \`report serve\` does while one run trains, plus that run)"
cp bench/viewer/naive.html "$work/report/naive.html"

"$trainer" report serve "$work/runs" --out "$work/report" --port 0 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "serving" "$work/serve.log" && break; sleep 0.2; done
url=$(grep -o 'http://[0-9.:]*/' "$work/serve.log")
ids=$(ls "$work/runs" | grep -v '^\.' | head -10 | tr '\n' ',' | sed 's/,$//')
node viewer/e2e/first_chart.mjs "$url" "$ids"
