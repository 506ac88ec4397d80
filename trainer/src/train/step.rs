//! One optimizer step with fairseq2's semantics (`fairseq2/recipe/trainer.py::_do_run_step`):
//! every micro-batch's *summed* CTC loss is back-propagated as is, the gradients are added
//! up, and only then scaled by `1 / Σ utterances` of the whole step, so the update follows
//! the per-utterance mean loss however the step was split into micro-batches. Then the
//! global gradient norm is measured (and clipped by, if configured) and AdamW steps.

use burn::module::Module as _;
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use crate::data::Batch;
use crate::model::ctc::ctc_loss;
use crate::model::{ArchConfig, AudioBatch, ModelError, Wav2Vec2Asr};
use crate::train::grads;

/// A micro-batch on the device: padded audio and token targets.
#[derive(Debug, Clone)]
pub struct MicroBatch {
    pub audio: AudioBatch,
    pub targets: Vec<Vec<u32>>,
    /// Samples including padding (fairseq2's `num_elements` counts the padded tensor).
    pub padded_samples: usize,
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

/// Forward and backward over `batches`; returns the gradients already normalised per
/// utterance. `dropped[i]` are micro-batch `i`'s LayerDrop decisions (empty: none).
///
/// # Errors
/// [`ModelError::TooShort`] when an utterance yields no frame.
pub fn normalized_gradients(
    model: &Wav2Vec2Asr,
    arch: &ArchConfig,
    batches: &[MicroBatch],
    dropped: &[Vec<bool>],
) -> Result<(GradientsParams, StepStats), ModelError> {
    let mut accumulator = GradientsAccumulator::new();
    let mut stats = StepStats {
        loss_sum: 0.0,
        utterances: 0,
        infeasible: 0,
        grad_norm: 0.0,
        audio_samples: 0,
        padded_samples: 0,
    };
    for (i, batch) in batches.iter().enumerate() {
        let layers = dropped.get(i).map_or(&[][..], Vec::as_slice);
        let output = model.forward_with_layer_drop(arch, &batch.audio, layers)?;
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
    if stats.utterances > 0 {
        grads::scale(model, &mut grads, 1.0 / stats.utterances as f64);
    }
    stats.grad_norm = grads::global_norm(model, &grads);
    Ok((grads, stats))
}

/// A whole optimizer step: gradients, norm, optional clipping, AdamW at `lr`.
///
/// # Errors
/// As [`normalized_gradients`].
#[allow(clippy::too_many_arguments)]
pub fn optimizer_step(
    model: Wav2Vec2Asr,
    arch: &ArchConfig,
    optimizer: &mut ModuleOptimizer,
    batches: &[MicroBatch],
    dropped: &[Vec<bool>],
    lr: f64,
    max_grad_norm: Option<f64>,
) -> Result<(Wav2Vec2Asr, StepStats), ModelError> {
    let (mut grads, stats) = normalized_gradients(&model, arch, batches, dropped)?;
    if let Some(factor) = grads::clip_factor(stats.grad_norm, max_grad_norm) {
        grads::scale(&model, &mut grads, factor);
    }
    Ok((optimizer.step(lr, model, grads), stats))
}

/// An inference copy of `model` (no autodiff graph, dropout and LayerDrop off).
#[must_use]
pub fn inference_copy(model: &Wav2Vec2Asr) -> Wav2Vec2Asr {
    model.valid()
}
