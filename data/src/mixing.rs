//! Beta-weighted corpus/language mixing (omniASR's
//! `MixtureParquetStorage.get_partition_weights_from_betas`):
//!
//! ```text
//! w_corpus(c)        = (h_c / Σ h)^β_corpus, renormalised over corpora
//! w_lang(l | c)      = (h_{c,l} / Σ_l h_{c,l})^β_language, renormalised within c
//! weight(c, l)       = w_corpus(c) · w_lang(l | c)
//! ```
//!
//! β = 1 samples in proportion to hours, β = 0 uniformly; β in between up-weights
//! small corpora (CoRal's conversation subset next to read-aloud).

use std::collections::BTreeMap;

/// Sampling weight of every `(corpus, language)` partition, summing to 1.
#[must_use]
pub fn partition_weights(
    hours: &BTreeMap<(String, String), f64>,
    beta_corpus: f64,
    beta_language: f64,
) -> BTreeMap<(String, String), f64> {
    let mut corpus_hours: BTreeMap<&str, f64> = BTreeMap::new();
    for ((corpus, _), h) in hours {
        *corpus_hours.entry(corpus).or_insert(0.0) += h;
    }
    let total: f64 = corpus_hours.values().sum();
    let corpus_weights = normalised(
        corpus_hours
            .iter()
            .map(|(c, h)| (*c, (h / total).powf(beta_corpus)))
            .collect(),
    );
    let mut weights = BTreeMap::new();
    for (corpus, corpus_total) in &corpus_hours {
        let languages: BTreeMap<&str, f64> = hours
            .iter()
            .filter(|((c, _), _)| c == corpus)
            .map(|((_, l), h)| (l.as_str(), (h / corpus_total).powf(beta_language)))
            .collect();
        for (language, w) in normalised(languages) {
            weights.insert(
                ((*corpus).to_owned(), language.to_owned()),
                corpus_weights[corpus] * w,
            );
        }
    }
    weights
}

fn normalised(weights: BTreeMap<&str, f64>) -> BTreeMap<&str, f64> {
    let sum: f64 = weights.values().sum();
    weights
        .into_iter()
        .map(|(k, w)| (k, if sum > 0.0 { w / sum } else { 0.0 }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: &str, l: &str) -> (String, String) {
        (c.to_owned(), l.to_owned())
    }

    #[test]
    fn beta_one_is_proportional_and_beta_zero_uniform() {
        let hours = BTreeMap::from([(key("a", "dan_Latn"), 300.0), (key("b", "dan_Latn"), 100.0)]);
        let w = partition_weights(&hours, 1.0, 1.0);
        assert!((w[&key("a", "dan_Latn")] - 0.75).abs() < 1e-12);
        let w = partition_weights(&hours, 0.0, 1.0);
        assert!((w[&key("b", "dan_Latn")] - 0.5).abs() < 1e-12);
        let w = partition_weights(&hours, 0.5, 1.0);
        let expected = 0.75f64.sqrt() / (0.75f64.sqrt() + 0.25f64.sqrt());
        assert!((w[&key("a", "dan_Latn")] - expected).abs() < 1e-12);
    }
}
