//! `lm::estimate` against KenLM's lmplz (kenlm 0.3.0 from PyPI's source distribution) on
//! the same text: the same n-grams, probabilities and backoffs within 1e-4 (log10).

use std::collections::BTreeMap;

use dialekt_text::lm::estimate::{EstimateConfig, LMPLZ_DISCOUNT_FALLBACK, estimate};

use crate::common::gunzip_text;

const TOLERANCE: f64 = 1e-4;

type Entries = BTreeMap<(usize, String), (f64, f64)>;

/// Probability and backoff (0 when absent) of every n-gram of an ARPA text, read as the
/// float32 values both tools compute (their shortest decimal forms can differ on ties:
/// lmplz writes -2.6132812 where Rust writes -2.6132813 for the float -2.61328125).
fn entries(arpa: &str) -> Entries {
    let mut order = 0;
    let mut out = BTreeMap::new();
    for line in arpa.lines() {
        if let Some(header) = line
            .strip_prefix('\\')
            .and_then(|l| l.strip_suffix("-grams:"))
        {
            order = header.parse().unwrap();
            continue;
        }
        if order == 0 || line.is_empty() || line.starts_with('\\') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let value = |text: &str| f64::from(text.parse::<f32>().unwrap());
        let backoff = fields.get(2).map_or(0.0, |b| value(b));
        out.insert((order, fields[1].to_owned()), (value(fields[0]), backoff));
    }
    out
}

fn compare(lines: &[&str], order: usize, fallback: bool, reference: &str) {
    let mut config = EstimateConfig::order(order);
    if fallback {
        config.discount_fallback = Some(LMPLZ_DISCOUNT_FALLBACK);
    }
    let model = estimate(lines, &config).unwrap();
    let mut text = Vec::new();
    model.write_arpa(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    let reference_text = gunzip_text(reference);
    let (ours, theirs) = (entries(&text), entries(&reference_text));
    assert_eq!(ours.len(), theirs.len(), "{reference}: n-gram count");
    let mut max_prob = 0.0f64;
    let mut max_backoff = 0.0f64;
    for (key, (prob, backoff)) in &theirs {
        let Some((our_prob, our_backoff)) = ours.get(key) else {
            panic!("{reference}: {key:?} missing");
        };
        max_prob = max_prob.max((prob - our_prob).abs());
        max_backoff = max_backoff.max((backoff - our_backoff).abs());
        assert!(
            (prob - our_prob).abs() <= TOLERANCE,
            "{reference} {key:?}: {our_prob} vs {prob}"
        );
        assert!(
            (backoff - our_backoff).abs() <= TOLERANCE,
            "{reference} {key:?}: backoff {our_backoff} vs {backoff}"
        );
    }
    println!(
        "{reference}: {} n-grams, max |Δ prob| {max_prob:e}, max |Δ backoff| {max_backoff:e}",
        theirs.len()
    );
}

#[test]
fn trigram_equals_lmplz_on_120k_words() {
    let corpus = gunzip_text("lm/corpus.txt.gz");
    let lines: Vec<&str> = corpus.lines().collect();
    let words: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
    assert!(words >= 100_000, "{words} words");
    compare(&lines, 3, false, "lm/lmplz_o3.arpa.gz");
}

#[test]
fn higher_orders_equal_lmplz() {
    let corpus = gunzip_text("lm/corpus.txt.gz");
    let lines: Vec<&str> = corpus.lines().collect();
    compare(&lines[..2500], 4, false, "lm/lmplz_o4.arpa.gz");
    compare(&lines[..1500], 5, true, "lm/lmplz_o5.arpa.gz");
}
