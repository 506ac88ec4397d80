//! `lm::Model` queries against kenlm 0.3.0's Python module (`full_scores`, `score`) on
//! lmplz-made models of orders 3 to 5 and an SRILM-style pruned model (blanks, no
//! `<unk>`), with unknown words and sentence markers inside sentences.

use crate::common::{arpa_model, jsonl};

/// The acceptance tolerance on log10 probabilities.
const TOLERANCE: f64 = 1e-5;

#[test]
fn queries_equal_kenlm() {
    let records = jsonl("lm/kenlm_queries.jsonl.gz");
    let mut checked = 0usize;
    let mut exact = 0usize;
    let mut max_diff = 0.0f64;
    for name in ["lmplz_o3", "lmplz_o4", "lmplz_o5", "pruned"] {
        let model = arpa_model(&format!("lm/{name}.arpa.gz"));
        for record in records.iter().filter(|r| r["model"] == name) {
            let sentence = record["sentence"].as_str().unwrap();
            let bos = record["bos"].as_bool().unwrap();
            let eos = record["eos"].as_bool().unwrap();
            let expected = record["full_scores"].as_array().unwrap();
            let ours = model.full_scores(sentence, bos, eos);
            assert_eq!(ours.len(), expected.len(), "{name} {sentence:?}");
            let words: Vec<&str> = sentence.split_whitespace().collect();
            for (at, (score, reference)) in ours.iter().zip(expected).enumerate() {
                // KenLM's probabilities are float32, written in their shortest form.
                let prob = f64::from(reference[0].as_f64().unwrap() as f32);
                let diff = (f64::from(score.log10_prob) - prob).abs();
                max_diff = max_diff.max(diff);
                exact += usize::from(f64::from(score.log10_prob) == prob);
                assert!(
                    diff <= TOLERANCE,
                    "{name} bos={bos} eos={eos} {sentence:?} word {at}: {} vs kenlm {prob}",
                    score.log10_prob
                );
                assert_eq!(
                    u64::from(score.ngram_length),
                    reference[1].as_u64().unwrap(),
                    "{name} {sentence:?} word {at}: n-gram length"
                );
                let oov = words.get(at).is_some_and(|word| !model.contains(word));
                assert_eq!(
                    oov,
                    reference[2].as_bool().unwrap(),
                    "{name} {sentence:?} {at}"
                );
                checked += 1;
            }
            let total = f64::from(record["score"].as_f64().unwrap() as f32);
            let ours_total = model.score_sentence(sentence, bos, eos);
            assert!(
                (f64::from(ours_total) - total).abs() <= TOLERANCE,
                "{name} {sentence:?}: score {ours_total} vs kenlm {total}"
            );
        }
    }
    println!("{checked} n-gram scores, {exact} bit-identical, max |diff| {max_diff:e}");
    assert!(checked >= 10_000, "only {checked} scores checked");
}
