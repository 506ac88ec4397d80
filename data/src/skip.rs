//! The skip report: utterances `data prepare` dropped, and why.
//!
//! A corpus of 300 000 recordings always has a few broken ones; aborting on the
//! first would make preparation unrepeatable, silently dropping them would make
//! it untrustworthy. Each skip is recorded with its shard and row, stored in the
//! part's footer (so a resumed run rebuilds the same report) and summed up in
//! `skip_report.json` at the output root.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// File name of the report at the prepared root.
pub const SKIP_REPORT_FILE: &str = "skip_report.json";

/// Why an utterance was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// `text` is null or only whitespace.
    EmptyText,
    /// `audio` is null or has no bytes.
    MissingAudio,
    /// The audio bytes could not be decoded (garbage, truncated, bad header).
    UndecodableAudio,
    /// CoRal's own validation marked the recording `rejected`.
    Rejected,
}

/// One skipped utterance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkipEntry {
    /// Shard path relative to the CoRal root.
    pub file: String,
    pub row: usize,
    pub kind: SkipKind,
    /// Human-readable detail (the decoder's message).
    pub reason: String,
}

/// All skips of a prepared corpus, sorted by file and row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipReport {
    pub total: usize,
    pub by_kind: BTreeMap<SkipKind, usize>,
    pub entries: Vec<SkipEntry>,
}

impl SkipReport {
    /// Builds a report from entries in any order.
    #[must_use]
    pub fn from_entries(mut entries: Vec<SkipEntry>) -> Self {
        entries.sort();
        let mut by_kind = BTreeMap::new();
        for entry in &entries {
            *by_kind.entry(entry.kind).or_insert(0) += 1;
        }
        Self {
            total: entries.len(),
            by_kind,
            entries,
        }
    }
}
