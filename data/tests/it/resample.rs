//! Resampler quality against `torchaudio.functional.resample`.
//!
//! The fixtures are torchaudio's outputs for analytic signals
//! (`tools/reference/data/resample_reference.py`); this test rebuilds the inputs from
//! the same formulas. Requirements: ≥ 60 dB SNR against torchaudio below 3 kHz (where
//! torchaudio is itself accurate) and ≥ 60 dB against the analytic ideal over the whole
//! pass band (torchaudio's default filter droops above 3 kHz; numbers are printed).

// Helpers outside #[test] fns unwrap too: a failed setup should fail the test.
#![allow(clippy::unwrap_used)]

use std::f64::consts::PI;
use std::path::Path;

use dialekt_core::SAMPLE_RATE_HZ;
use dialekt_data::resample::resample;

const DURATION_SECS: f64 = 0.5;
const RATES: [u32; 3] = [48_000, 44_100, 22_050];
const MIN_SNR_DB: f64 = 60.0;

/// The analytic signals of `resample_reference.py`, sampled at `fs` (in f64).
fn signal_f64(name: &str, fs: f64, n: usize) -> Vec<f64> {
    let harmonics = |t: f64, top: u32| -> f64 {
        (1..=top)
            .map(|k| (2.0 * PI * 120.0 * f64::from(k) * t).sin() / f64::from(k))
            .sum::<f64>()
    };
    let chirp = |t: f64, f1: f64| {
        let f0 = 100.0;
        0.5 * (2.0 * PI * (f0 * t + (f1 - f0) / (2.0 * DURATION_SECS) * t * t)).sin()
    };
    (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            let envelope = 0.5 * (1.0 + (2.0 * PI * 4.0 * t).sin());
            match name {
                "tones_lo" => {
                    0.3 * (2.0 * PI * 440.0 * t).sin()
                        + 0.2 * (2.0 * PI * 1234.5 * t + 0.3).sin()
                        + 0.1 * (2.0 * PI * 2750.0 * t + 1.1).sin()
                }
                "tones" => {
                    0.3 * (2.0 * PI * 440.0 * t).sin()
                        + 0.2 * (2.0 * PI * 1234.5 * t + 0.3).sin()
                        + 0.1 * (2.0 * PI * 3500.0 * t + 1.1).sin()
                        + 0.05 * (2.0 * PI * 6800.0 * t).sin()
                }
                "chirp_lo" => chirp(t, 3000.0),
                "chirp" => chirp(t, 7000.0),
                "voiced_lo" => 0.2 * harmonics(t, 25) * envelope,
                "voiced" => 0.2 * harmonics(t, 60) * envelope,
                other => panic!("unknown signal {other}"),
            }
        })
        .collect()
}

fn input(name: &str, fs: u32) -> Vec<f32> {
    let n = (DURATION_SECS * f64::from(fs)).round() as usize;
    signal_f64(name, f64::from(fs), n)
        .into_iter()
        .map(|v| v as f32)
        .collect()
}

/// The ideal band-limited result: every signal lies below 8 kHz, so resampling
/// it perfectly is evaluating the same formula at 16 kHz.
fn ideal(name: &str, len: usize) -> Vec<f32> {
    signal_f64(name, f64::from(SAMPLE_RATE_HZ), len)
        .into_iter()
        .map(|v| v as f32)
        .collect()
}

fn reference(name: &str, fs: u32) -> Vec<f32> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/resample")
        .join(format!("{name}_{fs}.f32"));
    let bytes = std::fs::read(&path).unwrap();
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// SNR of `actual` against `reference`, ignoring the first and last 25 ms where
/// any two finite-length filters legitimately differ (zero padding at the edges).
fn snr_db(reference: &[f32], actual: &[f32]) -> f64 {
    let edge = 400;
    let range = edge..reference.len() - edge;
    let signal: f64 = reference[range.clone()]
        .iter()
        .map(|&r| f64::from(r).powi(2))
        .sum();
    let noise: f64 = reference[range.clone()]
        .iter()
        .zip(&actual[range])
        .map(|(&r, &a)| (f64::from(r) - f64::from(a)).powi(2))
        .sum();
    10.0 * (signal / noise.max(f64::MIN_POSITIVE)).log10()
}

#[test]
fn resampler_matches_torchaudio_and_the_ideal() {
    let mut worst_vs_torchaudio = f64::INFINITY;
    let mut worst_vs_ideal = f64::INFINITY;
    for name in [
        "tones_lo",
        "chirp_lo",
        "voiced_lo",
        "tones",
        "chirp",
        "voiced",
    ] {
        for fs in RATES {
            let torchaudio = reference(name, fs);
            let actual = resample(&input(name, fs), fs, SAMPLE_RATE_HZ).unwrap();
            assert_eq!(actual.len(), torchaudio.len(), "{name} at {fs} Hz: length");
            let ideal = ideal(name, actual.len());
            let vs_torchaudio = snr_db(&torchaudio, &actual);
            let vs_ideal = snr_db(&ideal, &actual);
            let torchaudio_vs_ideal = snr_db(&ideal, &torchaudio);
            // Printed so `cargo test -- --nocapture` reports the numbers.
            eprintln!(
                "{name:>9} {fs:>6} Hz -> 16 kHz: SNR vs torchaudio {vs_torchaudio:6.1} dB, \
                 vs ideal {vs_ideal:6.1} dB (torchaudio vs ideal {torchaudio_vs_ideal:6.1} dB)"
            );
            if name.ends_with("_lo") {
                worst_vs_torchaudio = worst_vs_torchaudio.min(vs_torchaudio);
            }
            worst_vs_ideal = worst_vs_ideal.min(vs_ideal);
        }
    }
    assert!(
        worst_vs_torchaudio >= MIN_SNR_DB,
        "worst SNR vs torchaudio {worst_vs_torchaudio:.1} dB < {MIN_SNR_DB} dB"
    );
    assert!(
        worst_vs_ideal >= MIN_SNR_DB,
        "worst SNR vs ideal {worst_vs_ideal:.1} dB < {MIN_SNR_DB} dB"
    );
}
