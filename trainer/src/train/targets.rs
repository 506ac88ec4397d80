//! Transcripts → CTC targets: the configured normaliser, then the tokenizer.

use dialekt_core::config::TextNormalization;
use dialekt_text::normalize::Style;
use dialekt_text::tokenizer::Tokenizer;

/// Turns stored transcripts into token ids (and back) the same way for training,
/// validation and evaluation.
#[derive(Debug, Clone)]
pub struct Targets {
    pub tokenizer: Tokenizer,
    pub normalization: TextNormalization,
}

impl Targets {
    /// The transcript as the model is taught to write it.
    #[must_use]
    pub fn text(&self, stored: &str) -> String {
        match self.normalization {
            TextNormalization::Omniasr => Style::OmniAsr.apply(stored),
            TextNormalization::Coral => Style::Coral.apply(stored),
            TextNormalization::None => stored.trim().to_owned(),
        }
    }

    /// Token ids of a stored transcript.
    #[must_use]
    pub fn ids(&self, stored: &str) -> Vec<u32> {
        self.tokenizer.encode(&self.text(stored))
    }

    /// Text of token ids (fairseq2 decodes references from their ids too, so unknown
    /// characters read the same on both sides of a WER).
    #[must_use]
    pub fn decode(&self, ids: &[u32]) -> String {
        self.tokenizer.decode(ids)
    }
}
