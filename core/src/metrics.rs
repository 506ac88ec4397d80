//! The metrics log, `metrics.jsonl`: one JSON object per line, chained by hashes.
//!
//! Each line carries two hashes:
//! * `prev_line`: SHA-256 of the previous line's exact bytes. Editing, deleting or
//!   reordering any line breaks the chain at the next line; the last line is covered by
//!   the chain head kept beside the log ([`ChainHead`]).
//! * `chain`: a running hash of only the *deterministic* content (step, phase, values),
//!   not the timings. Two runs that computed the same numbers have the same `chain` at
//!   every step even though their wall-clock times differ: `reproduce` compares these
//!   to find the first step where two runs diverge.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ContentHash;
use crate::hash::canonical_json;

/// One line of the metrics log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricLine {
    /// Optimizer step the values belong to.
    pub step: u64,
    /// `train`, `valid`, `eval`...
    pub phase: String,
    /// Deterministic values (loss, lr, grad norm, WER...).
    pub values: BTreeMap<String, f64>,
    /// Non-deterministic measurements (wall time, throughput, memory). Not in `chain`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timing: BTreeMap<String, f64>,
    pub chain: ContentHash,
    pub prev_line: ContentHash,
}

/// The state after the last line: what the next line links to, and what a verifier
/// compares the end of the log with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub lines: u64,
    /// `chain` of the last line (zeros when empty).
    pub chain: ContentHash,
    /// SHA-256 of the last line's bytes (zeros when empty).
    pub last_line: ContentHash,
}

impl Default for ChainHead {
    fn default() -> Self {
        Self {
            lines: 0,
            chain: ContentHash([0; 32]),
            last_line: ContentHash([0; 32]),
        }
    }
}

impl ChainHead {
    /// Builds the next line and its text (without newline), advancing the head.
    #[must_use]
    pub fn append(
        &mut self,
        step: u64,
        phase: &str,
        values: BTreeMap<String, f64>,
        timing: BTreeMap<String, f64>,
    ) -> (MetricLine, String) {
        let chain = next_chain(&self.chain, step, phase, &values);
        let line = MetricLine {
            step,
            phase: phase.to_owned(),
            values,
            timing,
            chain,
            prev_line: self.last_line,
        };
        // Plain structs of strings and finite numbers always serialise.
        let text = serde_json::to_string(&line).unwrap_or_default();
        *self = Self {
            lines: self.lines + 1,
            chain,
            last_line: ContentHash::of_bytes(text.as_bytes()),
        };
        (line, text)
    }
}

fn next_chain(
    prev: &ContentHash,
    step: u64,
    phase: &str,
    values: &BTreeMap<String, f64>,
) -> ContentHash {
    let content = serde_json::json!({ "step": step, "phase": phase, "values": values });
    let text = format!("{prev}\n{}", canonical_json(&content));
    ContentHash::tagged("dialekt/metrics/v1", text.as_bytes())
}

/// What is wrong with a metrics log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("line {line}: not a metrics record: {message}")]
    Malformed { line: u64, message: String },
    #[error("line {line}: does not follow line {} (it was edited, removed or reordered)", line - 1)]
    BrokenLink { line: u64 },
    #[error("line {line}: its values do not match its chain hash (the line was edited)")]
    ValuesEdited { line: u64 },
    #[error(
        "the log ends at line {found} but the recorded head says {expected} lines (lines were removed or the last line edited)"
    )]
    HeadMismatch { expected: u64, found: u64 },
}

/// Verifies every link of a log's text and, when given, its head.
///
/// # Errors
/// The first [`ChainError`] found, naming its 1-based line.
pub fn verify(
    text: &str,
    expected_head: Option<&ChainHead>,
) -> Result<(Vec<MetricLine>, ChainHead), ChainError> {
    let mut head = ChainHead::default();
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let line: MetricLine = serde_json::from_str(raw).map_err(|e| ChainError::Malformed {
            line: number,
            message: e.to_string(),
        })?;
        if line.prev_line != head.last_line {
            return Err(ChainError::BrokenLink { line: number });
        }
        if line.chain != next_chain(&head.chain, line.step, &line.phase, &line.values) {
            return Err(ChainError::ValuesEdited { line: number });
        }
        head = ChainHead {
            lines: number,
            chain: line.chain,
            last_line: ContentHash::of_bytes(raw.as_bytes()),
        };
        lines.push(line);
    }
    if let Some(expected) = expected_head
        && *expected != head
    {
        return Err(ChainError::HeadMismatch {
            expected: expected.lines,
            found: head.lines,
        });
    }
    Ok((lines, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: u64) -> (String, ChainHead) {
        let mut head = ChainHead::default();
        let mut text = String::new();
        for step in 1..=n {
            let values = BTreeMap::from([("loss".to_owned(), 1.0 / step as f64)]);
            let timing = BTreeMap::from([("wall_time".to_owned(), step as f64 * 0.1)]);
            let (_, line) = head.append(step, "train", values, timing);
            text.push_str(&line);
            text.push('\n');
        }
        (text, head)
    }

    #[test]
    fn an_untouched_log_verifies() {
        let (text, head) = log(5);
        let (lines, found) = verify(&text, Some(&head)).unwrap();
        assert_eq!(lines.len(), 5);
        assert_eq!(found, head);
    }

    #[test]
    fn editing_a_value_is_caught_at_that_line() {
        let (text, head) = log(5);
        let tampered = text.replacen("\"loss\":0.5", "\"loss\":0.4", 1);
        assert_ne!(tampered, text);
        assert_eq!(
            verify(&tampered, Some(&head)).unwrap_err(),
            ChainError::ValuesEdited { line: 2 }
        );
    }

    #[test]
    fn editing_a_timing_breaks_the_next_link_or_the_head() {
        let (text, head) = log(3);
        let tampered = text.replacen("\"wall_time\":0.1", "\"wall_time\":0.2", 1);
        assert_eq!(
            verify(&tampered, Some(&head)).unwrap_err(),
            ChainError::BrokenLink { line: 2 }
        );
        let last = text.replacen("\"wall_time\":0.30000000000000004", "\"wall_time\":9.0", 1);
        assert_ne!(last, text);
        assert!(matches!(
            verify(&last, Some(&head)).unwrap_err(),
            ChainError::HeadMismatch { .. }
        ));
    }

    #[test]
    fn dropping_the_last_line_is_caught_by_the_head() {
        let (text, head) = log(3);
        let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        assert!(matches!(
            verify(&cut, Some(&head)).unwrap_err(),
            ChainError::HeadMismatch {
                expected: 3,
                found: 2
            }
        ));
    }

    #[test]
    fn chains_ignore_timings() {
        let mut a = ChainHead::default();
        let mut b = ChainHead::default();
        let v = BTreeMap::from([("loss".to_owned(), 2.0)]);
        let _ = a.append(
            1,
            "train",
            v.clone(),
            BTreeMap::from([("wall_time".to_owned(), 1.0)]),
        );
        let _ = b.append(
            1,
            "train",
            v,
            BTreeMap::from([("wall_time".to_owned(), 7.0)]),
        );
        assert_eq!(a.chain, b.chain);
        assert_ne!(a.last_line, b.last_line);
    }
}
