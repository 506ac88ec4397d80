//! CTC prefix beam search with shallow fusion: `BeamSearchDecoderCTC._decode_logits` of
//! pyctcdecode 0.5.0, step for step, including what only shows in its transcripts:
//!
//! - per frame, tokens are tried in CPython's set order ([`super::pyset`]), each on every
//!   beam in beam order, with one `force_next_break` flag shared by all of them;
//! - beams that agree on (text, word in progress, last label) are merged by log-sum-exp
//!   in order of appearance, the merged beam keeping the *last* one's fields;
//! - LM scores are cached by text (the finished words) the first time that text is seen,
//!   as pyctcdecode's `cached_lm_scores`, so a text's score is that of its first path;
//! - ranking is a stable sort by score, as `heapq.nlargest`;
//! - at the end, the word in progress is scored as the last word with `</s>`, even when
//!   it is empty (a beam ending in `▁`: pyctcdecode scores the empty word as unknown).
//!
//! Texts are interned as a tree of words and word pieces as strings, so the many beams
//! that share a prefix share its storage and every comparison is of integers.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Range;

use super::config::BeamConfig;
use super::error::DecodeError;
use super::lm_scorer::{LanguageModel, WordInfo};
use super::logits::log_probs;
use super::pyset::union_order;
use super::vocabulary::{TextToken, Vocabulary};
use crate::lm::{MAX_ORDER, State};
use crate::table::{Interner, Table};

/// The empty string's id, and the root text's.
const EMPTY: u32 = 0;
/// `last_char` before any token (`None` in pyctcdecode).
const LAST_NONE: u32 = u32::MAX;
/// `last_char` after a blank (`""`).
const LAST_BLANK: u32 = u32::MAX - 1;

/// One decoded transcript and its scores, best first in [`Decoder::decode_beams`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    pub text: String,
    /// Sum of the chosen tokens' log-probabilities (natural log).
    pub logit_score: f64,
    /// What beams are ranked by: the logit score plus the LM's (pyctcdecode's
    /// `lm_score`, the last field of its output beams); the logit score without an LM.
    pub score: f64,
}

/// pyctcdecode's beam tuple, without word frames: (text, next_word, word_part,
/// last_char, logit_score) as interned ids.
#[derive(Debug, Clone, Copy)]
struct Beam {
    text: u32,
    next_word: u32,
    word_part: u32,
    last: u32,
    logit: f64,
}

#[derive(Debug, Clone, Copy)]
struct Scored {
    beam: Beam,
    score: f64,
}

/// `cached_lm_scores` value: score (with hotwords, which are none), raw score, LM state.
#[derive(Debug, Clone, Copy)]
struct LmEntry {
    score: f64,
    raw: f64,
    state: State,
}

/// `_sum_log_scores`.
fn sum_log_scores(first: f64, second: f64) -> f64 {
    if first >= second {
        first + (1.0 + (second - first).exp()).ln()
    } else {
        second + (1.0 + (first - second).exp()).ln()
    }
}

/// A configured decoder; cheap to create, reusable, `Sync`.
#[derive(Debug, Clone, Copy)]
pub struct Decoder<'a> {
    vocabulary: &'a Vocabulary,
    lm: Option<&'a LanguageModel<'a>>,
    config: BeamConfig,
}

impl<'a> Decoder<'a> {
    /// Checks the parameters, and that the LM can spell words with the vocabulary.
    pub fn new(
        vocabulary: &'a Vocabulary,
        lm: Option<&'a LanguageModel<'a>>,
        config: BeamConfig,
    ) -> Result<Self, DecodeError> {
        config.validate()?;
        if let Some(lm) = lm {
            check_alphabet(vocabulary, lm)?;
        }
        Ok(Self {
            vocabulary,
            lm,
            config,
        })
    }

    pub fn config(&self) -> &BeamConfig {
        &self.config
    }

    /// `decode_beams(logits)`: hypotheses, best first, for a `[frames, vocab]` row-major
    /// matrix of logits or log-probabilities (frames may be zero).
    pub fn decode_beams(
        &self,
        logits: &[f32],
        vocab: usize,
    ) -> Result<Vec<Hypothesis>, DecodeError> {
        if vocab != self.vocabulary.len() {
            return Err(DecodeError::Logits(format!(
                "{vocab} tokens per frame, but the vocabulary has {}",
                self.vocabulary.len()
            )));
        }
        let log_probs = log_probs(logits, vocab)?;
        Ok(Search::new(self).run(&log_probs, vocab))
    }

