//! One optimizer step with fairseq2's semantics (`fairseq2/recipe/trainer.py::_do_run_step`):
//! every micro-batch's *summed* CTC loss is back-propagated as is, the gradients are added
//! up, and only then scaled by `1 / Σ utterances` of the whole step, so the update follows
//! the per-utterance mean loss however the step was split into micro-batches. Then the
//! global gradient norm is measured (and clipped by, if configured) and AdamW steps.
//!
//! Data-parallel: each rank back-propagates its own micro-batches, then the gradient sums
//! and the step's counts are summed over the gang before the same normalisation, so every
//! rank applies the same update as one process holding all the micro-batches would.

use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use crate::distributed::{Collective, GangError, all_reduce_gradients};
use crate::train::grads;
use dialekt_data::Batch;
use dialekt_model::ctc::ctc_loss;
use dialekt_model::{ArchConfig, AudioBatch, Wav2Vec2Asr};

/// A micro-batch on the device: padded audio and token targets.
#[derive(Debug, Clone)]
pub struct MicroBatch {
    pub audio: AudioBatch,
    pub targets: Vec<Vec<u32>>,
    /// Samples including padding (fairseq2's `num_elements` counts the padded tensor).
    pub padded_samples: usize,
    /// LayerDrop's decision per encoder layer (empty: no layer dropped).
    pub layer_drop: Vec<bool>,
    /// Seeds the device's generator (dropout) before the forward pass, when set.
    pub device_seed: Option<u64>,
}

impl MicroBatch {
    /// Moves a loader batch to `device` with its tokenised transcripts.
    #[must_use]
    pub fn new(batch: Batch, targets: Vec<Vec<u32>>, device: &Device) -> Self {
        let n = batch.len();
        let padded_samples = n * batch.max_len;
        let waveforms = Tensor::from_data(TensorData::new(batch.audio, [n, batch.max_len]), device);
        Self {
            audio: AudioBatch {
                waveforms,
                lengths: batch.lengths,
            },
            targets,
            padded_samples,
            layer_drop: Vec::new(),
            device_seed: None,
        }
    }

    /// Utterances in the micro-batch.
    #[must_use]
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

/// What one step computed, for the metrics log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// Σ CTC loss over the step's utterances, in nats (fairseq2's raw sum).
    pub loss_sum: f64,
    pub utterances: usize,
    /// Utterances no CTC alignment exists for (contributing 0, as `zero_infinity`).
    pub infeasible: usize,
    /// Global L2 norm of the normalised gradient, before any clipping.
    pub grad_norm: f64,
    pub audio_samples: usize,
    pub padded_samples: usize,
}

pub use crate::error::StepError;

/// Forward and backward over `batches` (each with its own random decisions); returns the
/// gradients summed over the gang (if any) and normalised per utterance of the whole
/// step.
///
/// # Errors
/// [`dialekt_model::ModelError::TooShort`] when an utterance yields no frame; a failed collective.
pub fn normalized_gradients(
    model: &Wav2Vec2Asr,
    arch: &ArchConfig,
    batches: &[MicroBatch],
    gang: Option<&dyn Collective>,
) -> Result<(GradientsParams, StepStats), StepError> {
    let mut accumulator = GradientsAccumulator::new();
    let mut stats = StepStats {
        loss_sum: 0.0,
        utterances: 0,
        infeasible: 0,
        grad_norm: 0.0,
        audio_samples: 0,
        padded_samples: 0,
    };
    for batch in batches {
        if let Some(seed) = batch.device_seed {
            batch.audio.waveforms.device().seed(seed);
        }
        let output = model.forward_with_layer_drop(arch, &batch.audio, &batch.layer_drop)?;
        let loss = ctc_loss(output.logits, &output.frame_lengths, &batch.targets);
        stats.loss_sum += loss
            .loss
            .clone()
            .try_into_scalar::<f32>()
            .map_or(f64::NAN, f64::from);
        stats.utterances += batch.len();
        stats.infeasible += loss.infeasible.len();
        stats.audio_samples += batch.audio.lengths.iter().sum::<usize>();
        stats.padded_samples += batch.padded_samples;
        let grads = GradientsParams::from_grads(loss.loss.backward(), model);
        accumulator.accumulate(model, grads);
    }
    let mut grads = accumulator.grads();
    if let Some(gang) = gang {
        all_reduce_gradients(model, &mut grads, gang)?;
        stats = sum_over(gang, stats)?;
    }
    if stats.utterances > 0 {
        grads::scale(model, &mut grads, 1.0 / stats.utterances as f64);
    }
    stats.grad_norm = grads::global_norm(model, &grads);
    Ok((grads, stats))
}

/// The step's counts and loss summed over the gang.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "counts far below 2^52 round-trip through f64 exactly"
)]
fn sum_over(gang: &dyn Collective, stats: StepStats) -> Result<StepStats, GangError> {
    let mut totals = [
        stats.loss_sum,
        stats.utterances as f64,
        stats.infeasible as f64,
        stats.audio_samples as f64,
        stats.padded_samples as f64,
    ];
    gang.all_reduce_sum_f64(&mut totals)?;
    let [
        loss_sum,
        utterances,
        infeasible,
        audio_samples,
        padded_samples,
    ] = totals;
    Ok(StepStats {
        loss_sum,
        utterances: utterances as usize,
        infeasible: infeasible as usize,
        grad_norm: stats.grad_norm,
        audio_samples: audio_samples as usize,
        padded_samples: padded_samples as usize,
    })
}

/// A whole optimizer step: gradients (summed over the gang, if any), norm, optional
/// clipping, AdamW at `lr`.
///
/// # Errors
/// As [`normalized_gradients`].
pub fn optimizer_step(
    model: Wav2Vec2Asr,
    arch: &ArchConfig,
    optimizer: &mut ModuleOptimizer,
    batches: &[MicroBatch],
    lr: f64,
    max_grad_norm: Option<f64>,
    gang: Option<&dyn Collective>,
) -> Result<(Wav2Vec2Asr, StepStats), StepError> {
    let (mut grads, stats) = normalized_gradients(&model, arch, batches, gang)?;
    if let Some(factor) = grads::clip_factor(stats.grad_norm, max_grad_norm) {
        grads::scale(&model, &mut grads, factor);
    }
    Ok((optimizer.step(lr, model, grads), stats))
}
