"""Writes a random-init omniASR wav2vec2 CTC checkpoint and fairseq2's outputs for it.

The Rust parity tests (`model/tests/it/parity.rs`) load the checkpoint with our loader,
run the same padded batch and compare logits, frame lengths, the CTC loss and gradient norms.

    # the committed tiny fixture
    /work/venvs/ref/bin/python tools/reference/model/make_fixture.py --arch tiny \
        --out model/tests/fixtures/tiny
    # the full 300m arch (1.3 GB, generated locally for the opt-in test, never committed)
    /work/venvs/ref/bin/python tools/reference/model/make_fixture.py --arch 300m --out /tmp/dialekt-300m

Run with fairseq2 0.6 + omnilingual-asr 0.2.0 (`/work/venvs/ref`). Deterministic for a seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

import common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="tiny", help="`tiny` or an omniASR arch name (300m, 1b, ...)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20260524)
    parser.add_argument("--lengths", type=int, nargs="+", default=None, help="waveform samples per utterance")
    parser.add_argument("--no-grads", action="store_true", help="skip the backward pass")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cfg = common.tiny_config() if args.arch == "tiny" else common.arch_config(args.arch)
    lengths = args.lengths or ([4800, 3520] if args.arch == "tiny" else [64000, 48000])

    model = common.create(cfg)
    common.randomise(model, args.seed)
    ckpt = args.out / "checkpoint.pt"
    common.save_released(model, ckpt)
    if args.arch == "tiny":
        # The layout fairseq2's recipe writes for a fine-tuned model: a plain state dict.
        sdp = args.out / "finetuned" / "model" / "pp_00" / "tp_00" / "sdp_00.pt"
        sdp.parent.mkdir(parents=True, exist_ok=True)
        torch.save(common.state_dict(model), sdp, pickle_protocol=2)

    # Reload through fairseq2's hub loader so the reference is what omnilingual-asr would run.
    model = common.load(ckpt, cfg)
    model.eval()  # no dropout/LayerDrop: the comparison must be deterministic

    seqs, wavs = common.batch(lengths, args.seed + 1)
    gen = torch.Generator().manual_seed(args.seed + 2)
    vocab = cfg.target_vocab_size
    num_targets = [5, 3] if args.arch == "tiny" else [20, 14]
    targets = [torch.randint(1, vocab, (n,), generator=gen).tolist() for n in num_targets]
    if len(targets[0]) > 2:
        targets[0][2] = targets[0][1]  # an adjacent repeat: CTC must put a blank between them

    if args.no_grads:
        with torch.no_grad():
            loss, logits, layout = common.forward(model, seqs, lengths, targets)
    else:
        loss, logits, layout = common.forward(model, seqs, lengths, targets)
        loss.backward()

    frame_lengths = [int(n) for n in layout.seq_lens]
    grad_norms = {}
    if not args.no_grads:
        for name, p in model.named_parameters():
            if p.grad is not None:
                grad_norms[name] = float(p.grad.double().norm())

    param_count = sum(p.numel() for p in model.parameters())
    common.write_json(
        args.out / "reference.json",
        {
            "generator": "tools/reference/model/make_fixture.py",
            "arch": args.arch,
            "seed": args.seed,
            "config": common.config_json(cfg),
            "param_count": param_count,
            "num_tensors": len(model.state_dict()),
            "input_lengths": lengths,
            "audio": [common.tolist(w) for w in wavs],
            "targets": targets,
            "frame_lengths": frame_lengths,
            "logits": [common.tolist(logits[i, :n]) for i, n in enumerate(frame_lengths)],
            "loss": float(loss.detach()),
            "grad_norms": grad_norms,
        },
    )
    print(f"wrote {ckpt} ({param_count} parameters, frames {frame_lengths}, loss {float(loss.detach()):.6f})")


if __name__ == "__main__":
    main()
