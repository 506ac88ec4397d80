//! jiwer 4.0.0's measures: per-utterance H/S/D/I and corpus-pooled WER, CER, MER, WIL,
//! WIP, plus UER over token ids (fairseq2's `WerMetric`).
//!
//! Tokenisation follows jiwer's default transforms, which are *not* `split_whitespace`:
//! - words (`wer_default`): runs of two or more Python whitespace chars become one space,
//!   the string is stripped, then split on `" "` only, so "a\tb" is one word;
//! - characters (`cer_default`): strip, then every code point including inner spaces
//!   (runs are not collapsed).
//!
//! Corpus metrics pool the counts of all utterances (Σ errors / Σ reference tokens), as
//! `jiwer.wer(list, list)` does; they are not means of per-utterance rates. With no
//! reference tokens at all, jiwer 4 reports WER = number of insertions and MER = 0 or 1.

use serde::Serialize;

use crate::align::{Aligner, EditCounts};
use crate::normalize::{py_is_space, py_strip};

/// jiwer `wer_default`: the words of one sentence.
pub fn words(text: &str) -> Vec<&str> {
    let text = py_strip(text);
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !py_is_space(c) {
            continue;
        }
        let mut end = at + c.len_utf8();
        let mut run = 1;
        while let Some(&(next_at, next)) = chars.peek() {
            if !py_is_space(next) {
                break;
            }
            end = next_at + next.len_utf8();
            run += 1;
            chars.next();
        }
        // A single non-space whitespace char (a lone tab) stays inside the word.
        if run >= 2 || c == ' ' {
            if start < at {
                out.push(&text[start..at]);
            }
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// jiwer `cer_default`: the characters of one sentence as code points.
pub fn chars(text: &str) -> Vec<u32> {
    py_strip(text).chars().map(u32::from).collect()
}

/// FNV-1a: word interning hashes a few short strings per pair, where SipHash's
/// flood resistance buys nothing and costs a third of the scoring time.
#[derive(Debug, Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xCBF2_9CE4_8422_2325
        } else {
            self.0
        };
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01B3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type BuildFnv = std::hash::BuildHasherDefault<Fnv>;

/// Per-utterance counts at both levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PairCounts {
    pub words: EditCounts,
    pub chars: EditCounts,
}

/// Aligns pairs with reusable buffers. One per thread.
#[derive(Debug, Default)]
pub struct Scorer {
    aligner: Aligner,
    reference: Vec<u32>,
    hypothesis: Vec<u32>,
}

impl Scorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// `jiwer.process_words(reference, hypothesis)` counts.
    pub fn word_counts(&mut self, reference: &str, hypothesis: &str) -> EditCounts {
        let reference_words = words(reference);
        let hypothesis_words = words(hypothesis);
        // Word ids are only compared for equality within this pair and never iterated, so
        // a hash map is safe here and keeps long transcripts linear.
        #[allow(clippy::disallowed_types)]
        let mut ids: std::collections::HashMap<&str, u32, BuildFnv> =
            std::collections::HashMap::with_capacity_and_hasher(
                reference_words.len() + 8,
                BuildFnv::default(),
            );
        let mut id = |word| {
            let next = ids.len() as u32;
            *ids.entry(word).or_insert(next)
        };
        self.reference.clear();
        self.reference
            .extend(reference_words.into_iter().map(&mut id));
        self.hypothesis.clear();
        self.hypothesis
            .extend(hypothesis_words.into_iter().map(&mut id));
        self.aligner.align(&self.reference, &self.hypothesis)
    }

    /// `jiwer.process_characters(reference, hypothesis)` counts.
    pub fn char_counts(&mut self, reference: &str, hypothesis: &str) -> EditCounts {
        self.reference.clear();
        self.reference
            .extend(py_strip(reference).chars().map(u32::from));
        self.hypothesis.clear();
        self.hypothesis
            .extend(py_strip(hypothesis).chars().map(u32::from));
        self.aligner.align(&self.reference, &self.hypothesis)
    }

    /// Both levels at once.
    pub fn pair_counts(&mut self, reference: &str, hypothesis: &str) -> PairCounts {
        PairCounts {
            words: self.word_counts(reference, hypothesis),
            chars: self.char_counts(reference, hypothesis),
        }
    }

    /// Counts over token ids, for UER (fairseq2 `WerMetric`'s unit error rate).
    pub fn token_counts(&mut self, reference: &[u32], hypothesis: &[u32]) -> EditCounts {
        self.aligner.align(reference, hypothesis)
    }
}

