//! Parity with the Python `sentencepiece` package on two char models trained by
//! `tools/reference/text/gen_spm_fixture.py`: identical ids from `encode` and identical
//! text from `decode` on >= 1,000 sentences (characters outside the vocabulary included),
//! and identical `decode_ids` text on random id sequences.

use std::io::{BufRead as _, BufReader};
use std::path::Path;

use dialekt_text::tokenizer::{PieceType, Tokenizer};
use serde_json::Value;

use crate::common::fixture;

fn ids(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn matches_python_sentencepiece() {
    let omni = Tokenizer::from_file(Path::new(&fixture("spm_omni.model"))).unwrap();
    let bytes = Tokenizer::from_file(Path::new(&fixture("spm_bytes.model"))).unwrap();
    assert_eq!(
        (omni.bos_id(), omni.pad_id(), omni.eos_id(), omni.unk_id()),
        (Some(0), Some(1), Some(2), 3)
    );
    assert_eq!(omni.piece(0), Some("<s>"));

    let file = std::fs::File::open(fixture("spm_cases.jsonl.gz")).unwrap();
    let mut encoded = 0;
    let mut with_unknown = 0;
    let mut failures = Vec::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let record: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let tokenizer = if record["model"] == "omni" {
            &omni
        } else {
            &bytes
        };
        if let Some(pieces) = record.get("pieces") {
            let pieces = pieces.as_array().unwrap();
            assert_eq!(pieces.len(), tokenizer.vocab_size());
            for (id, expected) in pieces.iter().enumerate() {
                let piece = &tokenizer.pieces()[id];
                assert_eq!(piece.piece, expected[0].as_str().unwrap());
                assert_eq!(piece.score, expected[1].as_f64().unwrap() as f32);
                assert_eq!(piece.kind == PieceType::Control, expected[2] == 1);
                assert_eq!(piece.kind == PieceType::Unknown, expected[3] == 1);
            }
        } else if let Some(decode_only) = record.get("decode_only") {
            let decoded = tokenizer.decode(&ids(decode_only));
            if decoded != record["decoded"].as_str().unwrap() {
                failures.push(format!(
                    "decode {decode_only}: ours {decoded:?}, python {}",
                    record["decoded"]
                ));
            }
        } else {
            let text = record["text"].as_str().unwrap();
            let expected = ids(&record["ids"]);
            let ours = tokenizer.encode(text);
            if ours != expected {
                failures.push(format!(
                    "encode {text:?}: ours {ours:?}, python {expected:?}"
                ));
            }
            let decoded = tokenizer.decode(&expected);
            if decoded != record["decoded"].as_str().unwrap() {
                failures.push(format!(
                    "decode {expected:?}: ours {decoded:?}, python {}",
                    record["decoded"]
                ));
            }
            encoded += 1;
            with_unknown += usize::from(expected.contains(&tokenizer.unk_id()));
        }
    }
    assert!(encoded >= 2000, "only {encoded} sentences");
    assert!(
        with_unknown >= 50,
        "only {with_unknown} sentences with <unk>"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

#[test]
fn unit_error_rate_over_token_ids() {
    let tokenizer = Tokenizer::from_file(Path::new(&fixture("spm_omni.model"))).unwrap();
    let references = vec!["det er godt".to_owned(), "hej".to_owned()];
    let hypotheses = vec!["det er godt".to_owned(), "hek".to_owned()];
    let units = dialekt_text::score::unit_counts(&references, &hypotheses, None, &tokenizer);
    // "▁det▁er▁godt" is 12 chars, all known; "hej" vs "hek" is one substitution (or an
    // unknown char, which is still one substituted unit).
    assert_eq!(units[0].errors(), 0);
    assert_eq!(units[0].ref_len(), 12);
    assert_eq!(units[1].errors(), 1);
}
