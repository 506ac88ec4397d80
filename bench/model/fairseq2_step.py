"""fairseq2's side of the model benchmark: forward + backward + AdamW step of omniASR's 300m
CTC arch (random init) on a padded batch, as the omniASR recipe trains it (train mode, feature
extractor frozen, AdamW betas (0.9, 0.98), eps 1e-8, fp32).

    OMP_NUM_THREADS=2 /work/venvs/ref/bin/python bench/model/fairseq2_step.py --threads 2

Prints one JSON line: {"impl": "fairseq2", "step_secs": [...], "peak_rss_bytes": ...}.
Run by `bench/model/run.sh` next to ours (`model/tests/it/bench.rs`).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools/reference/model"))
import common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="300m")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = common.arch_config(args.arch)
    model = common.create(cfg)
    model.train()
    for p in model.encoder_frontend.feature_extractor.parameters():
        p.requires_grad_(False)  # the recipe always freezes the CNN
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=5e-5, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.0)

    samples = int(args.seconds * 16000)
    lengths = [samples] * args.batch
    seqs, _ = common.batch(lengths, seed=1)
    gen = torch.Generator().manual_seed(2)
    targets = [torch.randint(4, cfg.target_vocab_size, (50,), generator=gen).tolist() for _ in lengths]

    times = []
    for step in range(args.steps + 1):
        start = time.perf_counter()
        loss, _, _ = common.forward(model, seqs, lengths, targets)
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        if step > 0:
            times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"impl": "fairseq2", "step_secs": times, "peak_rss_bytes": peak, "loss": float(loss.detach())}))


if __name__ == "__main__":
    main()
