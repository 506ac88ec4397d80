//! `language_distribution_0.tsv`: hours per (corpus, language), which omniASR's
//! mixture storage reads to weight corpora and languages (`hours =
//! sum(audio_size) / 16000 / 3600`, over all splits, as omniASR's data-prep CLI
//! computes it).

use std::collections::BTreeMap;

use crate::schema::LANGUAGE;
use dialekt_core::SAMPLE_RATE_HZ;

/// File name omniASR expects next to `version=0/`.
pub const LANGUAGE_DISTRIBUTION_FILE: &str = "language_distribution_0.tsv";

/// Renders the TSV from `(corpus, samples)` pairs (any order, repeats summed).
#[must_use]
pub fn language_distribution_tsv<'a>(samples: impl IntoIterator<Item = (&'a str, u64)>) -> String {
    let mut by_corpus: BTreeMap<&str, u64> = BTreeMap::new();
    for (corpus, n) in samples {
        *by_corpus.entry(corpus).or_insert(0) += n;
    }
    let mut tsv = String::from("corpus\tlanguage\thours\n");
    for (corpus, n) in by_corpus {
        let hours = n as f64 / f64::from(SAMPLE_RATE_HZ) / 3600.0;
        tsv.push_str(&format!("{corpus}\t{LANGUAGE}\t{hours}\n"));
    }
    tsv
}

/// Parses the TSV back into `(corpus, language) → hours`.
#[must_use]
pub fn parse_language_distribution(tsv: &str) -> BTreeMap<(String, String), f64> {
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let corpus = fields.next()?.to_owned();
            let language = fields.next()?.to_owned();
            let hours = fields.next()?.trim().parse().ok()?;
            Some(((corpus, language), hours))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_corpus_and_roundtrips() {
        let tsv =
            language_distribution_tsv([("b", 57_600_000), ("a", 28_800_000), ("b", 57_600_000)]);
        assert_eq!(
            tsv,
            "corpus\tlanguage\thours\na\tdan_Latn\t0.5\nb\tdan_Latn\t2\n"
        );
        let parsed = parse_language_distribution(&tsv);
        assert_eq!(parsed[&("b".to_owned(), "dan_Latn".to_owned())], 2.0);
    }
}
