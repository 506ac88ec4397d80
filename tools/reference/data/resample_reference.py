"""Reference output of torchaudio.functional.resample on analytic test signals.

The Rust test (data/tests/it/resample.rs) synthesises the same signals from
the formulas below (in f64, then f32), resamples them with dialekt's resampler and
reports the SNR against these files. Only the outputs are stored, as raw
little-endian f32 (`<name>_<rate>.f32`), plus `signals.json` describing them.

Run with the reference venv (torch/torchaudio 2.8):
    /work/venvs/ref/bin/python tools/reference/data/resample_reference.py
"""

import json
import math
from pathlib import Path

import numpy as np
import torch
import torchaudio

OUT = Path(__file__).resolve().parents[3] / "data/tests/fixtures/resample"
TARGET_HZ = 16_000
DURATION_SECS = 0.5
RATES = [48_000, 44_100, 22_050]


def tones_lo(t: np.ndarray, fs: int) -> np.ndarray:
    return (
        0.3 * np.sin(2 * math.pi * 440.0 * t)
        + 0.2 * np.sin(2 * math.pi * 1234.5 * t + 0.3)
        + 0.1 * np.sin(2 * math.pi * 2750.0 * t + 1.1)
    )


def chirp_lo(t: np.ndarray, fs: int) -> np.ndarray:
    # Linear sweep 100 Hz -> 3 kHz.
    f0, f1 = 100.0, 3000.0
    return 0.5 * np.sin(2 * math.pi * (f0 * t + (f1 - f0) / (2 * DURATION_SECS) * t * t))


def voiced_lo(t: np.ndarray, fs: int) -> np.ndarray:
    # A 120 Hz "voice" with harmonics up to 3 kHz and a 4 Hz syllable envelope.
    x = sum(np.sin(2 * math.pi * 120.0 * k * t) / k for k in range(1, 26))
    return 0.2 * x * 0.5 * (1 + np.sin(2 * math.pi * 4.0 * t))


def tones(t: np.ndarray, fs: int) -> np.ndarray:
    return (
        0.3 * np.sin(2 * math.pi * 440.0 * t)
        + 0.2 * np.sin(2 * math.pi * 1234.5 * t + 0.3)
        + 0.1 * np.sin(2 * math.pi * 3500.0 * t + 1.1)
        + 0.05 * np.sin(2 * math.pi * 6800.0 * t)
    )


def chirp(t: np.ndarray, fs: int) -> np.ndarray:
    # Linear sweep 100 Hz -> 7 kHz: the whole pass band of a 16 kHz target.
    f0, f1 = 100.0, 7000.0
    return 0.5 * np.sin(2 * math.pi * (f0 * t + (f1 - f0) / (2 * DURATION_SECS) * t * t))


def voiced(t: np.ndarray, fs: int) -> np.ndarray:
    # A 120 Hz "voice": harmonics with 1/k amplitude up to 7.2 kHz, 4 Hz syllable envelope.
    x = sum(np.sin(2 * math.pi * 120.0 * k * t) / k for k in range(1, 61))
    return 0.2 * x * 0.5 * (1 + np.sin(2 * math.pi * 4.0 * t))


# `*_lo` stay below 3 kHz, where torchaudio's default filter is itself within 60 dB
# of the ideal; the others fill the pass band up to 7.2 kHz, where torchaudio's
# hann/width-6 filter droops (-1.8 dB at 7 kHz), so they are compared with the
# analytic ideal instead (see the Rust test).
SIGNALS = {
    "tones_lo": tones_lo,
    "chirp_lo": chirp_lo,
    "voiced_lo": voiced_lo,
    "tones": tones,
    "chirp": chirp,
    "voiced": voiced,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fn in SIGNALS.items():
        for fs in RATES:
            n = int(round(DURATION_SECS * fs))
            t = np.arange(n, dtype=np.float64) / fs
            x = torch.from_numpy(fn(t, fs).astype(np.float32))
            y = torchaudio.functional.resample(x, fs, TARGET_HZ)
            y.numpy().astype("<f4").tofile(OUT / f"{name}_{fs}.f32")
    meta = {
        "torchaudio_version": torchaudio.__version__,
        "call": "torchaudio.functional.resample(x, orig_freq, 16000) with defaults "
        "(sinc_interp_hann, lowpass_filter_width=6, rolloff=0.99)",
        "duration_secs": DURATION_SECS,
        "rates": RATES,
        "signals": list(SIGNALS),
    }
    (OUT / "signals.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
