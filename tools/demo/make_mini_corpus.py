"""Build dialekt's 35-row synthetic *test* corpus in CoRal's raw Hugging Face schema.

SYNTHETIC DATA: every utterance is espeak-ng speaking a sentence written for this
project (tools/demo/sentences_da.txt). The speakers, ages, dialects and birth
countries are invented labels chosen to cover CoRal's value domains; nothing here
is real speech or a real person. It exists so that the tests of `trainer data prepare`, the loader and training run on exactly
the file layout and columns real CoRal has, across many recording formats. (The demo's
fine-tuning corpus is tools/demo/make_demo_corpus.py's.)

Layout written (CoRal v1 `read_aloud` columns, HF `Audio` struct of WAV bytes):
    data/tests/fixtures/coral-mini/read_aloud/{train,val,test}-00000-of-00001.parquet

Speakers are split speaker-disjoint (8 train, 2 val, 2 test), 3 sentences each. Recording setups vary
per speaker the way real corpora do: 16/22.05/44.1/48 kHz, 16/24-bit integer or
32-bit float, mono or stereo, different espeak-ng voices, pitch, speed and noise.

Requirements: espeak-ng and sox on PATH; Python with numpy, soundfile, pyarrow
(the reference venv has them):
    /work/venvs/ref/bin/python tools/demo/make_mini_corpus.py [--out data/tests/fixtures/coral-mini]

Deterministic for a given espeak-ng/sox version (noise is seeded, sox dither is off).
"""

import argparse
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf

from coral_schema import schema, synthetic_row

ROOT = Path(__file__).resolve().parents[2]
SEED = 20_251_124


@dataclass(frozen=True)
class Speaker:
    id: str
    split: str
    age: int
    gender: str
    dialect: str
    country_birth: str | None
    voice: str  # espeak-ng voice+variant
    pitch: int  # espeak-ng -p (0..99)
    speed: int  # espeak-ng -s (words per minute)
    rate_hz: int
    subtype: str  # soundfile subtype
    channels: int
    snr_db: float | None  # added white noise; None = clean


# Dialect strings are CoRal's raw sub-dialect names (coral.md §1.6); four of the
# ten evaluation groups appear in val/test, Non-native comes from country_birth.
SPEAKERS = [
    Speaker("demo_spk_01", "train", 23, "female", "nørrejysk", "DK", "da+f1", 55, 160, 16_000, "PCM_16", 2, 35.0),
    Speaker("demo_spk_02", "train", 67, "male", "vestjysk", "DK", "da+m3", 35, 140, 48_000, "PCM_16", 1, None),
    Speaker("demo_spk_03", "train", 41, "female", "østjysk", "DK", "da+f3", 65, 175, 16_000, "PCM_16", 1, 25.0),
    Speaker("demo_spk_04", "train", 35, "male", "sønderjysk", "DK", "da+m1", 45, 150, 44_100, "PCM_16", 1, 30.0),
    Speaker("demo_spk_05", "train", 19, "non-binary", "fynsk", "DK", "da+f4", 60, 185, 16_000, "FLOAT", 1, 40.0),
    Speaker("demo_spk_06", "train", 52, "female", "sjællandsk", "SE", "da+f2", 50, 145, 16_000, "PCM_16", 1, 20.0),
    Speaker("demo_spk_07", "train", 29, "male", "bornholmsk", "DK", "da+m5", 40, 165, 16_000, "PCM_24", 1, None),
    Speaker("demo_spk_08", "train", 74, "male", "amagermål", "DE", "da+m2", 30, 130, 16_000, "PCM_16", 1, 30.0),
    Speaker("demo_spk_09", "val", 46, "female", "lollandsk", "DK", "da+f5", 58, 155, 16_000, "PCM_16", 1, 30.0),
    Speaker("demo_spk_10", "val", 31, "male", "vendsysselsk (m. hanherred og læsø)", "PL", "da+m4", 42, 170, 16_000, "PCM_16", 1, 25.0),
    Speaker("demo_spk_11", "test", 58, "female", "sydfynsk", "DK", "da+f2", 62, 150, 16_000, "PCM_16", 1, 35.0),
    Speaker("demo_spk_12", "test", 24, "male", "thybomål", "DK", "da+m6", 38, 160, 22_050, "PCM_16", 1, 20.0),
]
UTTERANCES_PER_SPEAKER = 3
# One row per corpus is marked as CoRal's validation would mark a bad recording,
# so the demo exercises the `validated == "rejected"` filter.
REJECTED = {("demo_spk_03", 2)}


