//! Parity with the Python reference normalisers, on fixtures written by
//! `tools/reference/text/gen_coral_fixture.py` (CoRal's own `process_example` and
//! `convert_numeral_to_words`) and `gen_omniasr_fixture.py` (omnilingual-asr's
//! `text_normalize`).

#![allow(
    clippy::unwrap_used,
    reason = "fixtures are generated and trusted; a panic fails the test"
)]

use std::io::{BufRead as _, BufReader};

use dialekt_text::normalize::{coral, numerals, omniasr};
use serde_json::Value;

fn records(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).expect("fixture");
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|line| serde_json::from_str(&line.expect("line")).expect("json"))
        .collect()
}

fn check(name: &str, kind: &str, min: usize, normalise: impl Fn(&str) -> String) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for record in records(name).iter().filter(|r| r["kind"] == kind) {
        let (input, expected) = (
            record["input"].as_str().unwrap(),
            record["expected"].as_str().unwrap(),
        );
        let ours = normalise(input);
        if ours != expected {
            failures.push(format!(
                "{input:?}\n  ours:   {ours:?}\n  python: {expected:?}"
            ));
        }
        checked += 1;
    }
    assert!(checked >= min, "only {checked} {kind} records in {name}");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

#[test]
fn coral_process_example_parity() {
    check(
        "coral_normalize.jsonl.gz",
        "sentence",
        200,
        coral::normalize,
    );
}

#[test]
fn coral_numeral_parity() {
    check(
        "coral_normalize.jsonl.gz",
        "numeral",
        4000,
        numerals::numeral_to_words,
    );
}

#[test]
fn omniasr_text_normalize_parity() {
    check(
        "omniasr_normalize.jsonl.gz",
        "omniasr",
        300,
        omniasr::normalize,
    );
}
