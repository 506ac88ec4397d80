//! `unigram::Model::EncodeOptimized` (sentencepiece 0.2.3's only unigram encoder):
//! Viterbi over the lattice of every vocabulary piece that occurs in the text, keeping
//! for each byte position the best-scoring path that ends there.
//!
//! The lattice holds normal and user-defined pieces (unused ones are skipped; control,
//! unknown and byte pieces are never matched against text). A user-defined symbol of
//! `n` bytes scores `0.1 * (n - 1)`, above any log probability, so it always wins; a
//! character that no single piece covers gets an `<unk>` node scoring `min_score - 10`
//! (`min_score`: the lowest normal piece's). The arithmetic is sentencepiece's to the
//! bit, which decides ties: `f32` sums, the first candidate kept unless a later one is
//! strictly better (shorter paths, then earlier starts, are tried first), and path
//! scores rebased to 0 whenever one leaves ±100,000 (`kScoreResetThreshold`).

use crate::tokenizer::trie::Trie;
use crate::tokenizer::vocab::{PieceType, Vocab};

/// `kUnkPenalty`.
const UNK_PENALTY: f32 = 10.0;
/// `kScoreResetThreshold`.
const SCORE_RESET_THRESHOLD: f32 = 100_000.0;

#[derive(Debug, Clone)]
pub struct Unigram {
    /// Normal, user-defined and unused pieces by their text.
    trie: Trie,
    /// The lowest score of a normal piece (`f32::MAX` if there is none).
    min_score: f32,
}

/// The best path ending at one position: its last piece and total score.
#[derive(Debug, Clone, Copy)]
struct BestPath {
    id: u32,
    score: f32,
    /// Where the last piece starts; `None` while no path ends here.
    starts_at: Option<usize>,
}

impl BestPath {
    /// Keep `(id, score, starts_at)` if nothing ends here yet or it scores strictly more.
    fn offer(&mut self, id: u32, score: f32, starts_at: usize) {
        if self.starts_at.is_none() || score > self.score {
            *self = Self {
                id,
                score,
                starts_at: Some(starts_at),
            };
        }
    }
}

/// `GetUserDefinedScore`: longer symbols first, each beating any log probability.
fn user_defined_score(length: usize) -> f32 {
    (0.1 * (length as f64 - 1.0)) as f32
}

impl Unigram {
    pub fn new(vocab: &Vocab) -> Result<Self, String> {
        if let Some(piece) = vocab.pieces().iter().find(|p| !p.score.is_finite()) {
            return Err(format!("piece {:?} has score {}", piece.piece, piece.score));
        }
        let trie = Trie::new(vocab.lookup_pieces());
        if trie.is_empty() {
            return Err("unigram model without normal pieces".to_owned());
        }
        let min_score = vocab
            .pieces()
            .iter()
            .filter(|piece| piece.kind == PieceType::Normal)
            .map(|piece| piece.score)
            .fold(f32::MAX, f32::min);
        Ok(Self { trie, min_score })
    }

    pub fn encode<'a>(&self, normalized: &'a str, vocab: &Vocab) -> Vec<(&'a str, u32)> {
        let nothing = BestPath {
            id: vocab.unk_id(),
            score: 0.0,
            starts_at: None,
        };
        let mut best = vec![nothing; normalized.len() + 1];
        let unk_score = self.min_score - UNK_PENALTY;
        // The furthest position a path reaches so far.
        let mut frontier = 0;
        for (starts_at, c) in normalized.char_indices() {
            let mut so_far = best[starts_at].score;
            if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&so_far) {
                for (at, path) in best
                    .iter_mut()
                    .enumerate()
                    .take(frontier + 1)
                    .skip(starts_at)
                {
                    if at == starts_at || path.starts_at.is_some() {
                        path.score -= so_far;
                    }
                }
                so_far = 0.0;
            }
            let mut covers_one_char = false;
            for (length, id) in self.trie.prefixes(&normalized.as_bytes()[starts_at..]) {
                let score = match vocab.kind(id) {
                    PieceType::Unused => continue,
                    PieceType::UserDefined => user_defined_score(length),
                    _ => vocab.get(id).map_or(0.0, |piece| piece.score),
                };
                frontier = frontier.max(starts_at + length);
                best[starts_at + length].offer(id, score + so_far, starts_at);
                covers_one_char |= length == c.len_utf8();
            }
            if !covers_one_char {
                frontier = frontier.max(starts_at + c.len_utf8());
                best[starts_at + c.len_utf8()].offer(vocab.unk_id(), unk_score + so_far, starts_at);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::testing::{NORMAL, UNIGRAM, load, model, pieces};

    /// Past -100,000 the path score is rebased to 0 before the dots are segmented, so
    /// "." + ".." and ".." + "." are compared at full `f32` precision; summed onto
    /// -120,001 instead, the rounding would prefer ".." + ".".
    #[test]
    fn path_scores_are_rebased_past_the_threshold() {
        let (dot, dots) = (-2.324_218_8, -1.932_598_2);
        let tokenizer = load(&model(
            UNIGRAM,
            &[
                ("▁", -1.0, NORMAL),
                ("x", -60_000.0, NORMAL),
                (".", dot, NORMAL),
                ("..", dots, NORMAL),
            ],
        ));
        assert_eq!(pieces(&tokenizer, "xx..."), ["▁", "x", "x", ".", ".."]);
        let unrebased = |so_far: f32| {
            let (one, two) = (so_far + dot, so_far + dots);
            (one + dots, two + dot)
        };
        let (dot_first, dots_first) = unrebased(-120_001.0);
        assert!(dots_first > dot_first, "the test's premise");
        let (dot_first, dots_first) = unrebased(0.0);
        assert!(dots_first <= dot_first, "the test's premise");
    }

    #[test]
    fn user_defined_scores_favour_longer_symbols() {
        assert_eq!(user_defined_score(1), 0.0);
        assert_eq!(user_defined_score(4), (0.1f64 * 3.0) as f32);
        assert!(user_defined_score(2) > 0.0);
    }
}
