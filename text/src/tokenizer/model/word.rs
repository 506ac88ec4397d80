//! `word::Model::Encode`: one piece per word, a word starting at the text's start and at
//! every "▁" (`SplitIntoWords` with its defaults, whatever `treat_whitespace_as_suffix`
//! says: sentencepiece's word model ignores it when encoding).

use super::whole_piece_id;
use crate::tokenizer::normalizer::SPACE_SYMBOL;
use crate::tokenizer::vocab::Vocab;

pub fn encode<'a>(normalized: &'a str, vocab: &Vocab) -> Vec<(&'a str, u32)> {
    split_into_words(normalized)
        .into_iter()
        .map(|word| (word, whole_piece_id(vocab, word)))
        .collect()
}

/// "▁this▁is▁▁a" → ["▁this", "▁is", "▁", "▁a"].
fn split_into_words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices(SPACE_SYMBOL) {
        if at > start {
            words.push(&text[start..at]);
            start = at;
        }
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_start_at_each_space_symbol() {
        assert_eq!(split_into_words("▁this▁is▁▁a"), ["▁this", "▁is", "▁", "▁a"]);
        assert_eq!(split_into_words("no▁dummy"), ["no", "▁dummy"]);
        assert_eq!(split_into_words("▁"), ["▁"]);
        assert!(split_into_words("").is_empty());
    }
}
