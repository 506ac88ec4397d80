//! Parity with CoRal's own `convert_evaluation_dataset_to_df` + `get_score_df` on the
//! fixture written by `tools/reference/text/gen_groups_fixture.py`: the same group rows
//! in the same order (dialect mapping, Non-native override, age groups, skipped
//! combinations), with CoRal's pooled "wer"/"cer" (our MER and character MER) within 1e-12.

#![allow(
    clippy::unwrap_used,
    reason = "fixtures are generated and trusted; a panic fails the test"
)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;

use dialekt_text::groups::Category;
use dialekt_text::io::meta_from_records;
use dialekt_text::score::{Options, System, score};
use serde_json::{Map, Value};

/// CoRal's labels for the same integer age partitions.
fn coral_age_label(ours: &str) -> &str {
    match ours {
        "0-24" => "0-25",
        "25-49" => "25-50",
        other => other,
    }
}

#[test]
fn matches_coral_get_score_df() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/coral_groups.jsonl.gz"
    );
    let file = std::fs::File::open(path).unwrap();
    let mut utterances: Vec<Map<String, Value>> = Vec::new();
    let mut expected: Vec<Map<String, Value>> = Vec::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let record: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if let Some(Value::Object(u)) = record.get("utterance") {
            utterances.push(u.clone());
        } else if let Some(Value::Object(g)) = record.get("group") {
            expected.push(g.clone());
        }
    }
    let references: Vec<String> = utterances
        .iter()
        .map(|u| u["text"].as_str().unwrap().to_owned())
        .collect();
    let hypotheses: Vec<String> = utterances
        .iter()
        .map(|u| u["prediction"].as_str().unwrap().to_owned())
        .collect();
    let meta = meta_from_records(&utterances, Path::new(path)).unwrap();
    let options = Options {
        normalize: None,
        by: vec![Category::AgeGroup, Category::Gender, Category::Dialect],
        bootstrap: None,
    };
    let report = score(
        &references,
        System {
            name: "fixture",
            hypotheses: &hypotheses,
        },
        None,
        Some(&meta),
        None,
        &options,
    );
    assert_eq!(report.groups.len(), expected.len(), "number of group rows");
    for (ours, theirs) in report.groups.iter().zip(&expected) {
        for (category, value) in &ours.filters {
            let key = category.name();
            let value = value.as_deref().map(|v| {
                if key == "age_group" {
                    coral_age_label(v)
                } else {
                    v
                }
            });
            assert_eq!(
                value,
                theirs[key].as_str(),
                "{key} of {} vs {theirs:?}",
                ours.group
            );
        }
        let close = |a: f64, b: &Value| (a - b.as_f64().unwrap()).abs() <= 1e-12;
        assert!(
            close(ours.summary.mer, &theirs["wer"]),
            "{}: {} vs {}",
            ours.group,
            ours.summary.mer,
            theirs["wer"]
        );
        assert!(
            close(ours.summary.char_mer, &theirs["cer"]),
            "{}: cer",
            ours.group
        );
    }
}
