//! Decoding parameters, with pyctcdecode 0.5.0's defaults (`pyctcdecode/constants.py`),
//! which are CoRal's: alpha 0.5, beta 1.5, beam 100.

use std::fmt;

use super::error::DecodeError;
pub use super::error::Parameter;

fn invalid(parameter: Parameter, value: impl fmt::Display, reason: &'static str) -> DecodeError {
    DecodeError::InvalidParameter {
        parameter,
        value: value.to_string(),
        reason,
    }
}

/// The search: `BeamSearchDecoderCTC.decode_beams`'s arguments (hotwords out of scope).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeamConfig {
    /// Beams kept after each frame.
    pub beam_width: usize,
    /// Beams scoring below the best by more than this (natural log) are dropped.
    pub beam_prune_logp: f64,
    /// Tokens below this log-probability are not tried, unless they are a frame's best.
    pub token_min_logp: f64,
    /// Merge beams that agree on the last n−1 words (n the LM order) and the word in
    /// progress. pyctcdecode's `decode_beams` (which transformers and so CoRal call)
    /// defaults to off; its `decode` turns it on.
    pub prune_history: bool,
}

impl Default for BeamConfig {
    fn default() -> Self {
        Self {
            beam_width: 100,
            beam_prune_logp: -10.0,
            token_min_logp: -5.0,
            prune_history: false,
        }
    }
}

impl BeamConfig {
    pub fn validate(&self) -> Result<(), DecodeError> {
        if self.beam_width == 0 {
            return Err(invalid(Parameter::BeamWidth, 0, "must be at least 1"));
        }
        if !self.beam_prune_logp.is_finite() || self.beam_prune_logp > 0.0 {
            return Err(invalid(
                Parameter::BeamPruneLogp,
                self.beam_prune_logp,
                "must be a finite number <= 0 (a positive margin prunes every beam)",
            ));
        }
        if !self.token_min_logp.is_finite() {
            return Err(invalid(
                Parameter::TokenMinLogp,
                self.token_min_logp,
                "must be finite",
            ));
        }
        Ok(())
    }
}

/// Shallow fusion: pyctcdecode's `LanguageModel` parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LmConfig {
    /// Weight of the LM's natural-log score.
    pub alpha: f64,
    /// Bonus per word.
    pub beta: f64,
    /// Added (natural log, before alpha) for words the LM or the unigram list lacks, and
    /// per partial word that no unigram starts with.
    pub unk_score_offset: f64,
    /// Score sentences from `<s>` and add `</s>` at the end.
    pub score_boundary: bool,
}

impl Default for LmConfig {
    fn default() -> Self {
        Self {
            alpha: 0.5,
            beta: 1.5,
            unk_score_offset: -10.0,
            score_boundary: true,
        }
    }
}

impl LmConfig {
    pub fn validate(&self) -> Result<(), DecodeError> {
        if !self.alpha.is_finite() || self.alpha < 0.0 {
            return Err(invalid(
                Parameter::Alpha,
                self.alpha,
                "must be a finite number >= 0",
            ));
        }
        if !self.beta.is_finite() {
            return Err(invalid(Parameter::Beta, self.beta, "must be finite"));
        }
        if !self.unk_score_offset.is_finite() {
            return Err(invalid(
                Parameter::UnkScoreOffset,
                self.unk_score_offset,
                "must be finite",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_name_themselves() {
        let cases: [(BeamConfig, Parameter); 4] = [
            (
                BeamConfig {
                    beam_width: 0,
                    ..Default::default()
                },
                Parameter::BeamWidth,
            ),
            (
                BeamConfig {
                    beam_prune_logp: f64::NAN,
                    ..Default::default()
                },
                Parameter::BeamPruneLogp,
            ),
            (
                BeamConfig {
                    beam_prune_logp: 1.0,
                    ..Default::default()
                },
                Parameter::BeamPruneLogp,
            ),
            (
                BeamConfig {
                    token_min_logp: f64::INFINITY,
                    ..Default::default()
                },
                Parameter::TokenMinLogp,
            ),
        ];
        for (config, expected) in cases {
            let error = config.validate().unwrap_err();
            assert!(
                matches!(error, DecodeError::InvalidParameter { parameter, .. } if parameter == expected)
            );
            assert!(
                error.to_string().starts_with(&expected.to_string()),
                "{error}"
            );
        }
        let lm = [
            (
                LmConfig {
                    alpha: -0.1,
                    ..Default::default()
                },
                Parameter::Alpha,
            ),
            (
                LmConfig {
                    alpha: f64::NAN,
                    ..Default::default()
                },
                Parameter::Alpha,
            ),
            (
                LmConfig {
                    beta: f64::INFINITY,
                    ..Default::default()
                },
                Parameter::Beta,
            ),
            (
                LmConfig {
                    unk_score_offset: f64::NAN,
                    ..Default::default()
                },
                Parameter::UnkScoreOffset,
            ),
        ];
        for (config, expected) in lm {
            let error = config.validate().unwrap_err();
            assert!(
                matches!(error, DecodeError::InvalidParameter { parameter, .. } if parameter == expected)
            );
        }
        assert!(BeamConfig::default().validate().is_ok());
        assert!(LmConfig::default().validate().is_ok());
    }
}
