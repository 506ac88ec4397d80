"""Proves fairseq2 loads a checkpoint dialekt exported and computes the logits we computed.

    /work/venvs/ref/bin/python tools/reference/model/check_export.py \
        --checkpoint exported.pt --reference model/tests/fixtures/tiny/reference.json \
        --logits-dir our_logits/

`--logits-dir` holds `<i>.npy` ([frames, vocab] float32, valid frames only) for utterance i of
the reference batch, as `model/tests/it/checkpoint.rs` writes them. The checkpoint is loaded
with fairseq2's own hub loader (what omnilingual-asr does for an asset card's checkpoint).
Exits 1 when the max |Δ| exceeds the tolerance.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True, help="reference.json with config + audio")
    parser.add_argument("--logits-dir", type=Path, required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    reference = json.loads(args.reference.read_text())
    cfg = common.config_from_json(reference["config"])
    model = common.load(args.checkpoint, cfg)
    model.eval()

    wavs = [torch.tensor(w, dtype=torch.float32) for w in reference["audio"]]
    seqs, lengths = common.pad(wavs)
    with torch.no_grad():
        _, logits, layout = common.forward(model, seqs, lengths, None)

    worst = 0.0
    for i, n in enumerate(layout.seq_lens):
        ours = np.load(args.logits_dir / f"{i}.npy")
        theirs = logits[i, :n].numpy()
        if ours.shape != theirs.shape:
            print(f"utterance {i}: shape {ours.shape} != fairseq2 {theirs.shape}")
            return 1
        worst = max(worst, float(np.abs(ours - theirs).max()))
    print(f"fairseq2 loaded {args.checkpoint}: logits max |delta| vs ours = {worst:.3e}")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
