//! Language-model training text, normalised as CoRal normalises the sentences of its
//! decoder corpus (`coral.ngram.get_sentence_corpus_path` → `process_dataset` with
//! `lower_case=True`, `convert_numerals=False` and the evaluation character allow-list),
//! so the LM's words are spelled as the normalised transcripts are.
//!
//! CoRal also drops duplicate sentences before counting ("required when training the
//! n-gram language model"); [`prepare`] does that when asked, keeping first occurrences
//! (CoRal's `list(set(...))` has no defined order; n-gram counts do not depend on it).

use std::collections::BTreeSet;

use crate::normalize::coral::{self, CONVERSIONS, EVALUATION_CHARACTERS, Options};

/// The `process_dataset` arguments CoRal's LM corpus uses.
pub fn coral_lm_options() -> Options<'static> {
    Options {
        lower_case: true,
        convert_numerals: false,
        characters_to_keep: Some(EVALUATION_CHARACTERS),
        conversions: CONVERSIONS,
    }
}

/// Normalise raw text lines into LM sentences: CoRal's LM normalisation, one output line
/// per non-empty normalised line (a normalised input line may hold several), optionally
/// without duplicates.
pub fn prepare<I, S>(lines: I, deduplicate: bool) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let options = coral_lm_options();
    let mut seen = BTreeSet::new();
    let mut sentences = Vec::new();
    for line in lines {
        let normalized = coral::process(line.as_ref(), &options);
        for sentence in normalized.split('\n') {
            let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
            if sentence.is_empty() || (deduplicate && !seen.insert(sentence.clone())) {
                continue;
            }
            sentences.push(sentence);
        }
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_filters_and_keeps_digits() {
        let lines = [
            "Det koster 21 kr.!",
            "",
            "det koster 21 kr",
            "Hej – med dig",
        ];
        assert_eq!(prepare(lines, true), ["det koster 21 kr", "hej med dig"]);
        assert_eq!(prepare(lines, false).len(), 3);
    }
}
