//! `bpe::Model::SampleEncode` without dropout (sentencepiece 0.2.3): start from
//! characters (user-defined symbols whole and frozen), repeatedly merge the adjacent pair
//! whose concatenation is the highest-scoring normal, user-defined or unused piece (the
//! leftmost on ties; scores ordered by their IEEE bits, so -0.0 < 0.0), and finally split
//! merged pieces that are marked unused back into the pair they were made of. A final
//! piece that is reserved, or unused with no pair to split into, becomes `<unk>`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use crate::tokenizer::vocab::{PieceType, Vocab};

/// `kMaxBpeResegmentDepth`: deeper unused-merge chains are emitted as they are.
const MAX_RESEGMENT_DEPTH: usize = 100;

/// A symbol of the working sequence: a byte range of the text, linked to its neighbours.
#[derive(Debug, Clone, Copy)]
struct Symbol {
    start: usize,
    end: usize,
    prev: Option<usize>,
    next: Option<usize>,
    /// A user-defined symbol: never merged.
    frozen: bool,
}

/// A possible merge of `symbols[left]` and `symbols[right]`, valid while their combined
/// length is still `length` (sentencepiece's staleness test).
#[derive(Debug, Clone, Copy)]
struct Merge {
    score: f32,
    left: usize,
    right: usize,
    length: usize,
}

impl Ord for Merge {
    /// Higher score first, then the leftmost (`SymbolPairComparator`, which compares the
    /// scores' bit patterns: `total_cmp`'s order).
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Merge {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Merge {}

/// The merge state of one text.
struct Merger<'a, 'v> {
    text: &'a str,
    vocab: &'v Vocab,
    symbols: Vec<Symbol>,
    agenda: BinaryHeap<Merge>,
    /// Unused merged piece → the two pieces it was made of (`rev_merge`).
    unmerge: BTreeMap<&'a str, (&'a str, &'a str)>,
}

pub fn encode<'a>(normalized: &'a str, vocab: &Vocab) -> Vec<(&'a str, u32)> {
    let mut merger = Merger::new(normalized, vocab);
    merger.merge_all();
    merger.into_pieces()
}

impl<'a, 'v> Merger<'a, 'v> {
    fn new(text: &'a str, vocab: &'v Vocab) -> Self {
        let mut symbols: Vec<Symbol> = Vec::with_capacity(text.len());
        let mut start = 0;
        while start < text.len() {
            let (length, frozen) = vocab.prefix_match(&text[start..]);
            let index = symbols.len();
            symbols.push(Symbol {
                start,
                end: start + length,
                prev: index.checked_sub(1),
                next: (start + length < text.len()).then_some(index + 1),
                frozen,
            });
            start += length;
        }
        let mut merger = Self {
            text,
            vocab,
            symbols,
            agenda: BinaryHeap::new(),
            unmerge: BTreeMap::new(),
        };
        for right in 1..merger.symbols.len() {
            merger.consider(Some(right - 1), Some(right));
        }
        merger
    }

    fn piece(&self, index: usize) -> &'a str {
        let symbol = &self.symbols[index];
        &self.text[symbol.start..symbol.end]
    }

    /// `MaybeAddNewSymbolPair`: queue the merge of two neighbours if it makes a piece.
    fn consider(&mut self, left: Option<usize>, right: Option<usize>) {
        let (Some(left), Some(right)) = (left, right) else {
            return;
        };
        let (l, r) = (self.symbols[left], self.symbols[right]);
        if l.frozen || r.frozen {
            return;
        }
        let merged = &self.text[l.start..r.end];
        let Some(id) = self
            .vocab
            .lookup(merged)
            .filter(|&id| !self.vocab.is_reserved(id))
        else {
            return;
        };
        let Some(piece) = self.vocab.get(id) else {
            return;
        };
        self.agenda.push(Merge {
            score: piece.score,
            left,
            right,
            length: merged.len(),
        });
        if piece.kind == PieceType::Unused {
            self.unmerge
                .insert(merged, (self.piece(left), self.piece(right)));
        }
    }

    fn merge_all(&mut self) {
        while let Some(merge) = self.agenda.pop() {
            let (l, r) = (self.symbols[merge.left], self.symbols[merge.right]);
            let stale = l.start == l.end
                || r.start == r.end
                || (l.end - l.start) + (r.end - r.start) != merge.length;
            if stale {
                continue;
            }
            self.symbols[merge.left].end = r.end;
            self.symbols[merge.left].next = r.next;
            if let Some(next) = r.next {
                self.symbols[next].prev = Some(merge.left);
            }
            self.symbols[merge.right].end = r.start;
            self.consider(l.prev, Some(merge.left));
            self.consider(Some(merge.left), r.next);
        }
    }

    fn into_pieces(self) -> Vec<(&'a str, u32)> {
        let mut pieces = Vec::new();
        let mut index = (!self.symbols.is_empty()).then_some(0);
        while let Some(at) = index {
            self.resegment(self.piece(at), 0, &mut pieces);
            index = self.symbols[at].next;
        }
        pieces
    }

    /// Emit `piece`, split recursively into the pair it was merged from while unused.
    fn resegment(&self, piece: &'a str, depth: usize, out: &mut Vec<(&'a str, u32)>) {
        let unk = self.vocab.unk_id();
        let id = self.vocab.lookup(piece).unwrap_or(unk);
        if depth > MAX_RESEGMENT_DEPTH {
            out.push((piece, id));
        } else if self.vocab.is_reserved(id) {
            out.push((piece, unk));
        } else if self.vocab.kind(id) != PieceType::Unused {
            out.push((piece, id));
        } else if let Some(&(left, right)) = self.unmerge.get(piece) {
            self.resegment(left, depth + 1, out);
            self.resegment(right, depth + 1, out);
        } else {
            out.push((piece, unk));
        }
    }
}
