//! `decode::Decoder` against pyctcdecode 0.5.0 + kenlm 0.3.0 on 520 synthetic logit
//! matrices (tools/reference/decode/gen_decode_fixtures.py): without an LM, with an
//! lmplz 3-gram and with our estimator's 4-gram, under several parameter sets. The top
//! five beams must have the same texts, in the same order, and scores within 1e-4; the
//! number of beams must agree.

use std::path::Path;
use std::sync::OnceLock;

use dialekt_text::decode::{BeamConfig, Decoder, LanguageModel, LmConfig, Vocabulary};
use dialekt_text::lm::estimate::{EstimateConfig, estimate};
use dialekt_text::lm::{Model, read_arpa_from};
use dialekt_text::tokenizer::Tokenizer;
use serde_json::Value;

use crate::common::{arpa_model, fixture, gunzip, gunzip_text, jsonl};

const TOLERANCE: f64 = 1e-4;

struct Cases {
    header: Value,
    /// Per case: logits, row-major `[frames, vocab]`.
    logits: Vec<Vec<f32>>,
}

fn cases() -> Cases {
    let records = jsonl("decode/cases.jsonl.gz");
    let header = records[0].clone();
    let scale = header["scale"].as_f64().unwrap() as f32;
    let vocab = header["vocab"].as_u64().unwrap() as usize;
    let bytes = gunzip("decode/logits.i8.gz");
    let logits = records[1..]
        .iter()
        .map(|case| {
            let offset = case["offset"].as_u64().unwrap() as usize;
            let frames = case["frames"].as_u64().unwrap() as usize;
            bytes[offset..offset + frames * vocab]
                .iter()
                .map(|&b| f32::from(b as i8) / scale)
                .collect()
        })
        .collect();
    Cases { header, logits }
}

/// Our 4-gram, re-estimated as the generator had the `lm_build` example make it.
fn ours_o4(header: &Value) -> Model {
    let corpus = gunzip_text("lm/corpus.txt.gz");
    let lines: Vec<&str> = corpus.lines().take(2500).collect();
    let estimated = estimate(&lines, &EstimateConfig::order(4)).unwrap();
    let mut arpa = Vec::new();
    estimated.write_arpa(&mut arpa).unwrap();
    let model = read_arpa_from(arpa.as_slice(), Path::new("ours_o4.arpa")).unwrap();
    assert_eq!(
        model.source_sha256_hex(),
        header["lms"]["ours_o4"]["sha256"].as_str().unwrap(),
        "the estimator no longer makes the LM the fixture was decoded with"
    );
    model
}

fn beam_config(config: &Value) -> BeamConfig {
    BeamConfig {
        beam_width: config["beam_width"].as_u64().unwrap() as usize,
        beam_prune_logp: config["beam_prune_logp"].as_f64().unwrap(),
        token_min_logp: config["token_min_logp"].as_f64().unwrap(),
        prune_history: config["prune_history"].as_bool().unwrap(),
    }
}

fn lm_config(config: &Value) -> LmConfig {
    LmConfig {
        alpha: config["alpha"].as_f64().unwrap(),
        beta: config["beta"].as_f64().unwrap(),
        unk_score_offset: config["unk_score_offset"].as_f64().unwrap(),
        score_boundary: config["score_boundary"].as_bool().unwrap(),
    }
}

#[test]
fn labels_are_what_pyctcdecode_was_given() {
    let Cases { header, .. } = cases();
    let tokenizer = Tokenizer::from_file(&fixture("spm_omni.model")).unwrap();
    let vocabulary = Vocabulary::from_tokenizer(&tokenizer).unwrap();
    let expected: Vec<&str> = header["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(vocabulary.pyctcdecode_labels().unwrap(), expected);
}

/// Everything the per-config tests share, loaded once.
struct Fixture {
    header: Value,
    logits: Vec<Vec<f32>>,
    vocabulary: Vocabulary,
    lmplz: Model,
    ours: Model,
    expected: Vec<Value>,
}

fn fixture_data() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let Cases { header, logits } = cases();
        let tokenizer = Tokenizer::from_file(&fixture("spm_omni.model")).unwrap();
        let lmplz = arpa_model("lm/lmplz_o3.arpa.gz");
        assert_eq!(
            lmplz.source_sha256_hex(),
            header["lms"]["lmplz_o3"]["sha256"].as_str().unwrap()
        );
        let ours = ours_o4(&header);
        Fixture {
            vocabulary: Vocabulary::from_tokenizer(&tokenizer).unwrap(),
            expected: jsonl("decode/expected.jsonl.gz"),
            header,
            logits,
            lmplz,
            ours,
        }
    })
}

/// Decode every matrix the generator decoded under config `name` and compare.
fn check(name: &str) {
    let data = fixture_data();
    assert!(data.logits.len() >= 500, "{} matrices", data.logits.len());
    let config = &data.header["configs"][name];
    let lm = config["lm"].as_str().map(|which| {
        let model = if which == "lmplz_o3" {
            &data.lmplz
        } else {
            &data.ours
        };
        let unigrams = config["unigrams"].as_str().map(|list| {
            data.header["unigram_lists"][list]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().to_owned())
                .collect()
        });
        LanguageModel::new(model, unigrams, lm_config(config)).unwrap()
    });
    let vocabulary = &data.vocabulary;
    let decoder = Decoder::new(vocabulary, lm.as_ref(), beam_config(config)).unwrap();
    let (mut cases, mut beams, mut max_diff) = (0, 0, 0.0f64);
    for record in data.expected.iter().filter(|r| r["config"] == name) {
        let case = record["case"].as_u64().unwrap() as usize;
        let ours = decoder
            .decode_beams(&data.logits[case], vocabulary.len())
            .unwrap();
        let reference = record["beams"].as_array().unwrap();
        assert_eq!(
            ours.len() as u64,
            record["count"].as_u64().unwrap(),
            "{name} case {case}: number of beams"
        );
        for (rank, (beam, theirs)) in ours.iter().zip(reference).enumerate() {
            let text = theirs[0].as_str().unwrap();
            assert_eq!(beam.text, text, "{name} case {case} beam {rank}");
            for (value, reference) in [(beam.logit_score, &theirs[1]), (beam.score, &theirs[2])] {
                let diff = (value - reference.as_f64().unwrap()).abs();
                max_diff = max_diff.max(diff);
                assert!(
                    diff <= TOLERANCE,
                    "{name} case {case} beam {rank}: {value} vs {reference}"
                );
            }
            beams += 1;
        }
        cases += 1;
    }
    assert!(cases > 0, "{name}: no expectations");
    println!("{name}: {cases} matrices, {beams} beams, max |Δ score| {max_diff:e}");
}

const CONFIGS: [&str; 6] = [
    "no_lm",
    "no_lm_pruned",
    "lmplz",
    "ours",
    "lmplz_beam100",
    "lmplz_unigrams",
];

#[test]
fn every_generated_config_is_tested() {
    let configs: Vec<&String> = fixture_data().header["configs"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(configs, CONFIGS);
}

#[test]
fn no_lm() {
    check("no_lm");
}

#[test]
fn no_lm_pruned_history() {
    check("no_lm_pruned");
}

#[test]
fn lmplz_trigram() {
    check("lmplz");
}

#[test]
fn our_estimators_fourgram() {
    check("ours");
}

#[test]
fn lmplz_beam_100() {
    check("lmplz_beam100");
}

#[test]
fn unigram_list_without_boundary() {
    check("lmplz_unigrams");
}
