//! Turning ARPA entries into the reversed trie of [`Model`], with KenLM's loading rules
//! (`lm/search_hashed.cc` `ReadNGrams`, `lm/read_arpa.hh`):
//! - `<unk>` (or `<UNK>`) is word 0; without one, it gets log10 probability −100 and a
//!   +0.0 backoff; `<s>` and `</s>` must be listed;
//! - a backoff of 0 (written or missing) is stored as −0.0, "no extension"; an n-gram that
//!   is the context of a longer one is switched to +0.0 so states keep it;
//! - the context (first n−1 words) of every n-gram must exist;
//! - a missing *suffix* (last n−1 words) becomes a blank n-gram whose probability is the
//!   backed-off one, summed in float32 in KenLM's order (`FindLower`/`AdjustLower`);
//! - the highest order may not have non-zero backoffs.
//!
//! Unlike KenLM, an n-gram listed twice is an error (KenLM keeps one silently).

use super::arpa::{Entry, Sink};
use super::model::{Level, MAX_ORDER, Model, NO_EXTENSION, UNK, WordId};
use crate::table::{Interner, mix64};

/// KenLM's `Config::unknown_missing_logprob`.
const UNKNOWN_MISSING_LOG10: f32 = -100.0;

/// The n-grams of one order ≥ 2 while loading, with a hash index over their words.
#[derive(Debug, Default)]
struct Order {
    n: usize,
    /// `n` words per entry, in natural order.
    words: Vec<WordId>,
    probs: Vec<f32>,
    backoffs: Vec<f32>,
    /// The entry's suffix (its last n−1 words) in the order below, or for bigrams the
    /// last word's id: its parent in the reversed trie.
    suffix: Vec<u32>,
    /// Slot → entry + 1 (0 = empty).
    slots: Vec<u32>,
}

fn hash_words(words: &[WordId]) -> u64 {
    words.iter().fold(0x9e37_79b9_7f4a_7c15, |hash, &word| {
        mix64(hash ^ u64::from(word))
    })
}

impl Order {
    fn new(n: usize, expected: u64) -> Self {
        let expected = usize::try_from(expected).unwrap_or(0).min(1 << 28);
        Self {
            n,
            words: Vec::with_capacity(expected * n),
            probs: Vec::with_capacity(expected),
            backoffs: Vec::with_capacity(expected),
            suffix: Vec::with_capacity(expected),
            slots: vec![0; (expected.max(4) * 2).next_power_of_two()],
        }
    }

    fn len(&self) -> usize {
        self.probs.len()
    }

    fn entry_words(&self, entry: usize) -> &[WordId] {
        &self.words[entry * self.n..(entry + 1) * self.n]
    }

    /// The slot holding `words`, or the empty slot where they would go.
    fn slot(&self, words: &[WordId]) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = hash_words(words) as usize & mask;
        loop {
            match self.slots[at] {
                0 => return at,
                entry if self.entry_words(entry as usize - 1) == words => return at,
                _ => at = (at + 1) & mask,
            }
        }
    }

    fn find(&self, words: &[WordId]) -> Option<usize> {
        match self.slots[self.slot(words)] {
            0 => None,
            entry => Some(entry as usize - 1),
        }
    }

    /// The entry of `words`, added (with probability 0, no backoff) if absent; `true`
    /// when it was added.
    fn find_or_add(&mut self, words: &[WordId]) -> (usize, bool) {
        let at = self.slot(words);
        if self.slots[at] != 0 {
            return (self.slots[at] as usize - 1, false);
        }
        let entry = self.len();
        self.words.extend_from_slice(words);
        self.probs.push(0.0);
        self.backoffs.push(NO_EXTENSION);
        self.suffix.push(u32::MAX);
        self.slots[at] = entry as u32 + 1;
        if self.len() * 2 > self.slots.len() {
            self.slots = vec![0; self.slots.len() * 2];
            for entry in 0..self.len() {
                let at = self.slot(self.entry_words(entry));
                self.slots[at] = entry as u32 + 1;
            }
        }
        (entry, true)
    }

    /// Free the index and the words, which only loading needs, keeping each entry's
    /// first (oldest) word: its key among its parent's children in the trie.
    fn take_first_words(&mut self) -> Vec<WordId> {
        self.slots = Vec::new();
        let words = std::mem::take(&mut self.words);
        words.chunks_exact(self.n).map(|ngram| ngram[0]).collect()
    }
}

/// KenLM's `SetExtension`: any zero backoff becomes +0.0 ("keep me in the state").
fn set_extension(backoff: &mut f32) {
    if *backoff == 0.0 {
        *backoff = 0.0;
    }
}

