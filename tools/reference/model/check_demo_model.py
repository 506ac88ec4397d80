"""fairseq2 0.6 loads the committed demo model through its asset card, and what it computes.

The demo fine-tunes demo/model/dialekt_demo_ctc.pt, exported by `trainer model export` in
omniASR's released layout. This script registers demo/model/ as a fairseq2 asset directory,
loads the card `dialekt_demo_ctc` with fairseq2's own model hub (as omnilingual-asr loads
`omniASR_CTC_300M`), runs it on the first utterances of the demo's test split, and writes
model/tests/fixtures/demo/reference.json: the arch, the waveforms, fairseq2's logits and its
greedy CTC transcripts. `model/tests/it/checkpoint.rs` loads the same file with dialekt's
loader and compares.

    /work/venvs/ref/bin/python tools/reference/model/check_demo_model.py

Run with fairseq2 0.6 + omnilingual-asr 0.2.0 (`tools/reference/setup-venv.sh`).
"""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import sentencepiece as spm
import soundfile as sf
import torch

import common

ROOT = Path(__file__).resolve().parents[3]
CARD = "dialekt_demo_ctc"


def load_with_card(card_dir: Path):
    """fairseq2's hub resolves the card (arch, config overrides, checkpoint path) and loads it."""
    # fairseq2 reads its user asset directory from the environment when it initialises.
    os.environ["FAIRSEQ2_USER_ASSET_DIR"] = str(card_dir.resolve())
    common.init()
    from fairseq2.assets import get_asset_store
    from fairseq2.models.wav2vec2.asr import get_wav2vec2_asr_model_hub

    card = get_asset_store().retrieve_card(CARD)
    hub = get_wav2vec2_asr_model_hub()
    model = hub.load_model(card, device=torch.device("cpu"), dtype=torch.float32, progress=False)
    return model, hub.get_model_config(card)


def test_audio(n: int, seconds: float) -> tuple[list[str], list[np.ndarray]]:
    table = pq.read_table(ROOT / "demo/coral/read_aloud/test-00000-of-00001.parquet", columns=["id_recording", "audio", "validated"])
    ids, wavs = [], []
    for row in table.to_pylist():
        if row["validated"] == "rejected":
            continue
        audio, rate = sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="float32")
        assert rate == 16_000, rate
        ids.append(row["id_recording"])
        wavs.append(audio[: int(seconds * rate)])
        if len(ids) == n:
            break
    return ids, wavs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--card-dir", type=Path, default=ROOT / "demo/model")
    parser.add_argument("--out", type=Path, default=ROOT / "model/tests/fixtures/demo/reference.json")
    parser.add_argument("--utterances", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=0.8)
    args = parser.parse_args()

    model, cfg = load_with_card(args.card_dir)
    model.eval()
    ids, wavs = test_audio(args.utterances, args.seconds)
    normalised = [common.normalise(torch.from_numpy(w)) for w in wavs]
    seqs, lengths = common.pad(normalised)
    with torch.no_grad():
        _, logits, layout = common.forward(model, seqs, lengths, None)
    sp = spm.SentencePieceProcessor(model_file=str(ROOT / "demo/tokenizer/demo_char.model"))
    transcripts = []
    for i, n in enumerate(layout.seq_lens):
        best = logits[i, :n].argmax(-1).tolist()
        pieces = [t for j, t in enumerate(best) if t != 0 and (j == 0 or t != best[j - 1])]
        transcripts.append(sp.decode(pieces))
    common.write_json(
        args.out,
        {
            "card": CARD,
            "config": common.config_json(cfg),
            "recordings": ids,
            "audio": [common.tolist(w) for w in normalised],
            "frame_lengths": list(layout.seq_lens),
            "logits": [common.tolist(logits[i, :n]) for i, n in enumerate(layout.seq_lens)],
            "transcripts": transcripts,
        },
    )
    print(f"fairseq2 loaded card {CARD} ({sum(p.numel() for p in model.parameters())} parameters); wrote {args.out}")
    for rec, text in zip(ids, transcripts):
        print(f"  {rec}: {text!r}")


if __name__ == "__main__":
    main()
