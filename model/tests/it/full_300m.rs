//! Opt-in: the full 300m arch (random init, 1.3 GB) against fairseq2.
//!
//! Generate once (not committed):
//!   .venv-ref/bin/python tools/reference/model/make_fixture.py --arch 300m --out /tmp/dialekt-300m
//! (the venv from `tools/reference/setup-venv.sh`), then:
//!   DIALEKT_300M_DIR=/tmp/dialekt-300m ./dev cargo test -p dialekt-model --release --test it full_300m -- --ignored --nocapture

use crate::common::{cpu_devices, max_logit_delta, reference};
use dialekt_model::checkpoint::{Checkpoint, load_model};
use dialekt_model::ctc::ctc_loss;
use dialekt_model::{ArchConfig, AudioBatch};

#[test]
#[ignore = "opt-in: needs a locally generated 1.3 GB checkpoint in DIALEKT_300M_DIR"]
fn full_300m_matches_fairseq2() {
    let dir = std::env::var_os("DIALEKT_300M_DIR")
        .expect("set DIALEKT_300M_DIR to the output of make_fixture.py --arch 300m");
    let dir = std::path::PathBuf::from(dir);
    let reference = reference(&dir);
    let arch = ArchConfig::preset("300m").unwrap();
    assert_eq!(reference.config.model_dim, arch.model_dim);
    let checkpoint = Checkpoint::open(&dir.join("checkpoint.pt")).unwrap();
    assert_eq!(checkpoint.shapes().len(), 423);
    assert_eq!(arch.param_count(), 325_494_996);
    assert_eq!(reference.param_count, 325_494_996);
    for (backend, device) in cpu_devices() {
        let device = device.without_autodiff();
        let start = std::time::Instant::now();
        let loaded = load_model(&dir.join("checkpoint.pt"), Some(arch.clone()), &device).unwrap();
        let load_secs = start.elapsed().as_secs_f64();
        let start = std::time::Instant::now();
        let out = loaded
            .model
            .forward(
                &arch,
                &AudioBatch::from_waveforms(&reference.audio, &device),
            )
            .unwrap();
        assert_eq!(out.frame_lengths, reference.frame_lengths);
        let delta = max_logit_delta(out.logits.clone(), &reference.logits);
        let loss = f64::from(
            ctc_loss(out.logits, &out.frame_lengths, &reference.targets)
                .loss
                .into_scalar::<f32>(),
        );
        eprintln!(
            "{backend}: 300m load {load_secs:.1} s, forward {:.1} s, logits max |Δ| {delta:.3e}, loss {loss} vs {} (rel {:.2e})",
            start.elapsed().as_secs_f64(),
            reference.loss,
            (loss - reference.loss).abs() / reference.loss
        );
        assert!(delta <= 1e-3, "{backend}: {delta}");
    }
}
