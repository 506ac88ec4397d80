//! `trainer eval <run|experiment> --split test`: decode a split with a run's checkpoint and
//! store, under `runs/<id>/eval/<split>-step_<N>/`,
//!
//! - `utterances.parquet`: one row per utterance: stored text, reference, hypothesis,
//!   speaker metadata, and word/character hits, substitutions, deletions, insertions
//!   (after CoRal normalisation);
//! - `report.json`: fairseq2's validation metrics on the split, and the CoRal breakdown by
//!   dialect, age group and gender (and their combinations) with bootstrap confidence
//!   intervals, both CoRal-normalised (comparable with published CoRal numbers) and raw;
//! - `report.txt`: the same tables for people.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use burn::module::Module as _;
use clap::Args;
use dialekt_core::atomic::{write_atomic, write_json_atomic};
use dialekt_core::config::Experiment;
use dialekt_core::store::{RunDir, RunStore};
use dialekt_text::align::EditCounts;
use dialekt_text::bootstrap::{self, Unit};
use dialekt_text::groups::Category;
use dialekt_text::io::Meta;
use dialekt_text::metrics::PairCounts;
use dialekt_text::normalize::Style;
use dialekt_text::score::{self, Options, Report, System};
use parquet::arrow::ArrowWriter;
use serde::Serialize;

use crate::commands::config::ExperimentArgs;
use crate::model::Wav2Vec2Asr;
use crate::recording::{PlannedRun, store_project_root};
use crate::train::checkpoint::{self, SavedCheckpoint, Scores};
use crate::train::evaluate::{Evaluation, UtteranceResult, evaluate};
use crate::train::input::{eval_loader, open_split};
use crate::train::setup;
use crate::train::targets::Targets;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A run id (or unique prefix) in `--store`, or an experiment YAML (its run).
    pub run: String,
    /// The split to decode.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// `best` (by the run's score metric on dev), `last` or `step_N`.
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    /// Run store directory (for a run id).
    #[arg(long, default_value = "runs")]
    pub store: PathBuf,
    /// Bootstrap resamples for the confidence intervals; 0 turns them off.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Override one experiment key (with an experiment YAML), as `trainer run` does.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// What an evaluation pass does.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub split: String,
    pub checkpoint: String,
    pub bootstrap: usize,
}

impl EvalOptions {
    #[must_use]
    pub fn for_split(split: &str) -> Self {
        Self {
            split: split.to_owned(),
            checkpoint: "best".to_owned(),
            bootstrap: 1000,
        }
    }
}

impl EvalArgs {
    /// # Errors
    /// An unknown run, a missing checkpoint or split, unreadable data.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let options = EvalOptions {
            split: self.split.clone(),
            checkpoint: self.checkpoint.clone(),
            bootstrap: self.bootstrap,
        };
        let path = Path::new(&self.run);
        let (run, root) = if path.is_file() {
            let input = ExperimentArgs {
                experiment: path.to_owned(),
                overrides: self.overrides.clone(),
            };
            let planned = PlannedRun::plan(&input)?;
            let run = planned.store().dir(planned.record.run_id);
            if !run.file(dialekt_core::store::RUN_FILE).exists() {
                bail!(
                    "{}: its run {} has not been started (`trainer run {}`)",
                    path.display(),
                    run.id.short(),
                    path.display()
                );
            }
            (run, planned.project_root)
        } else {
            let run = RunStore::new(&self.store).resolve(&self.run)?;
            (run, store_project_root(&self.store))
        };
        evaluate_run(&run, &root, &options)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Everything `report.json` holds.
#[derive(Debug, Serialize)]
struct EvalReport<'a> {
    run: String,
    split: &'a str,
    checkpoint_step: u64,
    checkpoint_sha256: String,
    /// fairseq2's metrics (WER/UER on the model's own target text, CTC loss in bits).
    fairseq2: Scores,
    /// CoRal's normalisation on both sides, by dialect, age group and gender.
    coral_normalized: &'a Report,
    /// The stored reference text against the hypothesis, unnormalised.
    raw: &'a Report,
}