/// jiwer's `wer` (or `cer` on character counts): (S + D + I) / (H + S + D); with no
/// reference tokens, the number of insertions.
pub fn error_rate(counts: &EditCounts) -> f64 {
    if counts.ref_len() == 0 {
        counts.insertions as f64
    } else {
        counts.errors() as f64 / counts.ref_len() as f64
    }
}

/// jiwer's `mer` (CoRal's bounded "WER"/"CER" since 2025-11): (S + D + I) / (H + S + D + I).
pub fn match_error_rate(counts: &EditCounts) -> f64 {
    if counts.ref_len() == 0 {
        if counts.hyp_len() == 0 { 0.0 } else { 1.0 }
    } else {
        counts.errors() as f64 / (counts.ref_len() + counts.insertions) as f64
    }
}

/// jiwer's `wip`: (H / N_ref) · (H / N_hyp).
pub fn word_information_preserved(counts: &EditCounts) -> f64 {
    let (hits, ref_len, hyp_len) = (counts.hits as f64, counts.ref_len(), counts.hyp_len());
    if ref_len == 0 {
        if hyp_len == 0 { 1.0 } else { 0.0 }
    } else if hyp_len >= 1 {
        (hits / ref_len as f64) * (hits / hyp_len as f64)
    } else {
        0.0
    }
}

/// jiwer's `wil`: 1 − WIP.
pub fn word_information_lost(counts: &EditCounts) -> f64 {
    1.0 - word_information_preserved(counts)
}

/// Every measure of one pooled set of utterances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub utterances: usize,
    pub words: EditCounts,
    pub chars: EditCounts,
    pub wer: f64,
    pub mer: f64,
    pub wil: f64,
    pub wip: f64,
    pub cer: f64,
    /// CoRal's character metric: MER over characters.
    pub char_mer: f64,
}

impl Summary {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = &'a PairCounts>) -> Self {
        let mut words = EditCounts::default();
        let mut chars = EditCounts::default();
        let mut utterances = 0;
        for pair in pairs {
            words += pair.words;
            chars += pair.chars;
            utterances += 1;
        }
        Self {
            utterances,
            words,
            chars,
            wer: error_rate(&words),
            mer: match_error_rate(&words),
            wil: word_information_lost(&words),
            wip: word_information_preserved(&words),
            cer: error_rate(&chars),
            char_mer: match_error_rate(&chars),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn jiwer_word_splitting() {
        assert_eq!(words("  hej  med\tdig "), ["hej", "med\tdig"]);
        assert_eq!(words("a \tb"), ["a", "b"]);
        assert_eq!(words("\x1c a\x1c"), ["a"]);
        assert_eq!(words("a\u{3000}\u{3000}b"), ["a", "b"]);
        assert!(words(" \t ").is_empty());
    }

    #[test]
    fn jiwer_examples() {
        let mut scorer = Scorer::new();
        // coral.md §6.1: process_characters("hej  med", " hej med ") → 1 deletion, 0.125.
        let chars = scorer.char_counts("hej  med", " hej med ");
        assert_eq!(chars.deletions, 1);
        assert_eq!(error_rate(&chars), 0.125);
        // §6.2: wer(["a b c", "d e"], ["a x c", "d"]) = 0.4.
        let pairs = [
            scorer.pair_counts("a b c", "a x c"),
            scorer.pair_counts("d e", "d"),
        ];
        assert_eq!(Summary::from_pairs(&pairs).wer, 0.4);
        // jiwer 4 empty references.
        assert_eq!(error_rate(&scorer.word_counts("", "x")), 1.0);
        assert_eq!(error_rate(&scorer.word_counts("", "")), 0.0);
        assert_eq!(match_error_rate(&scorer.word_counts("", "x y")), 1.0);
    }

    proptest! {
        #[test]
        fn identical_text_scores_zero(text in "[a-cæ \t]{0,40}") {
            let mut scorer = Scorer::new();
            let counts = scorer.pair_counts(&text, &text);
            prop_assert_eq!(error_rate(&counts.words), 0.0);
            prop_assert_eq!(error_rate(&counts.chars), 0.0);
        }

        #[test]
        fn counts_add_up_to_the_token_counts(r in "[ab ]{0,30}", h in "[ab ]{0,30}") {
            let mut scorer = Scorer::new();
            let counts = scorer.pair_counts(&r, &h);
            prop_assert_eq!(counts.words.ref_len() as usize, words(&r).len());
            prop_assert_eq!(counts.words.hyp_len() as usize, words(&h).len());
            prop_assert_eq!(counts.chars.ref_len() as usize, chars(&r).len());
            let mer = match_error_rate(&counts.words);
            prop_assert!((0.0..=1.0).contains(&mer));
        }
    }
}
