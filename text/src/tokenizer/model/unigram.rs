//! `unigram::Model::EncodeOptimized` (sentencepiece's default unigram encoder): Viterbi
//! over the lattice of every vocabulary piece that occurs in the text, keeping for each
//! byte position the best-scoring path that ends there.
//!
//! The lattice holds normal and user-defined pieces (unused ones are skipped; control,
//! unknown and byte pieces are never matched against text). A user-defined symbol scores
//! `length_in_bytes * max_score - 0.1`, so it wins over the pieces it covers; a character
//! that no single piece covers gets an `<unk>` node scoring `min_score - 10`. The
//! arithmetic is sentencepiece's to the bit: piece scores are added in `f64` to the `f32`
//! path score and compared in `f64`, the unknown node's in `f32`, and the first candidate
//! wins ties (shorter paths, then earlier starts, are tried first).

use crate::tokenizer::trie::Trie;
use crate::tokenizer::vocab::{PieceType, Vocab};

/// `kUnkPenalty`.
const UNK_PENALTY: f32 = 10.0;

#[derive(Debug, Clone)]
pub struct Unigram {
    /// Normal, user-defined and unused pieces by their text.
    trie: Trie,
    /// Lowest and highest score of a normal piece; sentencepiece starts them at FLT_MAX
    /// and FLT_MIN (the smallest *positive* float), so `max_score` is never negative.
    min_score: f32,
    max_score: f32,
}

/// The best path ending at one position: its last piece and total score.
#[derive(Debug, Clone, Copy)]
struct BestPath {
    id: u32,
    score: f32,
    /// Where the last piece starts; `None` while no path ends here.
    starts_at: Option<usize>,
}

impl Unigram {
    pub fn new(vocab: &Vocab) -> Result<Self, String> {
        let trie = Trie::new(vocab.model_pieces());
        if trie.is_empty() {
            return Err("unigram model without normal pieces".to_owned());
        }
        let (mut min_score, mut max_score) = (f32::MAX, f32::MIN_POSITIVE);
        for piece in vocab.pieces() {
            if piece.kind == PieceType::Normal {
                min_score = min_score.min(piece.score);
                max_score = max_score.max(piece.score);
            }
        }
        Ok(Self {
            trie,
            min_score,
            max_score,
        })
    }

    pub fn encode<'a>(&self, normalized: &'a str, vocab: &Vocab) -> Vec<(&'a str, u32)> {
        let unk = BestPath {
            id: vocab.unk_id(),
            score: 0.0,
            starts_at: None,
        };
        let mut best = vec![unk; normalized.len() + 1];
        let unk_score = self.min_score - UNK_PENALTY;
        for (starts_at, c) in normalized.char_indices() {
            let so_far = best[starts_at].score;
            let mut covers_one_char = false;
            for (length, id) in self.trie.prefixes(&normalized.as_bytes()[starts_at..]) {
                let Some(piece) = vocab.get(id) else { continue };
                let score = match piece.kind {
                    PieceType::Unused => continue,
                    PieceType::UserDefined => f64::from(length as f32 * self.max_score) - 0.1,
                    _ => f64::from(piece.score),
                };
                let candidate = score + f64::from(so_far);
                let target = &mut best[starts_at + length];
                if target.starts_at.is_none() || candidate > f64::from(target.score) {
                    *target = BestPath {
                        id,
                        score: candidate as f32,
                        starts_at: Some(starts_at),
                    };
                }
                covers_one_char |= length == c.len_utf8();
            }
            if !covers_one_char {
                let candidate = unk_score + so_far;
                let target = &mut best[starts_at + c.len_utf8()];
                if target.starts_at.is_none() || candidate > target.score {
                    *target = BestPath {
                        id: vocab.unk_id(),
                        score: candidate,
                        starts_at: Some(starts_at),
                    };
                }
            }
        }
        let mut pieces = Vec::new();
        let mut ends_at = normalized.len();
        while let Some(BestPath {
            id,
            starts_at: Some(starts_at),
            ..
        }) = best.get(ends_at).copied()
        {
            pieces.push((&normalized[starts_at..ends_at], id));
            ends_at = starts_at;
        }
        pieces.reverse();
        pieces
    }
}