/// Decodes `options.split` with a checkpoint of `run` and writes the results.
///
/// # Errors
/// A missing checkpoint or split, unreadable files, write errors (named).
pub fn evaluate_run(run: &RunDir, root: &Path, options: &EvalOptions) -> anyhow::Result<()> {
    let experiment = run.experiment()?;
    let saved = pick_checkpoint(run, &experiment, &options.checkpoint)?;
    saved.verify()?;
    let arch = setup::arch(&experiment)?;
    let (tokenizer, _) = setup::tokenizer(&experiment, root, setup::Fetch::Download)?;
    let targets = Targets {
        tokenizer,
        normalization: experiment.dataset.text_normalization,
    };
    let device = crate::commands::run::device(&experiment, None)?.without_autodiff();
    let model = saved.load_model(Wav2Vec2Asr::new(&arch, &device)?)?.valid();
    let data_root = root.join(experiment.dataset.path.as_deref().unwrap_or_default());
    let index = open_split(&data_root, &options.split)?;
    let mut loader = eval_loader(&experiment, Arc::clone(&index))?;
    eprintln!(
        "evaluating run {} ({} step {}) on {} utterances of `{}`",
        run.id.short(),
        options.checkpoint,
        saved.record.step,
        index.utterances.len(),
        options.split
    );
    let evaluation = evaluate(&model, &arch, &targets, &mut loader, &device)?;
    let text = write_evaluation(
        run,
        &EvaluatedCheckpoint {
            split: &options.split,
            step: saved.record.step,
            sha256: &saved.record.sha256.to_string(),
        },
        &evaluation,
        options.bootstrap,
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// Which split and checkpoint an evaluation decoded.
#[derive(Debug, Clone, Copy)]
pub struct EvaluatedCheckpoint<'a> {
    pub split: &'a str,
    pub step: u64,
    pub sha256: &'a str,
}

/// Scores `evaluation` and writes `eval/<split>-step_<N>/` of `run`; returns the text
/// of `report.txt` and where it was written.
///
/// # Errors
/// Write errors (named).
pub fn write_evaluation(
    run: &RunDir,
    checkpoint: &EvaluatedCheckpoint<'_>,
    evaluation: &Evaluation,
    bootstrap: usize,
) -> anyhow::Result<String> {
    let coral = breakdown(evaluation, Some(Style::Coral), bootstrap);
    let raw = breakdown(evaluation, None, bootstrap);
    let out_dir = run
        .path
        .join("eval")
        .join(format!("{}-step_{}", checkpoint.split, checkpoint.step));
    fs_err::create_dir_all(&out_dir)?;
    write_atomic(
        &out_dir.join("utterances.parquet"),
        &utterances_parquet(evaluation, &coral.utterances)?,
    )?;
    let report = EvalReport {
        run: run.id.to_string(),
        split: checkpoint.split,
        checkpoint_step: checkpoint.step,
        checkpoint_sha256: checkpoint.sha256.to_owned(),
        fairseq2: evaluation.validation().scores,
        coral_normalized: &coral,
        raw: &raw,
    };
    write_json_atomic(&out_dir.join("report.json"), &report)?;
    let text = format!(
        "{} on `{}` ({} utterances), checkpoint step {}\n\nfairseq2: WER {:.2} %  UER {:.2} %  CTC loss {:.2} bits/utterance\n\nCoRal-normalised:\n{}\nraw:\n{}",
        run.id.short(),
        checkpoint.split,
        evaluation.utterances.len(),
        checkpoint.step,
        report.fairseq2.wer,
        report.fairseq2.uer,
        report.fairseq2.ctc_loss,
        score::render_table(&coral),
        score::render_table(&raw),
    );
    write_atomic(&out_dir.join("report.txt"), text.as_bytes())?;
    Ok(format!("{text}\nwritten to {}", out_dir.display()))
}

fn pick_checkpoint(
    run: &RunDir,
    experiment: &Experiment,
    which: &str,
) -> anyhow::Result<SavedCheckpoint> {
    let found = match which {
        "last" => checkpoint::latest(&run.path)?,
        // Without dev scores (no dev split), the last checkpoint is the best we know.
        "best" => match checkpoint::best(&run.path, &experiment.regime.score_metric)? {
            Some(best) => Some(best),
            None => checkpoint::latest(&run.path)?,
        },
        step => {
            let wanted: u64 = step
                .strip_prefix("step_")
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("--checkpoint {step}: expected last, best or step_N"))?;
            checkpoint::list(&run.path)?
                .into_iter()
                .find(|c| c.record.step == wanted)
        }
    };
    found.with_context(|| {
        format!(
            "run {} has no `{which}` checkpoint in {} (has it trained? `trainer runs show {}`)",
            run.id.short(),
            run.path.join(checkpoint::CHECKPOINTS_DIR).display(),
            run.id.short()
        )
    })
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

/// Column names of `utterances.parquet`, shared by the writer here and its reader
/// ([`crate::report::evaluation`]).
pub mod columns {
    pub const STORED_TEXT: &str = "stored_text";
    pub const REFERENCE: &str = "reference";
    pub const HYPOTHESIS: &str = "hypothesis";
    pub const SOURCE: &str = "source";
    pub const SPEAKER: &str = "id_speaker";
    pub const DIALECT_GROUP: &str = "dialect_group";
    pub const AGE: &str = "age";
    pub const GENDER: &str = "gender";

    /// `word_hits`, `char_insertions`, ...: one edit count of one level.
    #[must_use]
    pub fn edit_count(level: &str, operation: &str) -> String {
        format!("{level}_{operation}")
    }
}

/// One text column of a result.
type Text = fn(&UtteranceResult) -> Option<String>;
/// One level of a [`PairCounts`] (words or characters).
type Level = fn(&PairCounts) -> EditCounts;
/// One edit operation's count.
type Operation = fn(&EditCounts) -> u64;

/// Per-utterance rows as Parquet bytes.
fn utterances_parquet(evaluation: &Evaluation, counts: &[PairCounts]) -> anyhow::Result<Vec<u8>> {
    let u = &evaluation.utterances;
    let strings = |f: &dyn Fn(&UtteranceResult) -> Option<String>| -> ArrayRef {
        Arc::new(u.iter().map(f).collect::<StringArray>())
    };
    let counts_col = |f: &dyn Fn(&PairCounts) -> u64| -> ArrayRef {
        Arc::new(counts.iter().map(f).collect::<UInt64Array>())
    };
    let mut columns: Vec<(Field, ArrayRef)> = Vec::new();
    let mut push = |name: &str, data_type: DataType, array: ArrayRef| {
        columns.push((Field::new(name, data_type, true), array));
    };
    let texts: [(&str, Text); 6] = [
        (columns::STORED_TEXT, |x| Some(x.stored_text.clone())),
        (columns::REFERENCE, |x| Some(x.reference.clone())),
        (columns::HYPOTHESIS, |x| Some(x.hypothesis.clone())),
        (columns::SOURCE, |x| Some(x.source.clone())),
        (columns::SPEAKER, |x| x.speaker.clone()),
        (columns::DIALECT_GROUP, |x| Some(x.dialect_group.clone())),
    ];
    for (name, text) in texts {
        push(name, DataType::Utf8, strings(&text));
    }
    push(
        columns::AGE,
        DataType::Int64,
        Arc::new(u.iter().map(|x| x.age).collect::<Int64Array>()),
    );
    push(
        columns::GENDER,
        DataType::Utf8,
        strings(&|x| x.gender.clone()),
    );
    let levels: [(&str, Level); 2] = [("word", |c| c.words), ("char", |c| c.chars)];
    let operations: [(&str, Operation); 4] = [
        ("hits", |e| e.hits),
        ("substitutions", |e| e.substitutions),
        ("deletions", |e| e.deletions),
        ("insertions", |e| e.insertions),
    ];
    for (level, pick) in levels {
        for (operation, count) in operations {
            let values = counts_col(&|c| count(&pick(c)));
            push(
                &columns::edit_count(level, operation),
                DataType::UInt64,
                values,
            );
        }
    }
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)?;
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}