    /// The best hypothesis' text.
    pub fn decode(&self, logits: &[f32], vocab: usize) -> Result<String, DecodeError> {
        let beams = self.decode_beams(logits, vocab)?;
        Ok(beams
            .into_iter()
            .next()
            .map(|beam| beam.text)
            .unwrap_or_default())
    }
}

/// No word the LM knows can be spelled with the vocabulary's characters.
fn check_alphabet(vocabulary: &Vocabulary, lm: &LanguageModel<'_>) -> Result<(), DecodeError> {
    let alphabet = vocabulary.alphabet();
    let special = |word: &&str| matches!(*word, "<s>" | "</s>" | "<unk>");
    let words: Vec<&str> = if lm.unigrams().is_empty() {
        lm.model().words().filter(|w| !special(w)).collect()
    } else {
        lm.unigrams()
            .iter()
            .map(String::as_str)
            .filter(|w| !special(w))
            .collect()
    };
    if words
        .iter()
        .any(|word| word.chars().all(|c| alphabet.contains(&c)))
    {
        return Ok(());
    }
    Err(DecodeError::LmAlphabetMismatch {
        unigrams: words.len(),
        examples: words.iter().take(3).copied().collect::<Vec<_>>().join(", "),
    })
}

/// The state of one decoding.
struct Search<'d, 'a> {
    decoder: &'d Decoder<'a>,
    /// Word pieces and words; `EMPTY` is "".
    strings: Interner,
    /// (word piece, label) → word piece + label.
    extended: Table<(u32, u32), u32>,
    /// Per distinct label: its clean piece's string id, once interned.
    clean: Vec<Option<u32>>,
    /// Text node → (parent text, last word); node `EMPTY` is the empty text.
    texts: Vec<(u32, u32)>,
    children: Table<(u32, u32), u32>,
    /// `_merge_beams`'s dictionary, reused across frames.
    merge_index: Table<(u32, u32, u32), u32>,
    /// `cached_lm_scores[(text, is_eos)]`, by text node.
    lm_cache: [Vec<Option<LmEntry>>; 2],
    words: Vec<Option<WordInfo>>,
    partial: Vec<Option<f64>>,
    /// Per string: the unigrams it is a prefix of (with an LM).
    ranges: Vec<Option<Range<u32>>>,
    force_next_break: bool,
}

impl<'d, 'a> Search<'d, 'a> {
    fn new(decoder: &'d Decoder<'a>) -> Self {
        let mut strings = Interner::with_capacity(256);
        strings.intern("");
        let mut search = Self {
            decoder,
            strings,
            extended: Table::with_capacity(256),
            clean: vec![None; decoder.vocabulary.distinct_labels()],
            texts: vec![(EMPTY, EMPTY)],
            children: Table::with_capacity(256),
            merge_index: Table::with_capacity(1024),
            lm_cache: [vec![None], vec![None]],
            words: Vec::new(),
            partial: Vec::new(),
            ranges: Vec::new(),
            force_next_break: false,
        };
        if let Some(lm) = decoder.lm {
            search.lm_cache[0][EMPTY as usize] = Some(LmEntry {
                score: 0.0,
                raw: 0.0,
                state: lm.start_state(),
            });
        }
        search
    }

    fn run(mut self, log_probs: &[f64], vocab: usize) -> Vec<Hypothesis> {
        let config = self.decoder.config;
        let mut beams = vec![Beam {
            text: EMPTY,
            next_word: EMPTY,
            word_part: EMPTY,
            last: LAST_NONE,
            logit: 0.0,
        }];
        let mut candidates = Vec::new();
        let mut order = Vec::new();
        let mut extended = Vec::new();
        for row in log_probs.chunks_exact(vocab) {
            candidates.clear();
            let mut best = 0;
            for (token, &logp) in row.iter().enumerate() {
                if logp > row[best] {
                    best = token;
                }
                if logp >= config.token_min_logp {
                    candidates.push(token as u32);
                }
            }
            union_order(&candidates, best as u32, &mut order);
            extended.clear();
            for &token in &order {
                self.extend_all(&beams, token as usize, row[token as usize], &mut extended);
            }
            let merged = self.merge(&extended);
            let scored = self.score(&merged, false);
            beams = self.prune(scored).into_iter().map(|s| s.beam).collect();
        }
        let finished: Vec<Beam> = beams
            .iter()
            .map(|beam| Beam {
                next_word: beam.word_part,
                word_part: EMPTY,
                last: LAST_NONE,
                ..*beam
            })
            .collect();
        let merged = self.merge(&finished);
        let scored = self.score(&merged, true);
        let mut trimmed = self.threshold(scored);
        trimmed.truncate(config.beam_width);
        trimmed
            .into_iter()
            .map(|scored| Hypothesis {
                text: self.text(scored.beam.text),
                logit_score: scored.beam.logit,
                score: scored.score,
            })
            .collect()
    }

