"""Independent check of a prepared corpus against the raw CoRal shards, in Python.

For every prepared row, decodes the stored FLAC with soundfile, decodes the source
WAV (found via the `source` column) with soundfile, resamples it with
torchaudio.functional.resample, and reports the SNR between the two plus whether
`audio_size` equals the decoded length.

    /work/venvs/ref/bin/python tools/reference/data/check_prepared.py --coral data/tests/fixtures/coral-mini --prepared /tmp/out
"""

import argparse
import io
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import soundfile as sf
import torch
import torchaudio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coral", type=Path, required=True)
    parser.add_argument("--prepared", type=Path, required=True)
    args = parser.parse_args()
    table = ds.dataset(args.prepared / "version=0", format="parquet").to_table(
        columns=["audio_bytes", "audio_size", "source"]
    )
    shards: dict[str, list] = {}
    snrs, exact = [], 0
    for row in table.to_pylist():
        shard, index = row["source"].rsplit("#", 1)
        if shard not in shards:
            shards[shard] = pq.read_table(args.coral / shard, columns=["audio"]).to_pylist()
        wav, rate = sf.read(io.BytesIO(shards[shard][int(index)]["audio"]["bytes"]), dtype="float32", always_2d=True)
        reference = torchaudio.functional.resample(torch.from_numpy(wav.mean(axis=1)), rate, 16_000).numpy()
        stored, stored_rate = sf.read(io.BytesIO(np.asarray(row["audio_bytes"], dtype=np.int8).tobytes()), dtype="float32")
        assert stored_rate == 16_000
        exact += int(row["audio_size"] == len(stored) == len(reference))
        n = min(len(stored), len(reference))
        edge = 400  # 25 ms at each end, where zero-padded filters differ
        ref, out = reference[edge : n - edge], stored[edge : n - edge]
        snrs.append(10 * np.log10(np.sum(ref**2) / np.sum((ref - out) ** 2)))
    snrs = np.array(snrs)
    print(f"{len(snrs)} rows; audio_size exact for {exact}")
    print(f"SNR vs soundfile+torchaudio: min {snrs.min():.1f} dB, median {np.median(snrs):.1f} dB, max {snrs.max():.1f} dB")


if __name__ == "__main__":
    main()
