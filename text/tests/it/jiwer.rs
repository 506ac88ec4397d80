//! Parity with jiwer 4.0.0 on the fixture written by
//! `tools/reference/text/gen_jiwer_fixture.py`: identical H/S/D/I on every pair and
//! corpus metrics within 1e-12.

#![allow(
    clippy::unwrap_used,
    reason = "fixtures are generated and trusted; a panic fails the test"
)]

use std::io::{BufRead as _, BufReader};

use dialekt_text::align::EditCounts;
use dialekt_text::metrics::{PairCounts, Scorer, Summary};
use serde_json::Value;

fn counts(value: &Value) -> EditCounts {
    let n = |i: usize| value[i].as_u64().expect("count");
    EditCounts {
        hits: n(0),
        substitutions: n(1),
        deletions: n(2),
        insertions: n(3),
    }
}

fn close(name: &str, ours: f64, theirs: &Value) {
    let theirs = theirs.as_f64().expect("metric");
    assert!(
        (ours - theirs).abs() <= 1e-12,
        "{name}: ours {ours} vs jiwer {theirs}"
    );
}

fn check_summary(summary: &Summary, expected: &Value) {
    close("wer", summary.wer, &expected["wer"]);
    close("mer", summary.mer, &expected["mer"]);
    close("wil", summary.wil, &expected["wil"]);
    close("wip", summary.wip, &expected["wip"]);
    close("cer", summary.cer, &expected["cer"]);
}

#[test]
fn matches_jiwer_on_every_pair_and_every_corpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jiwer_pairs.jsonl.gz"
    );
    let file = std::fs::File::open(path).expect("fixture");
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut scorer = Scorer::new();
    let mut pairs: Vec<PairCounts> = Vec::new();
    let mut summary = None;
    let mut mismatches = Vec::new();
    for line in reader.lines() {
        let record: Value = serde_json::from_str(&line.expect("line")).expect("json");
        if let Some(found) = record.get("summary") {
            summary = Some(found.clone());
            continue;
        }
        let (reference, hypothesis) = (
            record["ref"].as_str().unwrap(),
            record["hyp"].as_str().unwrap(),
        );
        let ours = scorer.pair_counts(reference, hypothesis);
        let theirs = PairCounts {
            words: counts(&record["w"]),
            chars: counts(&record["c"]),
        };
        if ours != theirs {
            mismatches.push((pairs.len(), ours, theirs));
        }
        pairs.push(ours);
    }
    assert!(pairs.len() >= 10_000, "only {} pairs", pairs.len());
    assert!(
        mismatches.is_empty(),
        "{} of {} pairs differ, first: {:?}",
        mismatches.len(),
        pairs.len(),
        &mismatches[..mismatches.len().min(3)]
    );

    let summary = summary.expect("summary line");
    check_summary(&Summary::from_pairs(&pairs), &summary["corpus"]);
    for chunk in summary["chunks"].as_array().unwrap() {
        let (start, end) = (
            chunk["start"].as_u64().unwrap() as usize,
            chunk["end"].as_u64().unwrap() as usize,
        );
        check_summary(&Summary::from_pairs(&pairs[start..end]), chunk);
    }
    let empty: Vec<PairCounts> = summary["empty_ref_indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| pairs[i.as_u64().unwrap() as usize])
        .collect();
    assert!(!empty.is_empty());
    check_summary(&Summary::from_pairs(&empty), &summary["empty_refs"]);
}
