//! The in-memory back-off model and its queries, with KenLM's semantics (`lm/model.cc`,
//! probing model) down to the float: same state, same order of float32 additions, so a
//! score here is bit-identical to `kenlm.Model.BaseScore` on the same ARPA file.
//!
//! Storage is a trie over *reversed* n-grams in sorted arrays: level 1 is indexed by word
//! id; the children of an n-gram node are the (n+1)-grams that extend it one word to the
//! *left*, sorted by that word. Scoring `w` after context `h1 h2 ...` (most recent first)
//! walks `w → h1 → h2 ...`, and the same walk while scoring `h1` gave the backoffs of the
//! contexts `h1`, `h2 h1`, ..., which the [`State`] carries, as KenLM's does. Missing
//! suffixes of listed n-grams (SRILM-pruned files) exist as "blank" nodes whose
//! probability is the backed-off one, exactly as KenLM inserts them.

use crate::table::Interner;

/// Highest supported order: KenLM's default build (`KENLM_MAX_ORDER=6`, also PyPI's
/// `kenlm`) cannot load more either.
pub const MAX_ORDER: usize = 6;

/// A vocabulary index; 0 is `<unk>`, as in KenLM.
pub type WordId = u32;

/// The unknown word's id.
pub const UNK: WordId = 0;

/// KenLM's `kNoExtensionBackoff`: a backoff of −0.0 means "no longer n-gram has this one
/// as context", so a state can forget it. Any other bit pattern (+0.0 included) keeps it.
pub(crate) const NO_EXTENSION: f32 = -0.0;

pub(crate) fn has_extension(backoff: f32) -> bool {
    backoff.to_bits() != NO_EXTENSION.to_bits()
}

/// The left context of the next word, as KenLM's `lm::ngram::State`: the most recent
/// words (newest first) that can still matter, and the backoff of each context they form.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct State {
    pub(crate) words: [WordId; MAX_ORDER - 1],
    pub(crate) backoffs: [f32; MAX_ORDER - 1],
    pub(crate) length: u8,
}

impl State {
    /// Context words, newest first.
    pub fn words(&self) -> &[WordId] {
        &self.words[..usize::from(self.length)]
    }
}

/// `lm::FullScoreReturn` without the rest cost: log10 p(word | state) and the length of
/// the n-gram that matched (blanks included, as KenLM counts them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FullScore {
    pub log10_prob: f32,
    pub ngram_length: u8,
}

/// One order of the trie. `words` is empty at level 1, whose node index is the word id;
/// `backoffs` and `children` are empty at the highest order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Level {
    pub words: Vec<WordId>,
    /// Stored as KenLM returns them: `-|p|` (its sign bit doubles as a flag internally).
    pub probs: Vec<f32>,
    pub backoffs: Vec<f32>,
    /// `children[node]..children[node + 1]` are the node's children in the next level.
    pub children: Vec<u32>,
}

impl Level {
    pub(crate) fn len(&self) -> usize {
        self.probs.len()
    }

    fn heap_bytes(&self) -> usize {
        (self.words.capacity() + self.children.capacity()) * 4
            + (self.probs.capacity() + self.backoffs.capacity()) * 4
    }
}

/// An n-gram back-off language model loaded from an ARPA file (see [`super::load`]).
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) order: usize,
    pub(crate) vocab: Interner,
    pub(crate) levels: Vec<Level>,
    pub(crate) bos: WordId,
    pub(crate) eos: WordId,
    /// Real n-grams per order (as the ARPA header declares; blanks not counted).
    pub(crate) counts: Vec<u64>,
    /// Per word id: listed as `prob<TAB>word<TAB>backoff` (see `arpa::Entry`).
    pub(crate) three_tab_unigrams: Vec<bool>,
    /// SHA-256 of the ARPA file the model was read from.
    pub(crate) source_sha256: [u8; 32],
}

impl Model {
    pub fn order(&self) -> usize {
        self.order
    }

    /// Vocabulary size, `<unk>` included.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// N-grams per order as the ARPA file lists them.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// SHA-256 of the ARPA file this model was read from (for lineage records).
    pub fn source_sha256(&self) -> [u8; 32] {
        self.source_sha256
    }

    /// [`Model::source_sha256`] as lower-case hex.
    pub fn source_sha256_hex(&self) -> String {
        self.source_sha256
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// KenLM's `vocab.Index(word)`: unknown words (and `<unk>`, `<UNK>`) are [`UNK`].
    pub fn index(&self, word: &str) -> WordId {
        self.vocab.find(word).unwrap_or(UNK)
    }

    /// Every word of the vocabulary, in id order (`<unk>` first).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        (0..self.vocab.len() as u32).map(|id| self.vocab.get(id))
    }

    /// `word in kenlm.Model`: whether the word has an id of its own.
    pub fn contains(&self, word: &str) -> bool {
        self.index(word) != UNK
    }