/// Receives [`Entry`]s from the ARPA reader and builds the [`Model`].
#[derive(Debug, Default)]
pub(crate) struct Builder {
    declared: Vec<u64>,
    vocab: Interner,
    saw_unk: bool,
    unigram_probs: Vec<f32>,
    unigram_backoffs: Vec<f32>,
    three_tab: Vec<bool>,
    /// `higher[k]` holds the (k+2)-grams.
    higher: Vec<Order>,
    ids: Vec<WordId>,
}

impl Sink for Builder {
    fn counts(&mut self, counts: &[u64]) -> Result<(), String> {
        if counts.is_empty() {
            return Err("\\data\\ declares no n-gram orders".to_owned());
        }
        self.declared = counts.to_vec();
        let unigrams = usize::try_from(counts[0]).unwrap_or(0).min(1 << 28) + 1;
        self.vocab = Interner::with_capacity(unigrams);
        self.vocab.intern("<unk>");
        self.unigram_probs = vec![UNKNOWN_MISSING_LOG10];
        self.unigram_backoffs = vec![0.0];
        self.three_tab = vec![false];
        self.higher = (2..=counts.len())
            .map(|n| Order::new(n, counts[n - 1]))
            .collect();
        Ok(())
    }

    fn entry(&mut self, entry: &Entry<'_>) -> Result<(), String> {
        let prob = -entry.prob.abs();
        if entry.order == 1 {
            return self.unigram(entry, prob);
        }
        self.ids.clear();
        for word in entry.words {
            let id = match self.vocab.find(word) {
                Some(id) => id,
                None if *word == "<UNK>" => UNK,
                None => {
                    return Err(format!(
                        "word {word:?} is not among the unigrams (which must list the whole vocabulary)"
                    ));
                }
            };
            self.ids.push(id);
        }
        let highest = entry.order == self.declared.len();
        let backoff = match entry.backoff {
            Some(value) if highest && value != 0.0 => {
                return Err(format!(
                    "non-zero backoff {value} on a {}-gram, the highest order",
                    entry.order
                ));
            }
            Some(value) if value != 0.0 => value,
            _ => NO_EXTENSION,
        };
        let ids = std::mem::take(&mut self.ids);
        let result = self.ngram(&ids, prob, backoff);
        self.ids = ids;
        result
    }
}

impl Builder {
    fn unigram(&mut self, entry: &Entry<'_>, prob: f32) -> Result<(), String> {
        let word = entry.words[0];
        let backoff = match entry.backoff {
            Some(value) if value != 0.0 => value,
            _ => NO_EXTENSION,
        };
        let id = if word == "<unk>" || word == "<UNK>" {
            if self.saw_unk {
                return Err(format!("unigram {word:?} is listed twice"));
            }
            self.saw_unk = true;
            UNK
        } else {
            let (id, added) = self.vocab.intern(word);
            if !added {
                return Err(format!("unigram {word:?} is listed twice"));
            }
            self.unigram_probs.push(0.0);
            self.unigram_backoffs.push(0.0);
            self.three_tab.push(false);
            id
        };
        let at = id as usize;
        self.unigram_probs[at] = prob;
        self.unigram_backoffs[at] = backoff;
        self.three_tab[at] = entry.three_tab_fields;
        Ok(())
    }

    /// One n-gram of order ≥ 2: insert it, give it its suffix chain (blanks), and mark its
    /// context as extended — `ReadNGrams` per line.
    fn ngram(&mut self, words: &[WordId], prob: f32, backoff: f32) -> Result<(), String> {
        let n = words.len();
        let order = &mut self.higher[n - 2];
        let (entry, added) = order.find_or_add(words);
        if !added {
            return Err(format!("{n}-gram listed twice"));
        }
        order.probs[entry] = prob;
        order.backoffs[entry] = backoff;
        let suffix = self.fill_missing_suffixes(words);
        self.higher[n - 2].suffix[entry] = suffix;
        let context = &words[..n - 1];
        if n == 2 {
            set_extension(&mut self.unigram_backoffs[context[0] as usize]);
        } else {
            let order = &mut self.higher[n - 3];
            let Some(found) = order.find(context) else {
                return Err(format!(
                    "the context (first {} words) of this {n}-gram is not listed as a {}-gram",
                    n - 1,
                    n - 1
                ));
            };
            set_extension(&mut order.backoffs[found]);
        }
        Ok(())
    }