def synthesize(text: str, speaker: Speaker, workdir: Path) -> np.ndarray:
    """espeak-ng at its native 22.05 kHz, then sox to the speaker's rate (no dither)."""
    raw = workdir / "raw.wav"
    out = workdir / "rate.wav"
    subprocess.run(
        ["espeak-ng", "-v", speaker.voice, "-p", str(speaker.pitch), "-s", str(speaker.speed), "-w", str(raw), text],
        check=True,
    )
    subprocess.run(
        ["sox", "-D", str(raw), "-e", "floating-point", "-b", "32", str(out), "rate", "-v", str(speaker.rate_hz)],
        check=True,
    )
    audio, rate = sf.read(out, dtype="float64")
    assert rate == speaker.rate_hz, (rate, speaker.rate_hz)
    return audio


def add_noise_and_padding(audio: np.ndarray, speaker: Speaker, rng: np.random.Generator) -> np.ndarray:
    pad = np.zeros(int(0.1 * speaker.rate_hz))
    audio = np.concatenate([pad, audio, pad])
    if speaker.snr_db is not None:
        power = np.mean(audio**2)
        noise = rng.standard_normal(audio.shape) * np.sqrt(power / 10 ** (speaker.snr_db / 10))
        audio = audio + noise
    peak = np.max(np.abs(audio))
    if peak > 0.95:
        audio = audio * (0.95 / peak)
    if speaker.channels == 2:
        # A slightly unbalanced stereo pair, as two microphones would give.
        audio = np.stack([audio, 0.8 * audio], axis=1)
    return audio


def wav_bytes(audio: np.ndarray, speaker: Speaker) -> bytes:
    """A canonical RIFF/WAVE file. Written by hand because libsndfile stamps float
    files with a PEAK chunk holding the current time, which breaks reproducibility."""
    frames = audio.reshape(len(audio), -1)
    channels = frames.shape[1]
    if speaker.subtype == "FLOAT":
        format_tag, bits, data = 3, 32, frames.astype("<f4").tobytes()
    elif speaker.subtype == "PCM_16":
        format_tag, bits = 1, 16
        data = np.clip(np.round(frames * 32768), -32768, 32767).astype("<i2").tobytes()
    elif speaker.subtype == "PCM_24":
        format_tag, bits = 1, 24
        ints = np.clip(np.round(frames * 8_388_608), -8_388_608, 8_388_607).astype("<i4")
        data = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        raise ValueError(speaker.subtype)
    block_align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", format_tag, channels, speaker.rate_hz, speaker.rate_hz * block_align, block_align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data/tests/fixtures/coral-mini")
    args = parser.parse_args()

    sentences = (Path(__file__).parent / "sentences_da.txt").read_text(encoding="utf-8").splitlines()
    assert len(sentences) >= len(SPEAKERS) * UTTERANCES_PER_SPEAKER
    rng = np.random.default_rng(SEED)
    rows: dict[str, list[dict]] = {"train": [], "val": [], "test": []}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for s_index, speaker in enumerate(SPEAKERS):
            for u in range(UTTERANCES_PER_SPEAKER):
                sentence_id = s_index * UTTERANCES_PER_SPEAKER + u
                text = sentences[sentence_id]
                audio = add_noise_and_padding(synthesize(text, speaker, workdir), speaker, rng)
                recording = f"rec_{speaker.id}_{u:02d}"
                rows[speaker.split].append(
                    synthetic_row(
                        recording=recording,
                        sentence_id=f"sent_{sentence_id:04d}",
                        speaker=speaker,
                        text=text,
                        country_birth=speaker.country_birth,
                        rejected=(speaker.id, u) in REJECTED,
                        audio=wav_bytes(audio, speaker),
                        extension="wav",
                    )
                )
    out = args.out / "read_aloud"
    out.mkdir(parents=True, exist_ok=True)
    for split, split_rows in rows.items():
        table = pa.Table.from_pylist(split_rows, schema=schema())
        path = out / f"{split}-00000-of-00001.parquet"
        # Small row groups so readers are exercised across several of them.
        pq.write_table(table, path, row_group_size=8, compression="snappy")
        print(f"{path}: {table.num_rows} rows, {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
