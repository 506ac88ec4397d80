//! A scoring run: normalise, align, pool per group, bootstrap, and render.
//!
//! This is the library half of `trainer score`; the CLI only reads files and prints.

use std::fmt::Write as _;

use serde::Serialize;

use crate::align::EditCounts;
use crate::bootstrap::{self, Differences, Intervals};
use crate::groups::{self, Category, Labels};
use crate::io::Meta;
use crate::metrics::{PairCounts, Scorer, Summary, error_rate};
use crate::normalize::Style;
use crate::tokenizer::Tokenizer;

#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// Applied to references and hypotheses alike.
    pub normalize: Option<Style>,
    /// Group combinations to report, as CoRal's `get_score_df` (empty: overall only).
    pub by: Vec<Category>,
    /// `None`: point estimates only.
    pub bootstrap: Option<bootstrap::Config>,
}

/// Unit error rate over token ids, as fairseq2's `WerMetric` reports next to WER: both
/// sides (after normalisation) are encoded with the tokenizer and aligned as id sequences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitErrors {
    pub units: EditCounts,
    pub uer: f64,
}

/// One system's transcripts.
#[derive(Debug, Clone, Copy)]
pub struct System<'a> {
    pub name: &'a str,
    pub hypotheses: &'a [String],
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub group: String,
    pub filters: Vec<(Category, Option<String>)>,
    /// Distinct known `id_speaker` values (0 without metadata).
    pub speakers: usize,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_errors: Option<UnitErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Intervals>,
    /// The comparison system on the same utterances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<Summary>,
    /// `other − this` with paired-bootstrap interval and p-value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<Differences>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub system: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_system: Option<String>,
    pub options: Options,
    pub groups: Vec<GroupReport>,
    /// Per-utterance counts of the main system, in input order.
    pub utterances: Vec<PairCounts>,
}

/// Normalise and align every pair of `hypotheses` against `references`.
pub fn pair_counts(
    references: &[String],
    hypotheses: &[String],
    normalize: Option<Style>,
) -> Vec<PairCounts> {
    let mut scorer = Scorer::new();
    references
        .iter()
        .zip(hypotheses)
        .map(|(reference, hypothesis)| match normalize {
            Some(style) => scorer.pair_counts(&style.apply(reference), &style.apply(hypothesis)),
            None => scorer.pair_counts(reference, hypothesis),
        })
        .collect()
}

/// Score `system` (and optionally compare `other` with it). All slices must have the
/// same length as `references`; the CLI checks this with file names first.
pub fn score(
    references: &[String],
    system: System<'_>,
    other: Option<System<'_>>,
    meta: Option<&[Meta]>,
    tokenizer: Option<&Tokenizer>,
    options: &Options,
) -> Report {
    let pairs = pair_counts(references, system.hypotheses, options.normalize);
    let units = tokenizer
        .map(|tokenizer| unit_counts(references, system.hypotheses, options.normalize, tokenizer));
    let other_pairs = other.map(|o| pair_counts(references, o.hypotheses, options.normalize));
    let labels: Vec<Labels> = match meta {
        Some(meta) => meta.iter().map(|m| m.labels.clone()).collect(),
        None => vec![Labels::default(); references.len()],
    };
    let speaker_ids: Vec<Option<String>> = match meta {
        Some(meta) => meta.iter().map(|m| m.speaker.clone()).collect(),
        None => vec![None; references.len()],
    };
    let speakers = groups::speaker_clusters(&speaker_ids);
    let groups = groups::combinations(&labels, &options.by);
    let reports = groups
        .into_iter()
        .map(|group| {
            let name = group.name();
            let stream = bootstrap::stream_key(&name);
            // Known speakers only: utterances without an id are their own bootstrap
            // cluster but not a speaker.
            let mut distinct: Vec<usize> = group
                .members
                .iter()
                .filter(|&&i| speaker_ids[i].is_some())
                .map(|&i| speakers[i])
                .collect();
            distinct.sort_unstable();
            distinct.dedup();
            GroupReport {
                summary: Summary::from_pairs(group.members.iter().map(|&i| &pairs[i])),
                unit_errors: units.as_ref().map(|units| {
                    let units: EditCounts = group.members.iter().map(|&i| units[i]).sum();
                    UnitErrors {
                        units,
                        uer: error_rate(&units),
                    }
                }),
                intervals: options.bootstrap.map(|config| {
                    bootstrap::intervals(&pairs, &group.members, Some(&speakers), &config, stream)
                }),
                other: other_pairs
                    .as_ref()
                    .map(|o| Summary::from_pairs(group.members.iter().map(|&i| &o[i]))),
                difference: other_pairs.as_ref().and_then(|o| {
                    options.bootstrap.map(|config| {
                        bootstrap::paired(
                            &pairs,
                            o,
                            &group.members,
                            Some(&speakers),
                            &config,
                            stream,
                        )
                    })
                }),
                speakers: distinct.len(),
                group: name,
                filters: group.filters,
            }
        })
        .collect();
    Report {
        system: system.name.to_owned(),
        other_system: other.map(|o| o.name.to_owned()),
        options: options.clone(),
        groups: reports,
        utterances: pairs,
    }
}