    /// One token tried on every beam, in beam order (the inner loop of a frame).
    fn extend_all(&mut self, beams: &[Beam], token: usize, logp: f64, out: &mut Vec<Beam>) {
        let Some(text_token) = self.decoder.vocabulary.token(token) else {
            out.extend(beams.iter().map(|beam| Beam {
                last: LAST_BLANK,
                logit: beam.logit + logp,
                ..*beam
            }));
            return;
        };
        for beam in beams {
            let next = if beam.last == text_token.label {
                Beam {
                    logit: beam.logit + logp,
                    ..*beam
                }
            } else if text_token.leading || self.force_next_break {
                self.force_next_break = text_token.trailing;
                Beam {
                    text: beam.text,
                    next_word: beam.word_part,
                    word_part: self.clean_piece(text_token),
                    last: text_token.label,
                    logit: beam.logit + logp,
                }
            } else {
                Beam {
                    word_part: self.extend(beam.word_part, text_token),
                    last: text_token.label,
                    logit: beam.logit + logp,
                    ..*beam
                }
            };
            out.push(next);
        }
    }

    fn clean_piece(&mut self, token: &TextToken) -> u32 {
        if let Some(id) = self.clean[token.label as usize] {
            return id;
        }
        let id = self.strings.intern(&token.clean).0;
        self.clean[token.label as usize] = Some(id);
        id
    }

    /// The word piece `word_part + label`.
    fn extend(&mut self, word_part: u32, token: &TextToken) -> u32 {
        if let Some(&id) = self.extended.get(&(word_part, token.label)) {
            return id;
        }
        let mut joined =
            String::with_capacity(self.strings.get(word_part).len() + token.text.len());
        joined.push_str(self.strings.get(word_part));
        joined.push_str(&token.text);
        let id = self.strings.intern(&joined).0;
        self.extended.insert((word_part, token.label), id);
        if let Some(lm) = self.decoder.lm {
            // Narrow the parent's unigram range while it is at hand.
            let within = self.range(lm, word_part);
            self.set_range(id, lm.prefix_range(within, &joined));
        }
        id
    }

    /// The unigrams string `id` is a prefix of.
    fn range(&mut self, lm: &LanguageModel<'_>, id: u32) -> Range<u32> {
        if let Some(Some(range)) = self.ranges.get(id as usize) {
            return range.clone();
        }
        let range = lm.prefix_range(lm.all_unigrams(), self.strings.get(id));
        self.set_range(id, range.clone());
        range
    }

    fn set_range(&mut self, id: u32, range: Range<u32>) {
        if self.ranges.len() <= id as usize {
            self.ranges.resize(self.strings.len(), None);
        }
        if self.ranges[id as usize].is_none() {
            self.ranges[id as usize] = Some(range);
        }
    }

    /// `_merge_tokens(text, word)` as a text node.
    fn append_word(&mut self, text: u32, word: u32) -> u32 {
        if word == EMPTY {
            return text;
        }
        if let Some(&child) = self.children.get(&(text, word)) {
            return child;
        }
        let child = self.texts.len() as u32;
        self.texts.push((text, word));
        self.children.insert((text, word), child);
        child
    }

    /// `_merge_beams`; each merged beam comes with its text once its word is added.
    fn merge(&mut self, beams: &[Beam]) -> Vec<(Beam, u32)> {
        let mut index = std::mem::take(&mut self.merge_index);
        index.clear();
        let mut merged: Vec<(Beam, u32)> = Vec::with_capacity(beams.len());
        for beam in beams {
            let text = self.append_word(beam.text, beam.next_word);
            let key = (text, beam.word_part, beam.last);
            match index.get(&key) {
                Some(&at) => {
                    let total = sum_log_scores(merged[at as usize].0.logit, beam.logit);
                    merged[at as usize].0 = Beam {
                        logit: total,
                        ..*beam
                    };
                }
                None => {
                    index.insert(key, merged.len() as u32);
                    merged.push((*beam, text));
                }
            }
        }
        self.merge_index = index;
        merged
    }

