#!/usr/bin/env bash
# Pretrains the demo's base model and exports it in fairseq2's released layout: what
# experiments/demo.yaml fine-tunes. Run once by a maintainer (≈ 50 min on 2 CPU cores); the
# result, demo/model/, is committed, so neither `./dev demo` nor the tests run this.
#
#   PYTHON=/work/venvs/demo/bin/python tools/demo/pretrain.sh
#
# 1. the separate synthetic pretraining corpus (other sentences, six neutral voices:
#    tools/demo/make_demo_corpus.py --corpus pretrain), prepared like CoRal;
# 2. `trainer run tools/demo/pretrain.yaml`: the demo architecture from a seeded random
#    initialisation, then a second run continuing from its last checkpoint (each run
#    records its lineage like any other; the second's origin is the first's checkpoint);
# 3. `trainer model export` of its last checkpoint (the schedule's lowest learning rate)
#    to demo/model/dialekt_demo_ctc.pt: `{"model": <fairseq2 state dict>, "fs2": True}`,
#    as omniASR's released checkpoints are; demo/model/dialekt_demo_ctc.yaml is its
#    fairseq2 asset card (tools/reference/model/check_demo_model.py loads it with fairseq2).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
trainer=${TRAINER:-${CARGO_TARGET_DIR:-target}/release/trainer}
[ -x "$trainer" ] || cargo build --release -q -p dialekt-trainer

"$PYTHON" tools/demo/make_demo_corpus.py --corpus pretrain --out data/pretrain-coral
"$trainer" data prepare --coral data/pretrain-coral --out data/pretrain
# The last checkpoint of a run (the schedule's lowest learning rate).
last_checkpoint() {
  ls -d "runs/$1"*/checkpoints/step_* | sort -t_ -k2 -n | tail -1
}
# Stage 1 from scratch; stage 2 continues from its last checkpoint (a dialekt checkpoint as
# `model.path`) with a second schedule and without LayerDrop and FFN dropout: from scratch
# the small model underfits, and a fresh warm-up lets it leave stage 1's plateau.
"$trainer" run tools/demo/pretrain.yaml "$@"
stage1=$("$trainer" runs init tools/demo/pretrain.yaml "$@" | awk '{print $3}')
continue=(--set "model.path=$(last_checkpoint "$stage1")" --set regime.num_steps=3000
  --set model.config_overrides.encoder_config.layer_drop_p=0.0
  --set model.config_overrides.encoder_config.ffn_inner_dropout_p=0.0 "$@")
"$trainer" run tools/demo/pretrain.yaml "${continue[@]}"
stage2=$("$trainer" runs init tools/demo/pretrain.yaml "${continue[@]}" | awk '{print $3}')
"$trainer" model export "$(last_checkpoint "$stage2")" demo/model/dialekt_demo_ctc.pt
echo "pretrained $stage1 → $stage2; exported $(last_checkpoint "$stage2") to demo/model/dialekt_demo_ctc.pt"
