//! The report bundle: what `trainer report build` writes and the browser viewer reads.
//!
//! The trainer's artifacts (`run.json`, `metrics.jsonl`, `eval/*/report.json`, Parquet)
//! are aggregated natively into these compact, versioned JSON documents, so the wasm
//! viewer never parses Parquet or long logs and never re-derives a number:
//!
//! - `data/index.json` — [`Index`]: one [`RunSummary`] per run, for the runs table;
//! - `data/runs/<id>.json` — [`RunReport`]: lineage, curves downsampled to an overview,
//!   and evaluations with confidence intervals and the worst utterances;
//! - `data/series/<id>.json` — [`FullSeries`]: every logged point, fetched on zoom;
//! - `data/pairs/<a>_<b>.json` — [`PairReport`]: per-dialect WER deltas of two runs on
//!   the same utterances, with the paired-bootstrap test.
//!
//! The pure computations the viewer repeats on interaction (downsampling, smoothing)
//! live here too, so they are tested natively and behave identically in both places.

mod downsample;
mod edits;
mod smooth;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use downsample::{downsample, steps_within_elapsed};
pub use edits::{Edit, word_edits};
pub use smooth::ema;

use crate::lineage::{AttemptStatus, RunId, RunRecord, Verdict};
use crate::manifest::Manifest;

/// Bumped on any incompatible change; the viewer refuses other versions by name.
pub const SCHEMA_VERSION: u32 = 1;

/// Points per series in a run's overview: enough for a full-width chart, small enough
/// that ten runs of six metrics load and draw in well under a second.
pub const OVERVIEW_BUCKETS: usize = 500;

/// `data/index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub schema_version: u32,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// Changes whenever any run's data changed; the served viewer polls it to refresh.
    pub generation: String,
    /// Whether a `trainer report serve` keeps this bundle current (the viewer then polls).
    pub live: bool,
    pub runs: Vec<RunSummary>,
    /// Run pairs with a common evaluation, as `(a, b)` with `a < b`: `pairs/<a>_<b>.json`.
    pub pairs: Vec<(RunId, RunId)>,
}

/// One row of the runs table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub experiment: String,
    pub status: Option<AttemptStatus>,
    /// The last logged training step.
    pub step: u64,
    pub max_steps: u64,
    /// The best dev value of each scored metric (`wer`, `uer`, …), lowest first.
    pub best: BTreeMap<String, Best>,
    /// Test/dev evaluation headline: CoRal-normalised WER and CER of the newest evaluation.
    pub evaluation: Option<Headline>,
    /// RFC 3339 UTC start of the first attempt.
    pub started_at: Option<String>,
    pub commit: Option<String>,
    pub dirty: bool,
    pub parent: Option<RunId>,
    /// The newest reproduction verdict.
    pub verdict: Option<Verdict>,
    /// The scheduler job it ran in (`trainer submit`), e.g. `12345_2` for element 2 of
    /// sweep 12345.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

/// A best value and where it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Best {
    pub value: f64,
    pub step: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub split: String,
    pub wer: f64,
    pub cer: f64,
    /// Overall, against the run's starting weights (zero-shot, step 0) where they were
    /// evaluated on the same split: what fine-tuning bought, with its paired test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versus_start: Option<StartComparison>,
}

/// A headline's overall WER against the zero-shot evaluation of the run's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartComparison {
    /// How both were decoded (`greedy`, `beam 100 + …`).
    pub decoder: String,
    pub overall: GroupDelta,
}

/// `data/runs/<id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub summary: RunSummary,
    pub record: RunRecord,
    /// The resolved experiment, as hashed into the run id.
    pub config: serde_json::Value,
    /// `None` when the run's `manifest.json` is missing.
    pub manifest: Option<Manifest>,
    /// Utterances per split and dialect, when the prepared data was readable.
    pub data_counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// Every logged metric, downsampled to [`OVERVIEW_BUCKETS`] with extremes kept.
    pub series: Vec<Series>,
    /// The number of points each series has at full resolution.
    pub full_points: BTreeMap<String, usize>,
    pub evaluations: Vec<EvalReport>,
}

