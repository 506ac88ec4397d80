"""The reference side of bench/train/run.sh: the omnilingual-asr CTC training step, run by
fairseq2 0.6 and torch on the same prepared data and model dimensions as `trainer run`.

omnilingual-asr 0.2.0's wheel ships its data pipeline and models but not the `workflows`
recipe runner, so the loop is written here from fairseq2's own parts: the model from
fairseq2's factory (the experiment's dimensions), fairseq2's `TriStageLR`,
`normalize_grads` and `clip_grad_norm`, `torch.optim.AdamW`, and the data read as the
recipe reads it: the prepared Parquet with pyarrow, FLAC decoded with soundfile (libsndfile,
fairseq2's decoder), per-utterance `layer_norm`, length-bucketed batches with at most
`max_num_elements` padded samples, a background prefetch thread. Prints one JSON line.

    bench/train/fairseq2_train.py --data data/demo --dims dims.json --steps 200 --threads 2
"""

from __future__ import annotations

import argparse
import io
import json
import queue
import random
import resource
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools/reference/model"))
import common  # noqa: E402

from fairseq2.gang import FakeGang  # noqa: E402
from fairseq2.nn.utils.grad import clip_grad_norm, normalize_grads  # noqa: E402
from fairseq2.optim.lr_schedulers.tri_stage import TriStageLR  # noqa: E402


def bucket_sizes(max_num_elements: int, max_len: int, min_len: int, multiple: int = 8):
    """fairseq2's `create_bucket_sizes`: (batch size, max length) pairs."""
    sizes = []
    for batch_size in range(max_num_elements // min_len, 0, -1):
        if batch_size > multiple:
            batch_size -= batch_size % multiple
        length = min(max_num_elements // batch_size, max_len)
        if length >= min_len and (not sizes or length > sizes[-1][1]):
            sizes.append((batch_size, length))
    return sizes


def examples(data: Path, split: str, min_len: int, max_len: int):
    rows = []
    for part in sorted(data.glob(f"version=0/*/split={split}/*/part-*.parquet")):
        table = pq.read_table(part, columns=["text", "audio_bytes", "audio_size"])
        for text, audio, size in zip(*(table.column(c).to_pylist() for c in ("text", "audio_bytes", "audio_size"))):
            if min_len <= size <= max_len:
                rows.append((text, bytes(b & 0xFF for b in audio), size))
    return rows


def batches(rows, buckets, seed: int):
    rng = random.Random(seed)
    while True:
        rng.shuffle(rows)
        pending = {b: [] for b in buckets}
        for row in rows:
            bucket = next(b for b in buckets if row[2] <= b[1])
            pending[bucket].append(row)
            if len(pending[bucket]) == bucket[0]:
                yield pending.pop(bucket)
                pending[bucket] = []


def decode(batch):
    wavs = []
    for _, flac, _ in batch:
        wav, _ = sf.read(io.BytesIO(flac), dtype="float32")
        wav = torch.from_numpy(wav)
        wavs.append(torch.nn.functional.layer_norm(wav, wav.shape))
    lengths = [len(w) for w in wavs]
    seqs = torch.zeros(len(wavs), max(lengths))
    for i, w in enumerate(wavs):
        seqs[i, : len(w)] = w
    return seqs, lengths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--dims", type=Path, required=True, help="model dimensions (fairseq2 field names)")
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--min-audio-len", type=int, default=16_000)
    parser.add_argument("--max-audio-len", type=int, default=320_000)
    parser.add_argument("--max-num-elements", type=int, default=640_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(2)

    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(args.tokenizer))
    cfg = common.config_from_json(json.loads(args.dims.read_text()))
    model = common.create(cfg)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.0)
    scheduler = TriStageLR(optimizer, args.steps, (0.1, 0.4, 0.5), start_lr_scale=0.01, final_lr_scale=0.05)
    gang = FakeGang(torch.device("cpu"))

    rows = examples(args.data, "train", args.min_audio_len, args.max_audio_len)
    buckets = bucket_sizes(args.max_num_elements, args.max_audio_len, args.min_audio_len)
    prefetched: queue.Queue = queue.Queue(maxsize=4)

    def produce():
        for batch in batches(rows, buckets, seed=2):
            seqs, lengths = decode(batch)
            targets = [sp.encode(text.lower()) or [3] for text, _, _ in batch]
            prefetched.put((seqs, lengths, targets))

    threading.Thread(target=produce, daemon=True).start()
    audio_secs = 0.0
    started = time.perf_counter()
    for _ in range(args.steps):
        seqs, lengths, targets = prefetched.get()
        optimizer.zero_grad(set_to_none=True)
        loss, _, _ = common.forward(model, seqs, lengths, targets)
        loss.backward()
        normalize_grads(model, gang, len(lengths))
        clip_grad_norm(model, None)
        optimizer.step()
        scheduler.step()
        audio_secs += sum(lengths) / 16_000
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"impl": "fairseq2", "steps": args.steps, "secs": elapsed,
                      "audio_secs_per_s": audio_secs / elapsed, "peak_rss_bytes": peak}))


if __name__ == "__main__":
    main()