    /// The word of an id (`<unk>` for 0).
    pub fn word(&self, id: WordId) -> Option<&str> {
        ((id as usize) < self.vocab.len()).then(|| self.vocab.get(id))
    }

    pub fn begin_sentence_id(&self) -> WordId {
        self.bos
    }

    pub fn end_sentence_id(&self) -> WordId {
        self.eos
    }

    /// The words pyctcdecode's `load_unigram_set_from_arpa` would read from the ARPA file
    /// this model came from (unigram lines with exactly three tab-separated fields), in
    /// vocabulary order.
    pub fn arpa_unigram_list(&self) -> impl Iterator<Item = &str> {
        self.three_tab_unigrams
            .iter()
            .enumerate()
            .filter(|&(_, &listed)| listed)
            .map(|(id, _)| self.vocab.get(id as u32))
    }

    /// `BeginSentenceWrite`: the context `<s>`.
    pub fn begin_sentence(&self) -> State {
        let mut state = State {
            length: 1,
            ..State::default()
        };
        state.words[0] = self.bos;
        state.backoffs[0] = self.levels[0]
            .backoffs
            .get(self.bos as usize)
            .copied()
            .unwrap_or(0.0);
        state
    }

    /// `NullContextWrite`: no context.
    pub fn null_context(&self) -> State {
        State::default()
    }

    /// `BaseScore`: log10 p(word | state) and the state after it.
    pub fn score(&self, state: &State, word: WordId) -> (f32, State) {
        let (full, out) = self.full_score(state, word);
        (full.log10_prob, out)
    }

    /// `BaseFullScore` / `FullScore` (`lm/model.cc`): the longest matching n-gram's
    /// probability plus the backoffs of the longer contexts, added in KenLM's order.
    pub fn full_score(&self, state: &State, word: WordId) -> (FullScore, State) {
        let word = if (word as usize) < self.vocab.len() {
            word
        } else {
            UNK
        };
        let unigrams = &self.levels[0];
        let mut out = State::default();
        out.words[0] = word;
        let mut prob = unigrams.probs[word as usize];
        let mut ngram_length: u8 = 1;
        let mut next_use: u8 = 0;
        if self.order > 1 {
            let backoff = unigrams.backoffs[word as usize];
            out.backoffs[0] = backoff;
            next_use = u8::from(has_extension(backoff));
        }
        let context = usize::from(state.length);
        let mut node = word;
        for (position, &context_word) in state.words[..context].iter().enumerate() {
            let level = position + 1;
            let Some(child) = self.child(level - 1, node, context_word) else {
                break;
            };
            let found = &self.levels[level];
            prob = found.probs[child as usize];
            ngram_length = (level + 1) as u8;
            if level + 1 == self.order {
                break;
            }
            let backoff = found.backoffs[child as usize];
            out.backoffs[level] = backoff;
            if has_extension(backoff) {
                next_use = ngram_length;
            }
            node = child;
        }
        out.length = next_use;
        let kept = usize::from(next_use.saturating_sub(1));
        out.words[1..=kept].copy_from_slice(&state.words[..kept]);
        for &backoff in &state.backoffs[usize::from(ngram_length) - 1..context] {
            prob += backoff;
        }
        let full = FullScore {
            log10_prob: prob,
            ngram_length,
        };
        (full, out)
    }

    /// The child of `node` (at level `level`) whose added left word is `word`.
    fn child(&self, level: usize, node: WordId, word: WordId) -> Option<WordId> {
        let children = &self.levels[level].children;
        let start = *children.get(node as usize)? as usize;
        let end = *children.get(node as usize + 1)? as usize;
        let words = &self.levels[level + 1].words[start..end];
        words
            .binary_search(&word)
            .ok()
            .map(|offset| (start + offset) as WordId)
    }

    /// `kenlm.Model.score(sentence, bos, eos)`: the sentence is split at whitespace and
    /// the log10 probabilities summed in float32, as the Python module does.
    pub fn score_sentence(&self, sentence: &str, bos: bool, eos: bool) -> f32 {
        self.full_scores(sentence, bos, eos)
            .iter()
            .fold(0.0f32, |total, score| total + score.log10_prob)
    }

    /// `kenlm.Model.full_scores(sentence, bos, eos)`: one score per word (and `</s>`).
    pub fn full_scores(&self, sentence: &str, bos: bool, eos: bool) -> Vec<FullScore> {
        let mut state = if bos {
            self.begin_sentence()
        } else {
            self.null_context()
        };
        let mut scores = Vec::new();
        let words = sentence.split_whitespace().map(|word| self.index(word));
        for word in words.chain(eos.then_some(self.eos)) {
            let (score, next) = self.full_score(&state, word);
            scores.push(score);
            state = next;
        }
        scores
    }

    /// Heap bytes held by the model, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.vocab.heap_bytes()
            + self.levels.iter().map(Level::heap_bytes).sum::<usize>()
            + self.three_tab_unigrams.capacity()
    }
}