/// `data/series/<id>.json`: every logged point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullSeries {
    pub schema_version: u32,
    pub series: Vec<Series>,
}

/// One metric of one phase over a run, in columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// `<phase>/<metric>`, e.g. `train/ctc_loss`, `valid/wer/dialect=fynsk`.
    pub key: String,
    pub step: Vec<u64>,
    /// Seconds since the attempt started (the latest time logged, for a line without one).
    pub elapsed_s: Vec<f64>,
    pub value: Vec<f64>,
}

impl Series {
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            ..Self::default()
        }
    }

    pub fn push(&mut self, step: u64, elapsed_s: f64, value: f64) {
        self.step.push(step);
        self.elapsed_s.push(elapsed_s);
        self.value.push(value);
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.step.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.step.is_empty()
    }
}

/// One evaluation (`trainer eval`, or `trainer run --eval`) of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub split: String,
    pub checkpoint_step: u64,
    /// How the hypotheses were decoded, for people (`greedy`, `beam 100 + 3-gram LM
    /// (α 0.5, β 1.5)`); evaluations from before decoders were chosen were greedy.
    #[serde(default = "greedy")]
    pub decoder: String,
    /// fairseq2's metrics on the model's own target text.
    pub fairseq2_wer: f64,
    pub fairseq2_uer: f64,
    pub ctc_loss: f64,
    /// CoRal-normalised scores: overall first, then per category.
    pub groups: Vec<GroupScore>,
    /// The utterances with the most word errors, worst first.
    pub worst: Vec<WorstUtterance>,
    /// For a decoder other than greedy: it (`b`) against the greedy evaluation (`a`) of the
    /// same checkpoint and split, per dialect with the paired bootstrap over speakers —
    /// what the LM buys. `None` for greedy, or where greedy was not evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versus_greedy: Option<Vec<GroupDelta>>,
    /// For a trained checkpoint: it (`b`) against the run's starting weights (`a`: the
    /// zero-shot evaluation, step 0) on the same split and decoder, per dialect with the
    /// paired bootstrap over speakers — what fine-tuning buys. `None` where the start was
    /// not evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versus_start: Option<Vec<GroupDelta>>,
}

fn greedy() -> String {
    "greedy".to_owned()
}

/// Scores of one group (`overall`, or one label of a category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    /// `overall`, `dialect`, `age_group` or `gender`.
    pub category: String,
    pub label: String,
    pub utterances: usize,
    pub speakers: usize,
    pub wer: Rate,
    pub cer: Rate,
}

/// A rate in percent with its 95 % bootstrap interval (`None` where there is none: a single
/// speaker, or bootstrap off).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub estimate: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A badly recognised utterance and its word alignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstUtterance {
    pub source: String,
    pub dialect: String,
    pub word_errors: u64,
    pub reference_words: u64,
    pub edits: Vec<Edit>,
}

/// `data/pairs/<a>_<b>.json`: run `b` against run `a` on the utterances both decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairReport {
    pub schema_version: u32,
    pub a: RunId,
    pub b: RunId,
    pub split: String,
    /// Utterances matched by source and reference text.
    pub utterances: usize,
    pub groups: Vec<GroupDelta>,
}

/// `b − a` in one group (WER in percent), with the paired bootstrap's interval and p-value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDelta {
    pub category: String,
    pub label: String,
    pub utterances: usize,
    pub a_wer: f64,
    pub b_wer: f64,
    pub delta: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub p_value: Option<f64>,
}

impl GroupDelta {
    /// Significant at the 5 % level: the interval excludes zero.
    #[must_use]
    pub fn significant(&self) -> bool {
        matches!((self.low, self.high), (Some(low), Some(high)) if low > 0.0 || high < 0.0)
    }
}

/// The file name of a run pair's report, with the pair ordered.
#[must_use]
pub fn pair_file(a: &RunId, b: &RunId) -> String {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    format!("pairs/{a}_{b}.json")
}
