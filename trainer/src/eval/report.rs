//! `report.json` and `report.txt` of an evaluation: fairseq2's validation metrics and
//! CoRal's breakdown by dialect, age group and gender with bootstrap intervals, both
//! CoRal-normalised and raw.

use dialekt_core::atomic::{write_atomic, write_json_atomic};
use dialekt_core::store::RunDir;
use dialekt_text::align::EditCounts;
use dialekt_text::bootstrap::{self, Unit};
use dialekt_text::groups::Category;
use dialekt_text::io::Meta;
use dialekt_text::metrics::error_rate;
use dialekt_text::normalize::Style;
use dialekt_text::score::{self, Options, Report, System};
use serde::Serialize;

use crate::Error;
use crate::decoding::DecoderRecord;
use crate::eval::utterances;
use crate::train::checkpoint::Scores;
use crate::train::evaluate::Evaluation;

/// Everything `report.json` holds.
#[derive(Debug, Serialize)]
struct EvalReport<'a> {
    run: String,
    split: &'a str,
    checkpoint_step: u64,
    checkpoint_sha256: String,
    /// How the hypotheses were read off the logits (the LM by content).
    decoder: &'a DecoderRecord,
    /// fairseq2's metrics (WER/UER on the model's own target text, CTC loss in bits).
    fairseq2: Scores,
    /// CoRal's normalisation on both sides, by dialect, age group and gender.
    coral_normalized: &'a Report,
    /// The stored reference text against the hypothesis, unnormalised.
    raw: &'a Report,
}

/// Which split and checkpoint an evaluation decoded, and how.
#[derive(Debug, Clone, Copy)]
pub struct EvaluatedCheckpoint<'a> {
    pub split: &'a str,
    pub step: u64,
    pub sha256: &'a str,
    pub decoder: &'a DecoderRecord,
}

impl EvaluatedCheckpoint<'_> {
    /// `<split>-step_<N>` and the decoder's suffix (none for greedy): the evaluation's
    /// directory under `eval/`.
    #[must_use]
    pub fn dir_name(&self) -> String {
        format!(
            "{}-step_{}{}",
            self.split,
            self.step,
            self.decoder.dir_suffix()
        )
    }
}

/// Scores `evaluation` and writes `eval/<split>-step_<N>[-<decoder>]/` of `run`; returns
/// the text of `report.txt` and where it was written.
///
/// # Errors
/// Write errors (named).
pub fn write_evaluation(
    run: &RunDir,
    checkpoint: &EvaluatedCheckpoint<'_>,
    evaluation: &Evaluation,
    bootstrap: usize,
) -> Result<String, Error> {
    let coral = breakdown(evaluation, Some(Style::Coral), bootstrap);
    let raw = breakdown(evaluation, None, bootstrap);
    let out_dir = run.path.join("eval").join(checkpoint.dir_name());
    write_atomic(
        &out_dir.join("utterances.parquet"),
        &utterances::to_parquet(evaluation, &coral.utterances)?,
    )?;
    let report = EvalReport {
        run: run.id.to_string(),
        split: checkpoint.split,
        checkpoint_step: checkpoint.step,
        checkpoint_sha256: checkpoint.sha256.to_owned(),
        decoder: checkpoint.decoder,
        fairseq2: evaluation.validation().scores,
        coral_normalized: &coral,
        raw: &raw,
    };
    write_json_atomic(&out_dir.join("report.json"), &report)?;
    let text = format!(
        "{} on `{}` ({} utterances), checkpoint step {}, decoded {}\n\nfairseq2: WER {:.2} %  UER {:.2} %  CTC loss {:.2} bits/utterance\n\nCoRal-normalised:\n{}\nraw:\n{}",
        run.id.short(),
        checkpoint.split,
        evaluation.utterances.len(),
        checkpoint.step,
        checkpoint.decoder.label(),
        report.fairseq2.wer,
        report.fairseq2.uer,
        report.fairseq2.ctc_loss,
        score::render_table(&coral),
        score::render_table(&raw),
    );
    write_atomic(&out_dir.join("report.txt"), text.as_bytes())?;
    Ok(format!("{text}\nwritten to {}", out_dir.display()))
}

/// The CoRal breakdown of `evaluation` against the stored reference text.
fn breakdown(evaluation: &Evaluation, normalize: Option<Style>, resamples: usize) -> Report {
    let references: Vec<String> = evaluation
        .utterances
        .iter()
        .map(|u| u.stored_text.clone())
        .collect();
    let hypotheses: Vec<String> = evaluation
        .utterances
        .iter()
        .map(|u| u.hypothesis.clone())
        .collect();
    let meta: Vec<Meta> = evaluation
        .utterances
        .iter()
        .map(|u| Meta::of_utterance(u.speaker.clone(), &u.dialect_group, u.age, u.gender.clone()))
        .collect();
    let options = Options {
        normalize,
        by: vec![Category::Dialect, Category::AgeGroup, Category::Gender],
        bootstrap: (resamples > 0).then_some(bootstrap::Config {
            resamples,
            seed: 0,
            level: 0.95,
            unit: Unit::Speaker,
        }),
    };
    score::score(
        &references,
        System {
            name: "hypothesis",
            hypotheses: &hypotheses,
        },
        None,
        Some(&meta),
        None,
        &options,
    )
}

/// The pooled WER (in %) of `evaluation` with CoRal's normalisation on both sides: the
/// number `report.json`'s `overall` group holds, without the breakdown and intervals.
#[must_use]
pub fn coral_wer(evaluation: &Evaluation) -> f64 {
    let (references, hypotheses): (Vec<String>, Vec<String>) = evaluation
        .utterances
        .iter()
        .map(|u| (u.stored_text.clone(), u.hypothesis.clone()))
        .unzip();
    let words = score::pair_counts(&references, &hypotheses, Some(Style::Coral))
        .into_iter()
        .fold(EditCounts::default(), |mut total, counts| {
            total += counts.words;
            total
        });
    100.0 * error_rate(&words)
}