    /// `FindLower` + `AdjustLower`: insert blanks for the missing suffixes of `words`
    /// (longest first) down to the longest one that exists (the basis), then give each
    /// blank the basis probability plus the backoffs of its contexts, in float32. Returns
    /// the entry of the n-gram's own suffix (the last word for a bigram).
    fn fill_missing_suffixes(&mut self, words: &[WordId]) -> u32 {
        let n = words.len();
        let last = words[n - 1];
        // chain[k]: the entry of the suffix of order n-1-k, found or a new blank.
        let mut found = [0usize; MAX_ORDER];
        let mut length = 0;
        let mut basis = 1;
        for m in (2..n).rev() {
            let (entry, added) = self.higher[m - 2].find_or_add(&words[n - m..]);
            found[length] = entry;
            length += 1;
            if !added {
                basis = m;
                break;
            }
        }
        let chain = &found[..length];
        // Link each new blank to its suffix (the next entry of the chain, or the word).
        for (k, &entry) in chain.iter().enumerate() {
            let m = n - 1 - k;
            if m > basis {
                let below = chain.get(k + 1).map_or(last, |&e| e as u32);
                self.higher[m - 2].suffix[entry] = below;
            }
        }
        if basis < n - 1 {
            let mut prob = if basis == 1 {
                self.unigram_probs[last as usize]
            } else {
                self.higher[basis - 2].probs[chain[n - 1 - basis]]
            };
            prob = -prob.abs();
            for order_of_blank in basis + 1..n {
                // The blank's context: the `order_of_blank - 1` words before the last one.
                let context = &words[n - order_of_blank..n - 1];
                if context.len() == 1 {
                    let backoff = &mut self.unigram_backoffs[context[0] as usize];
                    set_extension(backoff);
                    prob += *backoff;
                } else {
                    let order = &mut self.higher[context.len() - 2];
                    if let Some(found) = order.find(context) {
                        set_extension(&mut order.backoffs[found]);
                        prob += order.backoffs[found];
                    }
                }
                let blank = chain[n - 1 - order_of_blank];
                self.higher[order_of_blank - 2].probs[blank] = prob;
            }
        }
        chain.first().map_or(last, |&entry| entry as u32)
    }

    /// Check the special words and lay the n-grams out as the reversed trie.
    pub(crate) fn finish(self, source_sha256: [u8; 32]) -> Result<Model, String> {
        let bos = self
            .vocab
            .find("<s>")
            .ok_or("no <s> unigram (KenLM needs one too)")?;
        let eos = self
            .vocab
            .find("</s>")
            .ok_or("no </s> unigram (KenLM needs one too)")?;
        let order = self.declared.len();
        let mut unigram_probs = self.unigram_probs;
        let mut unigram_backoffs = self.unigram_backoffs;
        if !self.saw_unk {
            unigram_probs[UNK as usize] = UNKNOWN_MISSING_LOG10;
            unigram_backoffs[UNK as usize] = 0.0;
        }
        if order == 1 {
            unigram_backoffs.clear();
        }
        let vocab_size = unigram_probs.len();
        let mut levels = vec![Level {
            words: Vec::new(),
            probs: unigram_probs,
            backoffs: unigram_backoffs,
            children: Vec::new(),
        }];
        // Node index (in its level) of every loading entry of the previous order; at
        // level 1 the node is the word id.
        let mut previous_nodes: Vec<u32> = (0..vocab_size as u32).collect();
        for mut current in self.higher {
            let first_words = current.take_first_words();
            let mut layout: Vec<(u32, WordId, u32)> = (0..current.len())
                .map(|entry| {
                    let parent = previous_nodes
                        .get(current.suffix[entry] as usize)
                        .copied()
                        .unwrap_or(u32::MAX);
                    (parent, first_words[entry], entry as u32)
                })
                .collect();
            layout.sort_unstable();
            let highest = current.n == order;
            let level = Level {
                words: layout.iter().map(|&(_, word, _)| word).collect(),
                probs: layout
                    .iter()
                    .map(|&(_, _, entry)| current.probs[entry as usize])
                    .collect(),
                backoffs: if highest {
                    Vec::new()
                } else {
                    layout
                        .iter()
                        .map(|&(_, _, entry)| current.backoffs[entry as usize])
                        .collect()
                },
                children: Vec::new(),
            };
            let parent = levels.len() - 1;
            let parents = levels[parent].len();
            levels[parent].children = child_offsets(parents, layout.iter().map(|&(p, _, _)| p));
            let mut nodes = vec![0u32; current.len()];
            for (node, &(_, _, entry)) in layout.iter().enumerate() {
                nodes[entry as usize] = node as u32;
            }
            levels.push(level);
            previous_nodes = nodes;
        }
        Ok(Model {
            order,
            vocab: self.vocab,
            levels,
            bos,
            eos,
            counts: self.declared,
            three_tab_unigrams: self.three_tab,
            source_sha256,
        })
    }
}

/// CSR offsets: `offsets[p]..offsets[p + 1]` are the children of parent `p`, given the
/// children's parents in sorted order.
fn child_offsets(parents: usize, children: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut offsets = vec![0u32; parents + 1];
    for parent in children {
        if let Some(slot) = offsets.get_mut(parent as usize + 1) {
            *slot += 1;
        }
    }
    for at in 1..offsets.len() {
        offsets[at] += offsets[at - 1];
    }
    offsets
}
