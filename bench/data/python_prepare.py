"""The Python baseline for `trainer data prepare`: the same work done the way the
seed's origin project does it (soundfile decode, torchaudio resample, soundfile
FLAC encode, pyarrow Parquet with `audio_bytes: list<int8>`, row groups of 100),
one worker process per core over shards, one torch thread per worker.

    python bench/data/python_prepare.py --coral /tmp/coral-bench --out /tmp/py-out [--workers N]
"""

import argparse
import io
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf
import torch
import torchaudio

TARGET_HZ = 16_000


def convert(audio_bytes: bytes) -> tuple[bytes, int]:
    wav, rate = sf.read(io.BytesIO(audio_bytes), dtype="float32", always_2d=True)
    mono = torch.from_numpy(wav.mean(axis=1))
    if rate != TARGET_HZ:
        mono = torchaudio.functional.resample(mono, rate, TARGET_HZ)
    buffer = io.BytesIO()
    sf.write(buffer, mono.numpy(), TARGET_HZ, format="FLAC", subtype="PCM_16")
    return buffer.getvalue(), int(mono.shape[0])


def prepare_shard(shard: Path, out_dir: Path) -> int:
    torch.set_num_threads(1)
    table = pq.read_table(shard, columns=["text", "audio", "id_speaker", "age", "gender", "dialect", "country_birth", "validated"])
    rows = table.to_pylist()
    texts, audio, sizes = [], [], []
    for row in rows:
        text = (row["text"] or "").strip()
        if not text or row["validated"] == "rejected" or not row["audio"] or not row["audio"]["bytes"]:
            continue
        try:
            flac, size = convert(row["audio"]["bytes"])
        except Exception:  # noqa: BLE001 - the baseline also skips undecodable rows
            continue
        texts.append(text)
        audio.append(np.frombuffer(flac, dtype=np.int8))
        sizes.append(size)
    out = pa.table(
        {
            "text": pa.array(texts, pa.string()),
            "audio_bytes": pa.array(audio, pa.list_(pa.int8())),
            "audio_size": pa.array(sizes, pa.int64()),
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(out, out_dir / f"part-{shard.stem}.parquet", row_group_size=100, compression="zstd")
    return len(texts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coral", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    shards = sorted(args.coral.rglob("*.parquet"))
    out_dir = args.out / "version=0/corpus=coral_read_aloud/split=train/language=dan_Latn"
    with ProcessPoolExecutor(args.workers) as pool:
        rows = sum(pool.map(prepare_shard, shards, [out_dir] * len(shards)))
    print(f"python: {rows} rows written")


if __name__ == "__main__":
    main()
