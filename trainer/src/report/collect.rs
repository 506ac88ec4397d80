//! One run's artifacts → its [`RunReport`] (and [`FullSeries`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use dialekt_core::metrics::MetricLine;
use dialekt_core::report::{
    Best, EvalReport, FullSeries, Headline, OVERVIEW_BUCKETS, RunReport, RunSummary,
    SCHEMA_VERSION, Series, downsample,
};
use dialekt_core::store::{MANIFEST_FILE, RunDir};

use super::evaluation;

/// Dev metrics whose best (lowest) value the runs table shows.
const RANKED_METRICS: [&str; 3] = ["wer", "uer", "ctc_loss"];

/// Reads everything the viewer shows of `run`.
///
/// # Errors
/// An unreadable `run.json`, config, metrics log or evaluation (named).
pub fn run_report(run: &RunDir) -> anyhow::Result<(RunReport, FullSeries)> {
    let record = run.record()?;
    let config = run.config_json()?;
    let manifest = if run.file(MANIFEST_FILE).exists() {
        Some(run.manifest()?)
    } else {
        None
    };
    let lines = run
        .metrics()
        .with_context(|| format!("reading the metrics of run {}", run.id.short()))?;
    let full = series(&lines);
    let evaluations = evaluation::read_all(&run.path)?;
    let summary = RunSummary {
        id: record.run_id,
        experiment: record.experiment.clone(),
        status: record.latest_attempt().map(|a| a.status),
        step: lines
            .iter()
            .filter(|l| l.phase == "train")
            .map(|l| l.step)
            .max()
            .unwrap_or(0),
        max_steps: config
            .pointer("/regime/num_steps")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
        best: best_values(&lines),
        evaluation: headline(&evaluations),
        started_at: record.attempts.first().map(|a| a.started_at.clone()),
        commit: record.code.commit.clone(),
        dirty: record.code.dirty,
        parent: record.parent_run,
        verdict: record.reproductions.last().map(|r| r.verdict.clone()),
    };
    let report = RunReport {
        schema_version: SCHEMA_VERSION,
        summary,
        data_counts: manifest.as_ref().map(split_counts).unwrap_or_default(),
        record,
        config,
        manifest,
        full_points: full.iter().map(|s| (s.key.clone(), s.len())).collect(),
        series: full
            .iter()
            .map(|s| downsample(s, None, OVERVIEW_BUCKETS))
            .collect(),
        evaluations,
    };
    let full = FullSeries {
        schema_version: SCHEMA_VERSION,
        series: full,
    };
    Ok((report, full))
}

/// One series per `<phase>/<metric>` and per timing value, in key order.
fn series(lines: &[MetricLine]) -> Vec<Series> {
    let mut by_key: BTreeMap<String, Series> = BTreeMap::new();
    for line in lines {
        let elapsed = line.timing.get("elapsed_s").copied().unwrap_or(0.0);
        let entries = line.values.iter().chain(
            line.timing
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "elapsed_s" | "window_s")),
        );
        for (name, value) in entries {
            let key = format!("{}/{name}", line.phase);
            by_key
                .entry(key.clone())
                .or_insert_with(|| Series::new(key))
                .push(line.step, elapsed, *value);
        }
    }
    by_key.into_values().collect()
}

/// The lowest dev value of each ranked metric and its step (the first, on ties).
fn best_values(lines: &[MetricLine]) -> BTreeMap<String, Best> {
    let mut best: BTreeMap<String, Best> = BTreeMap::new();
    for line in lines.iter().filter(|l| l.phase == "valid") {
        for metric in RANKED_METRICS {
            let Some(&value) = line.values.get(metric) else {
                continue;
            };
            let better = best.get(metric).is_none_or(|b| value < b.value);
            if value.is_finite() && better {
                best.insert(
                    metric.to_owned(),
                    Best {
                        value,
                        step: line.step,
                    },
                );
            }
        }
    }
    best
}

/// The newest evaluation's overall CoRal-normalised WER and CER (test split preferred).
fn headline(evaluations: &[EvalReport]) -> Option<Headline> {
    let newest = evaluations
        .iter()
        .filter(|e| e.split == "test")
        .max_by_key(|e| e.checkpoint_step)
        .or_else(|| evaluations.iter().max_by_key(|e| e.checkpoint_step))?;
    let overall = newest.groups.iter().find(|g| g.category == "overall")?;
    Some(Headline {
        split: newest.split.clone(),
        wer: overall.wer.estimate,
        cer: overall.cer.estimate,
    })
}

/// Rows per split of the prepared data (the `split=<name>` directory of each Parquet
/// part, as the omnilingual layout names it), from the manifest's row counts, under the
/// pseudo-dialect `all`.
fn split_counts(
    manifest: &dialekt_core::manifest::Manifest,
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for file in &manifest.files {
        let split = file
            .path
            .split('/')
            .find_map(|part| part.strip_prefix("split="));
        let (Some(rows), Some(split)) = (file.parquet_rows, split) else {
            continue;
        };
        *counts
            .entry(split.to_owned())
            .or_default()
            .entry("all".to_owned())
            .or_default() += rows;
    }
    counts
}

/// Whether a path is one a run report depends on (for the live server's change check).
#[must_use]
pub fn is_report_input(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|name| {
            matches!(
                name,
                "run.json" | "metrics.jsonl" | "report.json" | "utterances.parquet"
            )
        })
}
