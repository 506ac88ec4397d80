//! Our side of `bench/model/run.sh`: forward + backward + AdamW step of the 300m arch
//! (random init) on a padded batch of 2 × 4 s, as the omniASR recipe trains it (train mode,
//! feature extractor frozen, AdamW betas (0.9, 0.98), eps 1e-8). Prints one JSON line.
//!
//!   OMP_NUM_THREADS=2 cargo test -p dialekt-model --release --test it bench -- --ignored --nocapture

use std::time::Instant;

use burn::module::Module as _;
use burn::optim::{AdamWConfig, GradientsParams};
use dialekt_model::backend::{self, Accelerator, BackendName};
use dialekt_model::ctc::ctc_loss;
use dialekt_model::{ArchConfig, AudioBatch, Wav2Vec2Asr};

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss_bytes() -> u64 {
    let status = fs_err::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
#[ignore = "benchmark; run through bench/model/run.sh"]
fn step_time_and_peak_memory() {
    let backend: BackendName = std::env::var("DIALEKT_BENCH_BACKEND")
        .unwrap_or_else(|_| backend::default_compiled().to_string())
        .parse()
        .unwrap();
    let arch =
        ArchConfig::preset(&std::env::var("DIALEKT_BENCH_ARCH").unwrap_or_else(|_| "300m".into()))
            .unwrap();
    let steps: usize = std::env::var("DIALEKT_BENCH_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let device = backend::device(backend, Accelerator::Cpu)
        .unwrap()
        .autodiff();
    device.seed(0);
    let mut model = Wav2Vec2Asr::new(&arch, &device).unwrap();
    model.encoder_frontend.feature_extractor = model.encoder_frontend.feature_extractor.no_grad();
    let mut optim = AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.98)
        .with_epsilon(1e-8)
        .with_weight_decay(0.0)
        .init();

    let samples = 4 * 16_000;
    let mut state = 1u64;
    let mut noise = || {
        // xorshift: deterministic input without a rand dependency
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 2001) as f32 / 1000.0 - 1.0
    };
    let audio: Vec<Vec<f32>> = (0..2)
        .map(|_| (0..samples).map(|_| noise()).collect())
        .collect();
    let targets: Vec<Vec<u32>> = (0..2u32)
        .map(|i| (0..50).map(|j| 4 + (i * 97 + j * 13) % 9000).collect())
        .collect();
    let batch = AudioBatch::from_waveforms(&audio, &device);
    let mut times = Vec::new();
    let mut last_loss = 0.0;
    for step in 0..=steps {
        let start = Instant::now();
        let out = model.forward(&arch, &batch).unwrap();
        let loss = ctc_loss(out.logits, &out.frame_lengths, &targets).loss;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(5e-5, model, grads);
        last_loss = f64::from(loss.into_scalar::<f32>());
        if step > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    let line = serde_json::json!({
        "impl": format!("dialekt-{backend}"),
        "step_secs": times,
        "peak_rss_bytes": peak_rss_bytes(),
        "loss": last_loss,
    });
    eprintln!("{line}");
    use std::io::Write as _;
    writeln!(std::io::stdout().lock(), "{line}").unwrap();
}
