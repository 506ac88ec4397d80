//! A run's evaluations (`runs/<id>/eval/<split>-step_<N>/`) for the viewer, and the
//! paired comparison of two runs' evaluations.

use std::path::{Path, PathBuf};

use arrow_array::{Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use dialekt_core::lineage::RunId;
use dialekt_core::report::{
    EvalReport, GroupDelta, GroupScore, PairReport, Rate, SCHEMA_VERSION, WorstUtterance,
    word_edits,
};
use dialekt_text::bootstrap::{self, Unit};
use dialekt_text::groups::Category;
use dialekt_text::io::Meta;
use dialekt_text::normalize::Style;
use dialekt_text::score::{self, Options, System};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;

use crate::Error;
use crate::decoding::DecoderRecord;
use crate::eval::utterances::columns;

fn greedy() -> DecoderRecord {
    DecoderRecord::Greedy
}

/// An evaluation directory's name read back: `<split>-step_<N>` and the decoder's suffix
/// (empty for greedy), or `None` for anything else.
#[must_use]
pub fn parse_eval_dir(name: &str) -> Option<(&str, u64, &str)> {
    let (split, rest) = name.rsplit_once("-step_")?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let step = rest[..digits].parse().ok()?;
    Some((split, step, &rest[digits..]))
}

/// Utterances with the most word errors that a report shows.
const WORST_SHOWN: usize = 20;
/// Resamples of the paired bootstrap between two runs (as `trainer eval` uses).
const RESAMPLES: usize = 1000;

/// The parts of `trainer eval`'s `report.json` the viewer shows. Bounds are `null` in
/// JSON where there is no interval (NaN), hence the options.
#[derive(Debug, Deserialize)]
struct StoredReport {
    split: String,
    checkpoint_step: u64,
    /// Absent in evaluations from before decoders were chosen: greedy.
    #[serde(default = "greedy")]
    decoder: DecoderRecord,
    fairseq2: StoredScores,
    coral_normalized: StoredBreakdown,
}

#[derive(Debug, Deserialize)]
struct StoredScores {
    wer: f64,
    uer: f64,
    ctc_loss: f64,
}

#[derive(Debug, Deserialize)]
struct StoredBreakdown {
    groups: Vec<StoredGroup>,
}

#[derive(Debug, Deserialize)]
struct StoredGroup {
    filters: Vec<(String, Option<String>)>,
    speakers: usize,
    summary: StoredSummary,
    intervals: Option<StoredIntervals>,
}

#[derive(Debug, Deserialize)]
struct StoredSummary {
    utterances: usize,
    wer: Option<f64>,
    cer: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct StoredIntervals {
    wer: StoredInterval,
    cer: StoredInterval,
}

#[derive(Debug, Deserialize)]
struct StoredInterval {
    low: Option<f64>,
    high: Option<f64>,
}

/// One utterance row of `utterances.parquet`.
#[derive(Debug, Clone)]
pub struct UtteranceRow {
    pub source: String,
    pub stored_text: String,
    pub hypothesis: String,
    pub speaker: Option<String>,
    pub dialect: String,
    pub age: Option<i64>,
    pub gender: Option<String>,
    pub word_errors: u64,
    pub reference_words: u64,
}

/// Every evaluation directory of a run, in name order, each paired where its baseline was
/// evaluated too: one decoded otherwise than greedily with the greedy one of its checkpoint
/// and split (what the decoder buys), and one of a trained checkpoint with the same decoding
/// of the run's starting weights, `trainer eval --checkpoint start` (what training buys).
///
/// # Errors
/// An unreadable or malformed `report.json` / `utterances.parquet` (named).
pub fn read_all(run_dir: &Path) -> Result<Vec<EvalReport>, Error> {
    let dirs = eval_dirs(run_dir)?;
    let mut reports = Vec::with_capacity(dirs.len());
    for dir in &dirs {
        let mut report = read_one(dir)?;
        let suffix = dir
            .file_name()
            .and_then(|name| parse_eval_dir(name.to_str()?))
            .map_or("", |(_, _, suffix)| suffix);
        let sibling = |step: u64, suffix: &str| {
            let path = dir.with_file_name(format!("{}-step_{step}{suffix}", report.split));
            path.join("report.json").is_file().then_some(path)
        };
        if !suffix.is_empty()
            && let Some(greedy_dir) = sibling(report.checkpoint_step, "")
        {
            report.versus_greedy = Some(paired_groups(&greedy_dir, dir)?.1);
        }
        if report.checkpoint_step > 0
            && let Some(start_dir) = sibling(0, suffix)
        {
            report.versus_start = Some(paired_groups(&start_dir, dir)?.1);
        }
        reports.push(report);
    }
    Ok(reports)
}

/// `eval/*/` directories holding a `report.json`, in name order.
///
/// # Errors
/// An unreadable `eval/` directory.
pub fn eval_dirs(run_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let root = run_dir.join("eval");
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(&root)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("report.json").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn read_one(dir: &Path) -> Result<EvalReport, Error> {
    let path = dir.join("report.json");
    let stored: StoredReport =
        serde_json::from_slice(&fs_err::read(&path)?).map_err(|e| Error::Table {
            path: path.clone(),
            message: format!("not an evaluation report: {e}"),
        })?;
    let rows = read_utterances(&dir.join("utterances.parquet"))?;
    let mut groups: Vec<GroupScore> = stored
        .coral_normalized
        .groups
        .iter()
        .filter_map(group_score)
        .collect();
    // `trainer eval` lists the pooled group last; the bundle puts it first.
    groups.sort_by_key(|g| g.category != "overall");
    Ok(EvalReport {
        split: stored.split,
        checkpoint_step: stored.checkpoint_step,
        decoder: stored.decoder.label(),
        fairseq2_wer: stored.fairseq2.wer,
        fairseq2_uer: stored.fairseq2.uer,
        ctc_loss: stored.fairseq2.ctc_loss,
        groups,
        worst: worst_utterances(&rows),
        versus_greedy: None,
        versus_start: None,
    })
}

/// `overall` or a single-category group; combinations (dialect × gender) are left to
/// `report.txt`.
fn group_score(group: &StoredGroup) -> Option<GroupScore> {
    let set: Vec<&(String, Option<String>)> =
        group.filters.iter().filter(|(_, v)| v.is_some()).collect();
    let (category, label) = match set.as_slice() {
        [] => ("overall".to_owned(), "all".to_owned()),
        [(category, Some(label))] => (category.clone(), label.clone()),
        _ => return None,
    };
    // Stored as fractions; the bundle speaks percent throughout.
    let rate = |estimate: Option<f64>, interval: Option<&StoredInterval>| Rate {
        estimate: estimate.map_or(f64::NAN, percent),
        low: interval.and_then(|i| i.low).map(percent),
        high: interval.and_then(|i| i.high).map(percent),
    };
    Some(GroupScore {
        category,
        label,
        utterances: group.summary.utterances,
        speakers: group.speakers,
        wer: rate(group.summary.wer, group.intervals.as_ref().map(|i| &i.wer)),
        cer: rate(group.summary.cer, group.intervals.as_ref().map(|i| &i.cer)),
    })
}

/// The utterances with the most word errors (CoRal-normalised), worst first, ties by source.
fn worst_utterances(rows: &[UtteranceRow]) -> Vec<WorstUtterance> {
    let mut order: Vec<&UtteranceRow> = rows.iter().filter(|r| r.word_errors > 0).collect();
    order.sort_by(|a, b| {
        b.word_errors
            .cmp(&a.word_errors)
            .then_with(|| a.source.cmp(&b.source))
    });
    order
        .into_iter()
        .take(WORST_SHOWN)
        .map(|row| WorstUtterance {
            source: row.source.clone(),
            dialect: row.dialect.clone(),
            word_errors: row.word_errors,
            reference_words: row.reference_words,
            edits: word_edits(
                &Style::Coral.apply(&row.stored_text),
                &Style::Coral.apply(&row.hypothesis),
            ),
        })
        .collect()
}

/// The rows of an `utterances.parquet` written by `trainer eval`.
///
/// # Errors
/// A missing file or column (named).
pub fn read_utterances(path: &Path) -> Result<Vec<UtteranceRow>, Error> {
    let table = |message: String| Error::Table {
        path: path.to_owned(),
        message,
    };
    let file = fs_err::File::open(path)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file.into_parts().0)
        .and_then(|builder| builder.build())
        .map_err(|e| table(format!("not Parquet: {e}")))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| table(e.to_string()))?;
        let text = |name: &str| column::<StringArray>(&batch, name, path);
        let count = |name: &str| column::<UInt64Array>(&batch, name, path);
        let (source, stored, hypothesis) = (
            text(columns::SOURCE)?,
            text(columns::STORED_TEXT)?,
            text(columns::HYPOTHESIS)?,
        );
        let (speaker, dialect, gender) = (
            text(columns::SPEAKER)?,
            text(columns::DIALECT_GROUP)?,
            text(columns::GENDER)?,
        );
        let age = column::<Int64Array>(&batch, columns::AGE, path)?;
        let word = |operation: &str| count(&columns::edit_count("word", operation));
        let (subs, dels, ins, hits) = (
            word("substitutions")?,
            word("deletions")?,
            word("insertions")?,
            word("hits")?,
        );
        for i in 0..batch.num_rows() {
            let value =
                |column: &StringArray| (!column.is_null(i)).then(|| column.value(i).to_owned());
            rows.push(UtteranceRow {
                source: value(source).unwrap_or_default(),
                stored_text: value(stored).unwrap_or_default(),
                hypothesis: value(hypothesis).unwrap_or_default(),
                speaker: value(speaker),
                dialect: value(dialect).unwrap_or_default(),
                age: (!age.is_null(i)).then(|| age.value(i)),
                gender: value(gender),
                word_errors: subs.value(i) + dels.value(i) + ins.value(i),
                reference_words: hits.value(i) + subs.value(i) + dels.value(i),
            });
        }
    }
    Ok(rows)
}

