//! The training metrics published every `publish_metrics_every_n_steps` steps, with
//! fairseq2's names and meanings (`ctc_loss` in bits per utterance, `grad_norm` averaged
//! over the window, `lr` of the last step, element counts including padding).
//!
//! The window's sums are part of a checkpoint, so a run resumed mid-window publishes the
//! same numbers an uninterrupted one would. Wall-clock measurements go in the metrics
//! line's `timing`, outside the deterministic hash chain.

use std::collections::BTreeMap;
use std::f64::consts::LN_2;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::train::step::StepStats;
use dialekt_core::SAMPLE_RATE_HZ;

/// Sums over the steps since the last published line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub steps: u64,
    pub loss_sum: f64,
    pub utterances: u64,
    pub infeasible: u64,
    pub grad_norm_sum: f64,
    pub audio_samples: u64,
    pub padded_samples: u64,
    pub lr: f64,
}

impl Window {
    /// Adds one step.
    pub fn add(&mut self, stats: &StepStats, lr: f64) {
        self.steps += 1;
        self.loss_sum += stats.loss_sum;
        self.utterances += stats.utterances as u64;
        self.infeasible += stats.infeasible as u64;
        self.grad_norm_sum += stats.grad_norm;
        self.audio_samples += stats.audio_samples as u64;
        self.padded_samples += stats.padded_samples as u64;
        self.lr = lr;
    }

    /// Audio in the window, in seconds.
    #[must_use]
    pub fn audio_secs(&self) -> f64 {
        self.audio_samples as f64 / f64::from(SAMPLE_RATE_HZ)
    }

    /// The deterministic values of the `train` line.
    #[must_use]
    pub fn values(&self) -> BTreeMap<String, f64> {
        let per = |sum: f64, n: u64| if n == 0 { 0.0 } else { sum / n as f64 };
        BTreeMap::from([
            (
                "ctc_loss".to_owned(),
                per(self.loss_sum, self.utterances) / LN_2,
            ),
            ("grad_norm".to_owned(), per(self.grad_norm_sum, self.steps)),
            ("lr".to_owned(), self.lr),
            ("num_examples".to_owned(), self.utterances as f64),
            ("num_elements".to_owned(), self.padded_samples as f64),
            (
                "padding".to_owned(),
                (self.padded_samples - self.audio_samples.min(self.padded_samples)) as f64,
            ),
            ("infeasible".to_owned(), self.infeasible as f64),
        ])
    }

    /// The non-deterministic measurements of the `train` line.
    #[must_use]
    pub fn timing(&self, elapsed: Duration, since_start: Duration) -> BTreeMap<String, f64> {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut timing = BTreeMap::from([
            ("elapsed_s".to_owned(), since_start.as_secs_f64()),
            ("window_s".to_owned(), elapsed.as_secs_f64()),
            ("audio_secs_per_s".to_owned(), self.audio_secs() / secs),
            ("steps_per_s".to_owned(), self.steps as f64 / secs),
        ]);
        if let Some(peak) = peak_rss_mib() {
            timing.insert("peak_rss_mib".to_owned(), peak);
        }
        timing
    }
}

/// The process's peak resident memory (`VmHWM`), where the OS reports it.
#[must_use]
pub fn peak_rss_mib() -> Option<f64> {
    let status = fs_err::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
