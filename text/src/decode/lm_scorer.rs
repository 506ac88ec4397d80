//! Word-level shallow fusion: pyctcdecode 0.5.0's `LanguageModel` (`language_model.py`)
//! over our [`Model`] instead of `kenlm.Model` (whose scores it reproduces bit for bit).
//!
//! - A finished word scores `alpha · ln(10) · (log10 p(word | state) + penalty) + beta`,
//!   the penalty being `unk_score_offset` when the word is not in the unigram list (if
//!   there is one) or not in the model; the last word also gets log10 p(`</s>` | state)
//!   before the weighting when `score_boundary` is on.
//! - A word in progress scores `unk_score_offset` when no unigram starts with it
//!   (scaled by its length / 6 beyond 6 characters), 0 otherwise.
//! - The unigram list defaults to what pyctcdecode reads from an ARPA file
//!   ([`Model::arpa_unigram_list`]), keeping only words the model knows.

use std::ops::Range;

use super::config::LmConfig;
use super::error::DecodeError;
use crate::lm::{Model, State, WordId};

/// pyctcdecode's `LOG_BASE_CHANGE_FACTOR = 1.0 / math.log10(math.e)`: the same float as
/// ln 10 (Python prints both as 2.302585092994046; a unit test checks the bits).
pub(crate) const LOG_BASE_CHANGE: f64 = std::f64::consts::LN_10;
/// pyctcdecode's `AVG_TOKEN_LEN`.
const AVG_TOKEN_LEN: usize = 6;

/// A language model ready for shallow fusion.
#[derive(Debug, Clone)]
pub struct LanguageModel<'m> {
    model: &'m Model,
    /// Sorted, deduplicated, each known to the model.
    unigrams: Vec<String>,
    config: LmConfig,
}

/// What the scorer needs to know about a finished word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordInfo {
    id: WordId,
    /// Gets `unk_score_offset`.
    unknown: bool,
}

impl<'m> LanguageModel<'m> {
    /// `unigrams: None` takes pyctcdecode's default from the ARPA file's unigram lines.
    pub fn new(
        model: &'m Model,
        unigrams: Option<Vec<String>>,
        config: LmConfig,
    ) -> Result<Self, DecodeError> {
        config.validate()?;
        let listed: Vec<String> = match unigrams {
            Some(words) => words,
            None => model.arpa_unigram_list().map(str::to_owned).collect(),
        };
        let mut unigrams: Vec<String> = listed.into_iter().filter(|w| model.contains(w)).collect();
        unigrams.sort_unstable();
        unigrams.dedup();
        Ok(Self {
            model,
            unigrams,
            config,
        })
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    pub fn config(&self) -> &LmConfig {
        &self.config
    }

    /// The unigram list in use (sorted).
    pub fn unigrams(&self) -> &[String] {
        &self.unigrams
    }

    pub(crate) fn order(&self) -> usize {
        self.model.order()
    }

    /// `get_start_state`.
    pub(crate) fn start_state(&self) -> State {
        if self.config.score_boundary {
            self.model.begin_sentence()
        } else {
            self.model.null_context()
        }
    }

    /// Every unigram, as a range of [`LanguageModel::unigrams`].
    pub(crate) fn all_unigrams(&self) -> Range<u32> {
        0..self.unigrams.len() as u32
    }

    /// The unigrams that start with `prefix`, searched within `within` (the range of a
    /// prefix of `prefix`, which holds them all): the search for a word piece narrows its
    /// parent piece's.
    pub(crate) fn prefix_range(&self, within: Range<u32>, prefix: &str) -> Range<u32> {
        let candidates = &self.unigrams[within.start as usize..within.end as usize];
        let start = candidates.partition_point(|u| u.as_str() < prefix);
        let length = candidates[start..].partition_point(|u| u.starts_with(prefix));
        within.start + start as u32..within.start + (start + length) as u32
    }

    /// `word`'s id and whether it gets the unknown-word offset; `range` is
    /// [`LanguageModel::prefix_range`] of the word.
    pub(crate) fn word_info(&self, word: &str, range: &Range<u32>) -> WordInfo {
        let id = self.model.index(word);
        let listed = self
            .unigrams
            .get(range.start as usize)
            .is_some_and(|first| !range.is_empty() && first == word);
        WordInfo {
            id,
            unknown: (!self.unigrams.is_empty() && !listed) || id == crate::lm::UNK,
        }
    }

    /// `LanguageModel.score`: the weighted score of `word` after `state`, and the state
    /// after it.
    pub(crate) fn score(&self, state: &State, word: WordInfo, is_last_word: bool) -> (f64, State) {
        let (log10_prob, end_state) = self.model.score(state, word.id);
        let mut score = f64::from(log10_prob);
        if word.unknown {
            score += self.config.unk_score_offset;
        }
        if is_last_word {
            let end = if self.config.score_boundary {
                f64::from(self.model.score(&end_state, self.model.end_sentence_id()).0)
            } else {
                0.0
            };
            score += end;
        }
        (
            self.config.alpha * score * LOG_BASE_CHANGE + self.config.beta,
            end_state,
        )
    }

    /// `LanguageModel.score_partial_token`; `range` is [`LanguageModel::prefix_range`] of
    /// the piece (`char_trie.has_node` is whether it is non-empty).
    pub(crate) fn score_partial_token(&self, partial: &str, range: &Range<u32>) -> f64 {
        let is_prefix = !range.is_empty();
        let mut score = self.config.unk_score_offset * if is_prefix { 0.0 } else { 1.0 };
        let length = partial.chars().count();
        if length > AVG_TOKEN_LEN {
            score = score * length as f64 / AVG_TOKEN_LEN as f64;
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_base_change_is_pyctcdecodes() {
        assert_eq!(LOG_BASE_CHANGE, 1.0 / std::f64::consts::E.log10());
        assert_eq!(LOG_BASE_CHANGE.to_string(), "2.302585092994046");
    }
}
