//! One run's artifacts → its [`RunReport`] (and [`FullSeries`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::{Array as _, StringArray};
use dialekt_core::atomic::write_json_atomic;
use dialekt_core::manifest::Manifest;
use dialekt_core::metrics::MetricLine;
use dialekt_core::report::{
    Best, EvalReport, FullSeries, Headline, OVERVIEW_BUCKETS, RunReport, RunSummary,
    SCHEMA_VERSION, Series, StartComparison, downsample,
};
use dialekt_core::store::{MANIFEST_FILE, RunDir};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use dialekt_data::schema::DIALECT_GROUP;

use super::evaluation;
use crate::Error;
use crate::error::During as _;

/// Dev metrics whose best (lowest) value the runs table shows.
const RANKED_METRICS: [&str; 3] = ["wer", "uer", "ctc_loss"];

/// Reads everything the viewer shows of `run`.
///
/// # Errors
/// An unreadable `run.json`, config, metrics log or evaluation (named).
pub fn run_report(run: &RunDir, counts: &DataCounts) -> Result<(RunReport, FullSeries), Error> {
    let record = run.record()?;
    let config = run.config_json()?;
    let manifest = if run.file(MANIFEST_FILE).exists() {
        Some(run.manifest()?)
    } else {
        None
    };
    let lines = run
        .metrics()
        .during(|| format!("reading the metrics of run {}", run.id.short()))?;
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
        job: record.attempts.iter().find_map(|a| a.job.clone()),
    };
    let report = RunReport {
        schema_version: SCHEMA_VERSION,
        summary,
        data_counts: manifest
            .as_ref()
            .map(|m| counts.of(m, &config))
            .unwrap_or_default(),
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

/// One series per `<phase>/<metric>` and per timing value, in key order. A line logged
/// without `elapsed_s` (dev lines of older runs) takes the latest time logged before it.
fn series(lines: &[MetricLine]) -> Vec<Series> {
    let mut by_key: BTreeMap<String, Series> = BTreeMap::new();
    let mut elapsed = 0.0;
    for line in lines {
        elapsed = line.timing.get("elapsed_s").copied().unwrap_or(elapsed);
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
    // The start may have been evaluated only greedily: then the greedy evaluation of the
    // same checkpoint carries the comparison.
    let versus_start = std::iter::once(newest)
        .chain(
            evaluations
                .iter()
                .filter(|e| e.split == newest.split && e.checkpoint_step == newest.checkpoint_step),
        )
        .find_map(|e| {
            let overall = e
                .versus_start
                .as_ref()?
                .iter()
                .find(|d| d.category == "overall")?;
            Some(StartComparison {
                decoder: e.decoder.clone(),
                overall: overall.clone(),
            })
        });
    Some(Headline {
        split: newest.split.clone(),
        wer: overall.wer.estimate,
        cer: overall.cer.estimate,
        versus_start,
    })
}

/// Utterances per split and dialect of a run's data, counted once per data root (cached
/// under the report's `data/counts/`, since a served report rebuilds every few seconds).
#[derive(Debug)]
pub struct DataCounts {
    /// The project root that dataset paths are relative to.
    pub project_root: PathBuf,
    pub cache_dir: PathBuf,
}

type Counts = BTreeMap<String, BTreeMap<String, u64>>;

impl DataCounts {
    /// Per split and `dialect_group` when the prepared data is readable; otherwise rows
    /// per split from the manifest (under the pseudo-dialect `all`).
    fn of(&self, manifest: &Manifest, config: &serde_json::Value) -> Counts {
        let cache = self.cache_dir.join(format!("{}.json", manifest.root));
        if let Some(counts) = fs_err::read(&cache)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        {
            return counts;
        }
        let data_dir = config
            .pointer("/dataset/path")
            .and_then(serde_json::Value::as_str)
            .map(|path| self.project_root.join(path));
        let counts = data_dir
            .and_then(|dir| dialect_counts(manifest, &dir).ok())
            .unwrap_or_else(|| split_counts(manifest));
        if fs_err::create_dir_all(&self.cache_dir).is_ok() {
            // A cache that cannot be written only costs a recount.
            let _ = write_json_atomic(&cache, &counts);
        }
        counts
    }
}

/// The `split=<name>` directory of a Parquet part in the omnilingual layout.
fn split_of(path: &str) -> Option<&str> {
    path.split('/').find_map(|part| part.strip_prefix("split="))
}

/// Rows per split from the manifest's Parquet row counts.
fn split_counts(manifest: &Manifest) -> Counts {
    let mut counts = Counts::new();
    for file in &manifest.files {
        let (Some(rows), Some(split)) = (file.parquet_rows, split_of(&file.path)) else {
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

/// Reads only the `dialect_group` column of every part of the manifest under `data_dir`.
fn dialect_counts(manifest: &Manifest, data_dir: &Path) -> Result<Counts, Error> {
    let mut counts = Counts::new();
    for file in manifest.files.iter().filter(|f| f.parquet_rows.is_some()) {
        let Some(split) = split_of(&file.path) else {
            continue;
        };
        let path = data_dir.join(&file.path);
        let table = |message: String| Error::Table {
            path: path.clone(),
            message,
        };
        let reader = fs_err::File::open(&path)?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(reader.into_parts().0)
            .map_err(|e| table(e.to_string()))?;
        let column = builder
            .schema()
            .index_of(DIALECT_GROUP)
            .map_err(|_| table("no dialect_group column".to_owned()))?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), [column]);
        let batches = builder
            .with_projection(mask)
            .build()
            .map_err(|e| table(e.to_string()))?;
        for batch in batches {
            let batch = batch.map_err(|e| table(e.to_string()))?;
            let dialects = batch
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| table("dialect_group is not text".to_owned()))?;
            let split = counts.entry(split.to_owned()).or_default();
            for i in 0..dialects.len() {
                let dialect = if dialects.is_null(i) || dialects.value(i).is_empty() {
                    "unknown"
                } else {
                    dialects.value(i)
                };
                *split.entry(dialect.to_owned()).or_default() += 1;
            }
        }
    }
    Ok(counts)
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
