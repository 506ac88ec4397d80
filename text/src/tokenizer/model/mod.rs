//! The segmentation models: each turns normalised text into pieces of that text with
//! their ids, as the `Encode` of sentencepiece's `ModelInterface` subclasses does.
//! Unknown-run merging and byte fallback happen afterwards, in the tokenizer.

mod bpe;
mod character;
mod unigram;
mod word;

use super::vocab::{PieceType, Reserved, Vocab};

/// `TrainerSpec.ModelType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum ModelType {
    /// Unigram language model, segmented by Viterbi over the piece lattice.
    Unigram,
    /// Byte-pair encoding, merged in score order.
    Bpe,
    /// One piece per whitespace-delimited word.
    Word,
    /// One piece per character.
    Char,
}

impl ModelType {
    /// The proto's enum value; absent means UNIGRAM, as in `sentencepiece_model.proto`.
    pub fn from_proto(value: Option<i32>) -> Option<Self> {
        Some(match value.unwrap_or(1) {
            1 => Self::Unigram,
            2 => Self::Bpe,
            3 => Self::Word,
            4 => Self::Char,
            _ => return None,
        })
    }
}

/// A model ready to segment; only unigram needs state of its own beyond the vocabulary.
#[derive(Debug, Clone)]
pub enum Model {
    Unigram(unigram::Unigram),
    Bpe,
    Word,
    Char,
}

impl Model {
    /// How the model's vocabulary keeps reserved pieces (BPE keeps them with the rest).
    pub fn reserved_map(kind: ModelType) -> Reserved {
        match kind {
            ModelType::Bpe => Reserved::Together,
            ModelType::Unigram | ModelType::Word | ModelType::Char => Reserved::Apart,
        }
    }

    pub fn new(kind: ModelType, vocab: &Vocab) -> Result<Self, String> {
        Ok(match kind {
            ModelType::Unigram => Self::Unigram(unigram::Unigram::new(vocab)?),
            ModelType::Bpe => Self::Bpe,
            ModelType::Word => Self::Word,
            ModelType::Char => Self::Char,
        })
    }

    /// Pieces that concatenate to `normalized`, each with its id (`<unk>`'s when the
    /// piece is not in the vocabulary).
    pub fn encode<'a>(&self, normalized: &'a str, vocab: &Vocab) -> Vec<(&'a str, u32)> {
        match self {
            Self::Unigram(model) => model.encode(normalized, vocab),
            Self::Bpe => bpe::encode(normalized, vocab),
            Self::Word => word::encode(normalized, vocab),
            Self::Char => character::encode(normalized, vocab),
        }
    }
}

/// The id of a whole piece for the char and word models: `PieceToIdNoReserved`, with
/// unused pieces (and anything unknown) as `<unk>`.
fn whole_piece_id(vocab: &Vocab, piece: &str) -> u32 {
    vocab
        .lookup(piece)
        .filter(|&id| vocab.kind(id) != PieceType::Unused)
        .unwrap_or(vocab.unk_id())
}