    /// `_get_lm_beams`: each beam's text made final and its score.
    fn score(&mut self, beams: &[(Beam, u32)], is_eos: bool) -> Vec<Scored> {
        beams
            .iter()
            .map(|(beam, text)| {
                let text = *text;
                let score = match self.decoder.lm {
                    None => beam.logit + 0.0 + 0.0,
                    Some(lm) => {
                        let mut lm_score = self.lm_entry(lm, beam, text, is_eos).score;
                        if beam.word_part != EMPTY {
                            lm_score += self.partial_score(lm, beam.word_part);
                        }
                        beam.logit + lm_score
                    }
                };
                Scored {
                    beam: Beam {
                        text,
                        next_word: EMPTY,
                        ..*beam
                    },
                    score,
                }
            })
            .collect()
    }

    /// `cached_lm_scores[(text, is_eos)]`, computed from the beam's previous text and its
    /// finished word the first time the text is seen.
    fn lm_entry(
        &mut self,
        lm: &LanguageModel<'_>,
        beam: &Beam,
        text: u32,
        is_eos: bool,
    ) -> LmEntry {
        let cache = usize::from(is_eos);
        if self.lm_cache[cache].len() <= text as usize {
            self.lm_cache[cache].resize(self.texts.len().max(text as usize + 1), None);
        }
        if let Some(entry) = self.lm_cache[cache][text as usize] {
            return entry;
        }
        let previous = self.lm_cache[0][beam.text as usize]
            .unwrap_or_else(|| unreachable!("every beam's text was scored when it was made"));
        let word = self.word_info(lm, beam.next_word);
        let (score, state) = lm.score(&previous.state, word, is_eos);
        let raw = previous.raw + score;
        let entry = LmEntry {
            score: raw + 0.0,
            raw,
            state,
        };
        self.lm_cache[cache][text as usize] = Some(entry);
        entry
    }

    fn word_info(&mut self, lm: &LanguageModel<'_>, word: u32) -> WordInfo {
        if let Some(Some(info)) = self.words.get(word as usize) {
            return *info;
        }
        let range = self.range(lm, word);
        let info = lm.word_info(self.strings.get(word), &range);
        if self.words.len() <= word as usize {
            self.words.resize(self.strings.len(), None);
        }
        self.words[word as usize] = Some(info);
        info
    }

    fn partial_score(&mut self, lm: &LanguageModel<'_>, word_part: u32) -> f64 {
        if let Some(Some(score)) = self.partial.get(word_part as usize) {
            return *score;
        }
        let range = self.range(lm, word_part);
        let score = lm.score_partial_token(self.strings.get(word_part), &range);
        if self.partial.len() <= word_part as usize {
            self.partial.resize(self.strings.len(), None);
        }
        self.partial[word_part as usize] = Some(score);
        score
    }

    /// Drop beams below the best by more than `beam_prune_logp`, then rank them stably.
    fn threshold(&self, scored: Vec<Scored>) -> Vec<Scored> {
        let best = scored
            .iter()
            .map(|s| s.score)
            .fold(f64::NEG_INFINITY, f64::max);
        let floor = best + self.decoder.config.beam_prune_logp;
        let mut kept: Vec<Scored> = scored.into_iter().filter(|s| s.score >= floor).collect();
        // Stable, and -0.0 == 0.0 as in Python.
        kept.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal));
        kept
    }

    /// A frame's pruning: threshold, keep `beam_width`, and with `prune_history` drop
    /// beams whose last n−1 words, word piece and last label repeat a better one's.
    fn prune(&self, scored: Vec<Scored>) -> Vec<Scored> {
        let config = self.decoder.config;
        let mut kept = self.threshold(scored);
        kept.truncate(config.beam_width);
        if !config.prune_history {
            return kept;
        }
        let order = self.decoder.lm.map_or(1, LanguageModel::order);
        let history = order.saturating_sub(1).max(1);
        let mut seen = BTreeSet::new();
        kept.retain(|scored| {
            let beam = scored.beam;
            seen.insert((
                self.last_words(beam.text, history),
                beam.word_part,
                beam.last,
            ))
        });
        kept
    }

    /// The last `count` words of a text, newest first, padded.
    fn last_words(&self, mut text: u32, count: usize) -> [u32; MAX_ORDER] {
        let mut words = [u32::MAX; MAX_ORDER];
        for slot in words.iter_mut().take(count) {
            if text == EMPTY {
                break;
            }
            let (parent, word) = self.texts[text as usize];
            *slot = word;
            text = parent;
        }
        words
    }

    fn text(&self, mut node: u32) -> String {
        let mut words = Vec::new();
        while node != EMPTY {
            let (parent, word) = self.texts[node as usize];
            words.push(self.strings.get(word));
            node = parent;
        }
        words.reverse();
        words.join(" ")
    }
}
