//! Errors of the CTC decoder. Parameter errors carry the [`Parameter`] so a command line
//! can name its flag.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{parameter} = {value}: {reason}")]
    InvalidParameter {
        parameter: Parameter,
        value: String,
        reason: &'static str,
    },
    /// The logits do not fit the vocabulary (or are not a `[frames, vocab]` matrix).
    #[error("logits: {0}")]
    Logits(String),
    /// A logit that is NaN or +∞ (−∞, a zero probability, is fine).
    #[error("logit at frame {frame}, token {token} is {value}")]
    BadLogit {
        frame: usize,
        token: usize,
        value: f32,
    },
    /// The vocabulary cannot be decoded the way pyctcdecode decodes it.
    #[error("vocabulary: {0}")]
    Vocabulary(String),
    /// No word of the language model can be spelled with the tokenizer's characters: the
    /// LM would only ever add its unknown-word penalty.
    #[error(
        "the language model shares no word with the tokenizer's alphabet ({unigrams} unigrams, e.g. {examples}): wrong LM or wrong tokenizer?"
    )]
    LmAlphabetMismatch { unigrams: usize, examples: String },
}

/// A decoding parameter, named in errors (`Display` gives pyctcdecode's argument name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    BeamWidth,
    BeamPruneLogp,
    TokenMinLogp,
    Alpha,
    Beta,
    UnkScoreOffset,
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BeamWidth => "beam_width",
            Self::BeamPruneLogp => "beam_prune_logp",
            Self::TokenMinLogp => "token_min_logp",
            Self::Alpha => "alpha",
            Self::Beta => "beta",
            Self::UnkScoreOffset => "unk_score_offset",
        })
    }
}
