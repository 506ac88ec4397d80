"""The Python side of the loader throughput number: what fairseq2's parquet pipeline does
per utterance after bucketing, done plainly (pyarrow row groups, soundfile FLAC decode,
`normalize_audio`'s layer norm without affine, eps 1e-5), one process, one thread.
Prints audio-seconds delivered per second.

    python bench/data/python_loader.py <prepared dir> [--epochs 3]
"""

import argparse
import io
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import soundfile as sf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    parts = sorted((args.root / "version=0").rglob("split=train/**/part-*.parquet"))
    start = time.perf_counter()
    samples = 0
    for _ in range(args.epochs):
        for part in parts:
            file = pq.ParquetFile(part)
            for group in range(file.num_row_groups):
                table = file.read_row_group(group, columns=["audio_bytes", "audio_size"])
                for audio, size in zip(table["audio_bytes"].to_numpy(zero_copy_only=False), table["audio_size"].to_pylist()):
                    if size < 16_000:  # the Rust side's min_audio_len
                        continue
                    wav, _ = sf.read(io.BytesIO(audio.astype(np.int8).tobytes()), dtype="float32")
                    wav = (wav - wav.mean()) / np.sqrt(wav.var() + 1e-5)
                    samples += wav.shape[0]
    secs = time.perf_counter() - start
    audio_secs = samples / 16_000
    print(f"python loader: {audio_secs:.0f} audio-s in {secs:.2f} s = {audio_secs / secs:.0f} audio-s/s (1 core)")


if __name__ == "__main__":
    main()