/// Column `name` of `batch` as array type `A`, or an error naming the file.
fn column<'a, A: Array + 'static>(
    batch: &'a RecordBatch,
    name: &str,
    path: &Path,
) -> Result<&'a A, Error> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<A>())
        .ok_or_else(|| Error::Table {
            path: path.to_owned(),
            message: format!("no column `{name}` of type {}", std::any::type_name::<A>()),
        })
}

/// Run `b` against run `a` on the utterances both decoded (matched by source and stored
/// text): CoRal-normalised WER per dialect with the speaker-clustered paired bootstrap.
///
/// # Errors
/// Unreadable evaluations, or no utterance in common.
pub fn pair_report(
    (a, a_dir): (RunId, &Path),
    (b, b_dir): (RunId, &Path),
    split: &str,
) -> Result<PairReport, Error> {
    let (utterances, groups) = paired_groups(a_dir, b_dir)?;
    Ok(PairReport {
        schema_version: SCHEMA_VERSION,
        a,
        b,
        split: split.to_owned(),
        utterances,
        groups,
    })
}

/// Evaluation `b_dir` against `a_dir` on their common utterances: how many, and the WER
/// deltas (`b − a`), overall first, then per dialect.
///
/// # Errors
/// Unreadable evaluations, or no utterance in common.
pub fn paired_groups(a_dir: &Path, b_dir: &Path) -> Result<(usize, Vec<GroupDelta>), Error> {
    let a_rows = read_utterances(&a_dir.join("utterances.parquet"))?;
    let b_rows = read_utterances(&b_dir.join("utterances.parquet"))?;
    let b_by_key: std::collections::BTreeMap<(&str, &str), &UtteranceRow> = b_rows
        .iter()
        .map(|r| ((r.source.as_str(), r.stored_text.as_str()), r))
        .collect();
    let matched: Vec<(&UtteranceRow, &UtteranceRow)> = a_rows
        .iter()
        .filter_map(|r| {
            Some((
                r,
                *b_by_key.get(&(r.source.as_str(), r.stored_text.as_str()))?,
            ))
        })
        .collect();
    if matched.is_empty() {
        return Err(Error::Mismatch(format!(
            "{} and {}: no utterance in common",
            a_dir.display(),
            b_dir.display()
        )));
    }
    let references: Vec<String> = matched.iter().map(|(r, _)| r.stored_text.clone()).collect();
    let a_hyps: Vec<String> = matched.iter().map(|(r, _)| r.hypothesis.clone()).collect();
    let b_hyps: Vec<String> = matched.iter().map(|(_, r)| r.hypothesis.clone()).collect();
    let meta: Vec<Meta> = matched
        .iter()
        .map(|(r, _)| Meta::of_utterance(r.speaker.clone(), &r.dialect, r.age, r.gender.clone()))
        .collect();
    let options = Options {
        normalize: Some(Style::Coral),
        by: vec![Category::Dialect],
        bootstrap: Some(bootstrap::Config {
            resamples: RESAMPLES,
            seed: 0,
            level: 0.95,
            unit: Unit::Speaker,
        }),
    };
    let report = score::score(
        &references,
        System {
            name: "a",
            hypotheses: &a_hyps,
        },
        Some(System {
            name: "b",
            hypotheses: &b_hyps,
        }),
        Some(&meta),
        None,
        &options,
    );
    let finite = |x: f64| x.is_finite().then_some(percent(x));
    let mut groups: Vec<GroupDelta> = report
        .groups
        .iter()
        .filter_map(|g| {
            let label = g.filters.iter().find_map(|(_, v)| v.clone());
            let (other, difference) = (g.other?, g.difference?);
            Some(GroupDelta {
                category: if label.is_some() {
                    "dialect"
                } else {
                    "overall"
                }
                .to_owned(),
                label: label.unwrap_or_else(|| "all".to_owned()),
                utterances: g.summary.utterances,
                a_wer: percent(g.summary.wer),
                b_wer: percent(other.wer),
                delta: percent(difference.wer.delta),
                low: finite(difference.wer.low),
                high: finite(difference.wer.high),
                p_value: difference
                    .wer
                    .p_value
                    .is_finite()
                    .then_some(difference.wer.p_value),
            })
        })
        .collect();
    // Overall first, as in the evaluation tables.
    groups.sort_by_key(|g| g.category != "overall");
    Ok((matched.len(), groups))
}

fn percent(fraction: f64) -> f64 {
    100.0 * fraction
}