/// Token-id counts per utterance for UER.
pub fn unit_counts(
    references: &[String],
    hypotheses: &[String],
    normalize: Option<Style>,
    tokenizer: &Tokenizer,
) -> Vec<EditCounts> {
    let mut scorer = Scorer::new();
    let encode = |text: &str| match normalize {
        Some(style) => tokenizer.encode(&style.apply(text)),
        None => tokenizer.encode(text),
    };
    references
        .iter()
        .zip(hypotheses)
        .map(|(reference, hypothesis)| scorer.token_counts(&encode(reference), &encode(hypothesis)))
        .collect()
}

/// A confidence interval as `[low, high]` in percent.
fn interval_text(low: f64, high: f64) -> String {
    format!("[{}, {}]", percent(low), percent(high))
}

fn percent(value: f64) -> String {
    if value.is_nan() {
        "n/a".to_owned()
    } else {
        format!("{:.2}", 100.0 * value)
    }
}

/// A plain-text table: one row per group, rates in percent. WER/CER are jiwer's; MER and
/// cMER are CoRal's current "WER"/"CER" (errors over errors plus hits).
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let ci = report
        .options
        .bootstrap
        .map(|c| format!("{:.0}% CI", 100.0 * c.level));
    let width = report
        .groups
        .iter()
        .map(|g| g.group.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = write!(
        out,
        "{:<width$}  {:>6} {:>5} {:>7} {:>7}",
        "group", "utts", "spk", "words", "WER%"
    );
    if let Some(ci) = &ci {
        let _ = write!(out, " {:>15}", ci);
    }
    let _ = write!(out, " {:>7} {:>7}", "MER%", "CER%");
    if let Some(ci) = &ci {
        let _ = write!(out, " {:>15}", ci);
    }
    let _ = write!(out, " {:>7}", "cMER%");
    let with_units = report
        .groups
        .first()
        .is_some_and(|g| g.unit_errors.is_some());
    if with_units {
        let _ = write!(out, " {:>7}", "UER%");
    }
    if report.other_system.is_some() {
        let _ = write!(out, " {:>8} {:>8}", "ΔWER%", "ΔCER%");
        if report.options.bootstrap.is_some() {
            let _ = write!(out, " {:>7} {:>7}", "p(WER)", "p(CER)");
        }
    }
    out.push('\n');
    for group in &report.groups {
        let s = &group.summary;
        let _ = write!(
            out,
            "{:<width$}  {:>6} {:>5} {:>7} {:>7}",
            group.group,
            s.utterances,
            group.speakers,
            s.words.ref_len(),
            percent(s.wer)
        );
        if let Some(intervals) = &group.intervals {
            let _ = write!(
                out,
                " {:>15}",
                interval_text(intervals.wer.low, intervals.wer.high)
            );
        }
        let _ = write!(out, " {:>7} {:>7}", percent(s.mer), percent(s.cer));
        if let Some(intervals) = &group.intervals {
            let _ = write!(
                out,
                " {:>15}",
                interval_text(intervals.cer.low, intervals.cer.high)
            );
        }
        let _ = write!(out, " {:>7}", percent(s.char_mer));
        if let Some(units) = &group.unit_errors {
            let _ = write!(out, " {:>7}", percent(units.uer));
        }
        if let Some(other) = &group.other {
            let _ = write!(
                out,
                " {:>+8.2} {:>+8.2}",
                100.0 * (other.wer - s.wer),
                100.0 * (other.cer - s.cer)
            );
            if let Some(difference) = &group.difference {
                let _ = write!(
                    out,
                    " {:>7.4} {:>7.4}",
                    difference.wer.p_value, difference.cer.p_value
                );
            }
        }
        out.push('\n');
    }
    if let Some(other) = &report.other_system {
        let _ = writeln!(
            out,
            "Δ = {other} − {}; p: two-sided paired bootstrap",
            report.system
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::Config;
    use crate::groups::Labels;

    fn meta(speaker: &str, dialect: &str) -> Meta {
        Meta {
            speaker: Some(speaker.to_owned()),
            labels: Labels {
                dialect: Some(dialect.to_owned()),
                ..Labels::default()
            },
        }
    }

    #[test]
    fn groups_and_table() {
        let references: Vec<String> = ["en to tre", "fire fem", "seks", "syv otte"]
            .map(String::from)
            .to_vec();
        let hypotheses: Vec<String> = ["en to tre", "fire", "seks", "syv nu otte"]
            .map(String::from)
            .to_vec();
        let other: Vec<String> = ["en", "fire", "sex", "syv"].map(String::from).to_vec();
        let meta = [
            meta("a", "Fynsk"),
            meta("a", "Fynsk"),
            meta("b", "Vestjysk"),
            meta("c", "Vestjysk"),
        ];
        let options = Options {
            normalize: Some(Style::Coral),
            by: vec![Category::Dialect],
            bootstrap: Some(Config {
                resamples: 100,
                ..Config::default()
            }),
        };
        let report = score(
            &references,
            System {
                name: "a",
                hypotheses: &hypotheses,
            },
            Some(System {
                name: "b",
                hypotheses: &other,
            }),
            Some(&meta),
            None,
            &options,
        );
        let names: Vec<&str> = report.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["dialect=Fynsk", "dialect=Vestjysk", "all"]);
        let all = &report.groups[2];
        assert_eq!((all.summary.utterances, all.speakers), (4, 3));
        assert_eq!(all.summary.wer, 2.0 / 8.0);
        let table = render_table(&report);
        assert!(
            table.contains("dialect=Vestjysk") && table.contains("25.00"),
            "{table}"
        );
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"p_value\""));
    }
}
