//! Invariants of `decode::Decoder` on random logits, and its errors.

use std::path::Path;

use dialekt_text::decode::{
    BeamConfig, DecodeError, Decoder, Label, LanguageModel, LmConfig, Parameter, Vocabulary,
};
use dialekt_text::lm::estimate::{EstimateConfig, LMPLZ_DISCOUNT_FALLBACK, estimate};
use dialekt_text::lm::{Model, read_arpa_from};
use proptest::prelude::*;

/// Labels after the blank (id 0). Greedy decoding and pyctcdecode agree on pieces that
/// start a word or none (SentencePiece's); `b▁`, whose `▁` forces a break only when the
/// piece itself started a word (else pyctcdecode keeps the `▁` in the word), is only in
/// [`WITH_TRAILING`].
const LABELS: [&str; 7] = ["\u{2581}", "a", "b", "c", "\u{2581}a", "bc", "\u{2581}c"];
const WITH_TRAILING: [&str; 7] = [
    "\u{2581}",
    "a",
    "b",
    "c",
    "\u{2581}a",
    "b\u{2581}",
    "\u{2581}c",
];

fn vocabulary_of(texts: &[&str]) -> Vocabulary {
    let mut labels = vec![Label::Blank];
    labels.extend(texts.iter().map(|l| Label::Text((*l).to_owned())));
    Vocabulary::from_labels(labels).unwrap()
}

fn vocabulary() -> Vocabulary {
    vocabulary_of(&WITH_TRAILING)
}

fn tiny_lm(sentences: &[&str]) -> Model {
    let config = EstimateConfig {
        order: 3,
        discount_fallback: Some(LMPLZ_DISCOUNT_FALLBACK),
    };
    let mut arpa = Vec::new();
    estimate(sentences, &config)
        .unwrap()
        .write_arpa(&mut arpa)
        .unwrap();
    read_arpa_from(arpa.as_slice(), Path::new("tiny.arpa")).unwrap()
}

/// Greedy CTC: best token per frame, repeats collapsed, blanks dropped, `▁` a space.
fn greedy(logits: &[f32], vocab: usize) -> String {
    let mut text = String::new();
    let mut previous = None;
    for row in logits.chunks_exact(vocab) {
        let best = (0..vocab).fold(0, |best, t| if row[t] > row[best] { t } else { best });
        if previous != Some(best) && best != 0 {
            text.push_str(LABELS[best - 1]);
        }
        previous = Some(best);
    }
    text.replace('\u{2581}', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `frames × 8` logits, all distinct (no ties for greedy to break differently).
fn distinct_logits() -> impl Strategy<Value = Vec<f32>> {
    (0usize..25).prop_flat_map(|frames| {
        Just((0..frames * 8).collect::<Vec<usize>>())
            .prop_shuffle()
            .prop_map(|order| order.into_iter().map(|v| v as f32 * 0.37 - 20.0).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn width_one_without_lm_is_greedy(logits in distinct_logits()) {
        let vocabulary = vocabulary_of(&LABELS);
        let config = BeamConfig { beam_width: 1, token_min_logp: 0.0, ..BeamConfig::default() };
        let decoder = Decoder::new(&vocabulary, None, config).unwrap();
        prop_assert_eq!(decoder.decode(&logits, 8).unwrap(), greedy(&logits, 8));
    }

    #[test]
    fn beams_are_ranked_and_bounded(
        logits in prop::collection::vec(-6.0f32..6.0, 0..(8 * 30)),
        width in 1usize..12,
        prune_history in any::<bool>(),
    ) {
        let logits = &logits[..logits.len() / 8 * 8];
        let vocabulary = vocabulary();
        let model = tiny_lm(&["a b c", "b c a", "aa bb", "c"]);
        let lm = LanguageModel::new(&model, None, LmConfig::default()).unwrap();
        let config = BeamConfig { beam_width: width, prune_history, ..BeamConfig::default() };
        for lm in [None, Some(&lm)] {
            let beams = Decoder::new(&vocabulary, lm, config).unwrap().decode_beams(logits, 8).unwrap();
            prop_assert!(!beams.is_empty() && beams.len() <= width);
            prop_assert!(beams.windows(2).all(|pair| pair[0].score >= pair[1].score));
        }
    }

    /// An LM with no weight (alpha = beta = 0, no unknown-word offset) ranks as no LM.
    #[test]
    fn weightless_lm_changes_nothing(logits in prop::collection::vec(-6.0f32..6.0, 0..(8 * 30))) {
        let logits = &logits[..logits.len() / 8 * 8];
        let vocabulary = vocabulary();
        let model = tiny_lm(&["a b c", "b c a"]);
        let weightless = LmConfig { alpha: 0.0, beta: 0.0, unk_score_offset: 0.0, score_boundary: true };
        let lm = LanguageModel::new(&model, None, weightless).unwrap();
        let config = BeamConfig { beam_width: 8, ..BeamConfig::default() };
        let plain = Decoder::new(&vocabulary, None, config).unwrap().decode_beams(logits, 8).unwrap();
        let fused = Decoder::new(&vocabulary, Some(&lm), config).unwrap().decode_beams(logits, 8).unwrap();
        prop_assert_eq!(plain, fused);
    }
}

#[test]
fn bad_input_is_an_error() {
    let vocabulary = vocabulary();
    let decoder = Decoder::new(&vocabulary, None, BeamConfig::default()).unwrap();
    let mut logits = vec![0.0f32; 16];
    logits[11] = f32::NAN;
    assert!(matches!(
        decoder.decode_beams(&logits, 8),
        Err(DecodeError::BadLogit {
            frame: 1,
            token: 3,
            ..
        })
    ));
    assert!(matches!(
        decoder.decode_beams(&logits, 4),
        Err(DecodeError::Logits(_))
    ));
    let zero = BeamConfig {
        beam_width: 0,
        ..BeamConfig::default()
    };
    match Decoder::new(&vocabulary, None, zero) {
        Err(DecodeError::InvalidParameter {
            parameter: Parameter::BeamWidth,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let model = tiny_lm(&["a b", "c"]);
    let negative = LmConfig {
        alpha: -1.0,
        ..LmConfig::default()
    };
    match LanguageModel::new(&model, None, negative) {
        Err(DecodeError::InvalidParameter {
            parameter: Parameter::Alpha,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn lm_in_another_alphabet_is_an_error() {
    let vocabulary = vocabulary();
    let model = tiny_lm(&["ж з", "и ж"]);
    let lm = LanguageModel::new(&model, None, LmConfig::default()).unwrap();
    let error = Decoder::new(&vocabulary, Some(&lm), BeamConfig::default()).unwrap_err();
    assert!(
        matches!(error, DecodeError::LmAlphabetMismatch { unigrams: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("shares no word"), "{error}");
}
