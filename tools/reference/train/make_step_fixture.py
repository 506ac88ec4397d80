"""Reference values for dialekt's training loop, computed by fairseq2 0.6 and torch itself.

    /work/venvs/ref/bin/python tools/reference/train/make_step_fixture.py \
        --out trainer/tests/fixtures/train

Writes
* `tri_stage.json.gz`: the learning rate of every optimizer step of fairseq2's `TriStageLR`
  (driven as fairseq2's trainer drives it: optimizer step, then scheduler step) for the
  upstream ctc-finetune schedule (20,000 steps, lr 5e-5) and the Danish one (5,000, 1e-5);
* `step/`: the tiny fixture model after two optimizer steps with the recipe's semantics, as
  a released-layout checkpoint, plus `step.json` with the micro-batches and what fairseq2
  logged. Step 1 runs with `freeze_encoder_for_n_steps=1` (only `final_proj` trains), step 2
  with everything but the feature extractor. Each step has two micro-batches (2 + 1
  utterances): the summed CTC loss of each is back-propagated, gradients are normalised by
  fairseq2's `normalize_grads` over all 3 utterances, the norm comes from fairseq2's
  `clip_grad_norm` (no clipping), and `torch.optim.AdamW` (betas 0.9/0.98, eps 1e-8, wd 0)
  steps. The model is in eval mode so dropout and LayerDrop do not make it random.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))
import common  # noqa: E402

from fairseq2.gang import FakeGang  # noqa: E402
from fairseq2.nn.utils.grad import clip_grad_norm, normalize_grads  # noqa: E402
from fairseq2.optim.lr_schedulers.tri_stage import TriStageLR  # noqa: E402

TINY = Path(__file__).resolve().parents[3] / "model/tests/fixtures/tiny"


def tri_stage_lrs(lr: float, num_steps: int) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=lr)
    scheduler = TriStageLR(optimizer, num_steps, (0.1, 0.4, 0.5), start_lr_scale=0.01, final_lr_scale=0.05)
    lrs = []
    for _ in range(num_steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def set_trainable(model, head_only: bool) -> None:
    for name, p in model.named_parameters():
        if name.startswith("encoder_frontend.feature_extractor."):
            p.requires_grad_(False)
        elif name.startswith("final_proj."):
            p.requires_grad_(True)
        else:
            p.requires_grad_(not head_only)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    schedules = {
        "ctc_finetune": {"lr": 5e-5, "num_steps": 20_000},
        "danish": {"lr": 1e-5, "num_steps": 5_000},
    }
    for entry in schedules.values():
        entry["lrs"] = tri_stage_lrs(entry["lr"], entry["num_steps"])
    with gzip.open(args.out / "tri_stage.json.gz", "wt", encoding="utf-8") as f:
        json.dump({"generator": "tools/reference/train/make_step_fixture.py", "schedules": schedules}, f)

    torch.manual_seed(args.seed)
    dims = json.loads((TINY / "reference.json").read_text())["config"]
    cfg = common.config_from_json(dims)
    model = common.load(TINY / "checkpoint.pt", cfg)
    model.eval()
    gen = torch.Generator().manual_seed(args.seed)
    vocab = cfg.target_vocab_size
    micro_batches = []
    for lengths, num_targets in (([4800, 4000], [5, 3]), ([3520], [4])):
        seqs, wavs = common.batch(lengths, int(torch.randint(0, 2**31, (1,), generator=gen)))
        targets = [torch.randint(1, vocab, (n,), generator=gen).tolist() for n in num_targets]
        micro_batches.append({"lengths": lengths, "audio": [common.tolist(w) for w in wavs], "targets": targets, "seqs": seqs})

    lr = 1e-3
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.0)
    gang = FakeGang(torch.device("cpu"))
    steps = []
    for step_nr, head_only in ((1, True), (2, False)):
        set_trainable(model, head_only)
        optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        num_examples = 0
        for mb in micro_batches:
            loss, _, _ = common.forward(model, mb["seqs"], mb["lengths"], mb["targets"])
            loss.backward()
            loss_sum += float(loss.detach())
            num_examples += len(mb["lengths"])
        normalize_grads(model, gang, num_examples)
        grad_norm = float(clip_grad_norm(model, None))
        optimizer.step()
        steps.append({"step": step_nr, "head_only": head_only, "loss_sum": loss_sum,
                      "num_examples": num_examples, "grad_norm": grad_norm})

    step_dir = args.out / "step"
    common.save_released(model, step_dir / "after_two_steps.pt")
    common.write_json(
        step_dir / "step.json",
        {
            "generator": "tools/reference/train/make_step_fixture.py",
            "checkpoint": "model/tests/fixtures/tiny/checkpoint.pt",
            "lr": lr,
            "betas": [0.9, 0.98],
            "eps": 1e-8,
            "micro_batches": [{k: v for k, v in mb.items() if k != "seqs"} for mb in micro_batches],
            "steps": steps,
        },
    )
    print(f"wrote {args.out}: steps {steps}")


if __name__ == "__main__":
    main()
