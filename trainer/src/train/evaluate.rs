//! Greedy-decoding passes over a split: fairseq2's validation (`Wav2Vec2AsrEvalUnit` +
//! `WerCalculator`) and the per-utterance results `trainer eval` stores.
//!
//! Metrics are fairseq2's: `ctc_loss` in bits per utterance (Σ loss / N / ln 2), `wer` over
//! whitespace-split words and `uer` over token ids, both corpus-level percentages. As in
//! fairseq2, the reference is the target *ids* decoded back to text, so both sides of the
//! WER went through the same tokenizer.

use std::collections::BTreeMap;
use std::f64::consts::LN_2;

use burn::tensor::{Device, Tensor, TensorData};
use dialekt_text::align::EditCounts;
use dialekt_text::metrics::{Scorer, error_rate};

use dialekt_data::Loader;
use dialekt_model::ctc::ctc_loss;
use dialekt_model::{ArchConfig, AudioBatch, Wav2Vec2Asr};

use crate::Error;
use crate::decoding::Transcriber;
use crate::error::During as _;
use crate::train::checkpoint::Scores;
use crate::train::targets::Targets;

/// One utterance's transcript and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct UtteranceResult {
    /// The transcript as stored in the prepared data.
    pub stored_text: String,
    /// The target ids decoded (what WER/UER compare with).
    pub reference: String,
    pub hypothesis: String,
    pub reference_ids: Vec<u32>,
    pub hypothesis_ids: Vec<u32>,
    pub source: String,
    pub speaker: Option<String>,
    pub dialect_group: String,
    pub age: Option<i64>,
    pub gender: Option<String>,
}

/// A pass over a split.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Σ CTC loss in nats.
    pub loss_sum: f64,
    pub utterances: Vec<UtteranceResult>,
}

/// Decodes every batch of `loader` with `model` (an inference copy), greedily.
///
/// # Errors
/// Loader errors (naming the part file) and model errors.
pub fn evaluate(
    model: &Wav2Vec2Asr,
    arch: &ArchConfig,
    targets: &Targets,
    loader: &mut Loader,
    device: &Device,
) -> Result<Evaluation, Error> {
    let mut evaluations =
        evaluate_with(model, arch, targets, loader, device, &[Transcriber::Greedy])?;
    Ok(evaluations.pop().unwrap_or_default())
}

/// Decodes every batch of `loader` with `model` once, and reads the transcripts off each
/// batch's logits with every one of `transcribers` (a grid of LM weights shares the
/// forward passes); one [`Evaluation`] per transcriber, in order.
///
/// # Errors
/// Loader errors (naming the part file), model and decoder errors.
pub fn evaluate_with(
    model: &Wav2Vec2Asr,
    arch: &ArchConfig,
    targets: &Targets,
    loader: &mut Loader,
    device: &Device,
    transcribers: &[Transcriber<'_>],
) -> Result<Vec<Evaluation>, Error> {
    let mut evaluations = vec![Evaluation::default(); transcribers.len()];
    while let Some(batch) = loader.next_batch() {
        let batch = batch?;
        let n = batch.len();
        let ids: Vec<Vec<u32>> = batch.texts.iter().map(|t| targets.ids(t)).collect();
        let audio = AudioBatch {
            waveforms: Tensor::from_data(TensorData::new(batch.audio, [n, batch.max_len]), device),
            lengths: batch.lengths,
        };
        let output = model
            .forward(arch, &audio)
            .during(|| "running the model on an evaluation batch".to_owned())?;
        let transcripts = transcribers
            .iter()
            .map(|t| t.transcribe(&output, &targets.tokenizer))
            .collect::<Result<Vec<_>, _>>()?;
        let loss = ctc_loss(output.logits, &output.frame_lengths, &ids)
            .loss
            .try_into_scalar::<f32>()
            .map_or(f64::NAN, f64::from);
        for (evaluation, transcripts) in evaluations.iter_mut().zip(transcripts) {
            evaluation.loss_sum += loss;
            for (i, hypothesis) in transcripts.into_iter().enumerate() {
                evaluation.utterances.push(UtteranceResult {
                    stored_text: batch.texts[i].clone(),
                    reference: targets.decode(&ids[i]),
                    hypothesis: hypothesis.text,
                    reference_ids: ids[i].clone(),
                    hypothesis_ids: hypothesis.ids,
                    source: batch.sources[i].clone(),
                    speaker: batch.speakers[i].clone(),
                    dialect_group: batch.dialect_groups[i].clone(),
                    age: batch.ages[i],
                    gender: batch.genders[i].clone(),
                });
            }
        }
    }
    Ok(evaluations)
}

/// fairseq2's validation scores and the WER per dialect group, from one alignment of
/// each utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub scores: Scores,
    pub wer_by_dialect: BTreeMap<String, f64>,
    pub utterances: usize,
}

impl Evaluation {
    /// Aligns every utterance once (words and token ids) and pools the counts.
    #[must_use]
    pub fn validation(&self) -> Validation {
        let mut scorer = Scorer::new();
        let mut words = EditCounts::default();
        let mut units = EditCounts::default();
        let mut by_dialect: BTreeMap<&str, EditCounts> = BTreeMap::new();
        for u in &self.utterances {
            let utterance_words = scorer.word_counts(&u.reference, &u.hypothesis);
            words += utterance_words;
            *by_dialect.entry(&u.dialect_group).or_default() += utterance_words;
            units += scorer.token_counts(&u.reference_ids, &u.hypothesis_ids);
        }
        Validation {
            scores: Scores {
                wer: 100.0 * error_rate(&words),
                uer: 100.0 * error_rate(&units),
                ctc_loss: self.bits_per_utterance(),
            },
            wer_by_dialect: by_dialect
                .into_iter()
                .map(|(group, counts)| (group.to_owned(), 100.0 * error_rate(&counts)))
                .collect(),
            utterances: self.utterances.len(),
        }
    }

    /// Σ loss / N / ln 2.
    #[must_use]
    pub fn bits_per_utterance(&self) -> f64 {
        if self.utterances.is_empty() {
            return 0.0;
        }
        self.loss_sum / self.utterances.len() as f64 / LN_2
    }
}

impl Validation {
    /// The validation metrics line: fairseq2's names plus `wer/dialect=<group>`.
    #[must_use]
    pub fn metric_values(&self) -> BTreeMap<String, f64> {
        let mut values = BTreeMap::from([
            ("ctc_loss".to_owned(), self.scores.ctc_loss),
            ("wer".to_owned(), self.scores.wer),
            ("uer".to_owned(), self.scores.uer),
            ("num_examples".to_owned(), self.utterances as f64),
        ]);
        for (group, wer) in &self.wer_by_dialect {
            values.insert(format!("wer/dialect={group}"), *wer);
        }
        values
    }
}
