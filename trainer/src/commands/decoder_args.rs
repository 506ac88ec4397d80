//! The decoder flags `trainer eval`, `transcribe` and `decode` share.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};
use dialekt_text::decode::{BeamConfig, LmConfig, Parameter};

use crate::decoding::{BeamOptions, DecoderChoice};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecoderKind {
    /// Argmax per frame, repeats collapsed, blanks dropped (fairseq2's validation).
    Greedy,
    /// CTC prefix beam search (pyctcdecode's), with `--lm` fused if given.
    Beam,
}

#[derive(Debug, Clone, Args)]
pub struct DecoderArgs {
    /// How transcripts are read off the logits (`trainer decode`: beam; otherwise greedy).
    #[arg(long, value_enum)]
    pub decoder: Option<DecoderKind>,
    /// An ARPA n-gram LM to fuse into the beam search (KenLM's, or `trainer lm build`'s).
    #[arg(long, value_name = "ARPA")]
    pub lm: Option<PathBuf>,
    /// The words partial words are checked against, one per line (default: the LM's).
    #[arg(long, value_name = "FILE")]
    pub unigrams: Option<PathBuf>,
    /// LM weight (natural-log LM score × alpha).
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<f64>,
    /// Bonus per word (negative: a penalty).
    #[arg(long, allow_hyphen_values = true)]
    pub beta: Option<f64>,
    /// Beams kept after each frame.
    #[arg(long)]
    pub beam: Option<usize>,
    /// Beams below the best by more than this (natural log) are dropped.
    #[arg(long, allow_hyphen_values = true)]
    pub beam_prune_logp: Option<f64>,
    /// Tokens below this log-probability are not tried (unless a frame's best).
    #[arg(long, allow_hyphen_values = true)]
    pub token_min_logp: Option<f64>,
}

impl DecoderArgs {
    /// The decoder asked for (`default` without `--decoder`), its parameters checked (a
    /// bad value names its flag).
    ///
    /// # Errors
    /// Beam or LM flags with `--decoder greedy`, values out of range.
    pub fn choice(&self, default: DecoderKind) -> anyhow::Result<DecoderChoice> {
        if self.decoder.unwrap_or(default) == DecoderKind::Greedy {
            let beam_only = [
                ("--lm", self.lm.is_some()),
                ("--unigrams", self.unigrams.is_some()),
                ("--alpha", self.alpha.is_some()),
                ("--beta", self.beta.is_some()),
                ("--beam", self.beam.is_some()),
                ("--beam-prune-logp", self.beam_prune_logp.is_some()),
                ("--token-min-logp", self.token_min_logp.is_some()),
            ];
            if let Some((flag, _)) = beam_only.iter().find(|(_, set)| *set) {
                bail!("{flag} needs --decoder beam (greedy decoding takes no parameters)");
            }
            return Ok(DecoderChoice::Greedy);
        }
        let defaults = BeamConfig::default();
        let beam = BeamConfig {
            beam_width: self.beam.unwrap_or(defaults.beam_width),
            beam_prune_logp: self.beam_prune_logp.unwrap_or(defaults.beam_prune_logp),
            token_min_logp: self.token_min_logp.unwrap_or(defaults.token_min_logp),
            prune_history: defaults.prune_history,
        };
        let lm_defaults = LmConfig::default();
        let lm_config = LmConfig {
            alpha: self.alpha.unwrap_or(lm_defaults.alpha),
            beta: self.beta.unwrap_or(lm_defaults.beta),
            ..lm_defaults
        };
        if self.lm.is_none() {
            for (flag, set) in [
                ("--alpha", self.alpha.is_some()),
                ("--beta", self.beta.is_some()),
                ("--unigrams", self.unigrams.is_some()),
            ] {
                if set {
                    bail!("{flag} weighs a language model: give one with --lm");
                }
            }
        }
        let checked = beam.validate().and_then(|()| lm_config.validate());
        if let Err(dialekt_text::decode::DecodeError::InvalidParameter {
            parameter,
            value,
            reason,
        }) = checked
        {
            bail!("{} {value}: {reason}", flag(parameter));
        }
        checked?;
        Ok(DecoderChoice::Beam(BeamOptions {
            beam,
            lm: self.lm.clone(),
            unigrams: self.unigrams.clone(),
            lm_config,
        }))
    }
}

/// The flag that sets `parameter`.
fn flag(parameter: Parameter) -> &'static str {
    match parameter {
        Parameter::BeamWidth => "--beam",
        Parameter::BeamPruneLogp => "--beam-prune-logp",
        Parameter::TokenMinLogp => "--token-min-logp",
        Parameter::Alpha => "--alpha",
        Parameter::Beta => "--beta",
        Parameter::UnkScoreOffset => "unk_score_offset",
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        decoder: DecoderArgs,
    }

    fn choice(args: &[&str]) -> anyhow::Result<DecoderChoice> {
        let cli = Cli::try_parse_from([&["trainer"], args].concat())?;
        cli.decoder.choice(DecoderKind::Greedy)
    }

    #[test]
    fn bad_values_name_their_flag() {
        let err = choice(&["--decoder", "beam", "--beam", "0"])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--beam 0:"), "{err}");
        let err = choice(&["--decoder", "beam", "--lm", "x.arpa", "--alpha", "-1"])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--alpha -1:"), "{err}");
        let err = choice(&["--decoder", "beam", "--beam-prune-logp", "3"])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--beam-prune-logp 3:"), "{err}");
    }

    #[test]
    fn beam_flags_need_the_beam_decoder_and_weights_need_an_lm() {
        let err = choice(&["--lm", "x.arpa"]).unwrap_err().to_string();
        assert!(err.contains("--lm needs --decoder beam"), "{err}");
        let err = choice(&["--decoder", "beam", "--alpha", "0.3"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--alpha weighs a language model"), "{err}");
        assert_eq!(choice(&[]).unwrap(), DecoderChoice::Greedy);
        let DecoderChoice::Beam(options) = choice(&["--decoder", "beam", "--beam", "8"]).unwrap()
        else {
            panic!("beam expected");
        };
        assert_eq!(options.beam.beam_width, 8);
        assert_eq!(options.lm_config, LmConfig::default());
    }
}
