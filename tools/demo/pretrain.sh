#!/usr/bin/env bash
# Pretrains the demo's base model and exports it in fairseq2's released layout: what
# experiments/demo.yaml fine-tunes. Run once by a maintainer (≈ 40 min on 2 CPU cores); the
# result, demo/model/, is committed, so neither `./dev demo` nor the tests run this.
#
#   PYTHON=/work/venvs/demo/bin/python tools/demo/pretrain.sh
#
# 1. the separate synthetic pretraining corpus (other sentences, six neutral voices:
#    tools/demo/make_demo_corpus.py --corpus pretrain), prepared like CoRal;
# 2. `trainer run tools/demo/pretrain.yaml`: the demo architecture from a seeded random
#    initialisation (its run records the lineage like any other);
# 3. `trainer model export` of its last checkpoint (the schedule's lowest learning rate)
#    to demo/model/dialekt_demo_ctc.pt: `{"model": <fairseq2 state dict>, "fs2": True}`,
#    as omniASR's released checkpoints are; demo/model/dialekt_demo_ctc.yaml is its
#    fairseq2 asset card (tools/reference/model/check_demo_model.py loads it with fairseq2).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
trainer=${TRAINER:-${CARGO_TARGET_DIR:-target}/debug/trainer}
[ -x "$trainer" ] || cargo build -q -p dialekt-trainer

"$PYTHON" tools/demo/make_demo_corpus.py --corpus pretrain --out data/pretrain-coral
"$trainer" data prepare --coral data/pretrain-coral --out data/pretrain
"$trainer" run tools/demo/pretrain.yaml "$@"
run=$("$trainer" runs init tools/demo/pretrain.yaml "$@")
last=$(ls -d "runs/$run/checkpoints"/step_* | sort -t_ -k2 -n | tail -1)
"$trainer" model export "$last" demo/model/dialekt_demo_ctc.pt
echo "pretrained $run; exported $last to demo/model/dialekt_demo_ctc.pt"
