//! How transcripts are read off a model's logits: greedy CTC (fairseq2's validation, and
//! the default) or CTC prefix beam search, optionally with an n-gram language model by
//! shallow fusion — pyctcdecode's algorithm, which is how CoRal decodes every number it
//! publishes (`dialekt_text::decode`).
//!
//! A decoder is part of an evaluation's identity: [`DecoderRecord`] is stored in its
//! `report.json` (the LM by the SHA-256 of its ARPA file, so the LM enters the
//! evaluation's lineage) and names its directory, so greedy and LM-decoded results of one
//! checkpoint sit side by side.

use std::path::{Path, PathBuf};

use dialekt_model::CtcOutput;
use dialekt_model::decode::greedy_decode;
use dialekt_text::decode::{BeamConfig, Decoder, LanguageModel, LmConfig, Vocabulary};
use dialekt_text::lm;
use dialekt_text::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::During as _;

/// The decoder a user asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum DecoderChoice {
    Greedy,
    Beam(BeamOptions),
}

/// Beam search's settings (pyctcdecode's defaults, which are CoRal's: beam 100, alpha 0.5,
/// beta 1.5), and the LM to fuse, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct BeamOptions {
    pub beam: BeamConfig,
    /// An ARPA file (KenLM's or `trainer lm build`'s).
    pub lm: Option<PathBuf>,
    /// The words partial words are checked against (pyctcdecode's unigram list), one per
    /// line; the LM's own unigrams when not given.
    pub unigrams: Option<PathBuf>,
    pub lm_config: LmConfig,
}

/// What an evaluation records of its decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecoderRecord {
    Greedy,
    Beam {
        beam_width: usize,
        beam_prune_logp: f64,
        token_min_logp: f64,
        prune_history: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lm: Option<LmRecord>,
    },
}

/// The LM of a beam-search evaluation, by content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LmRecord {
    pub path: PathBuf,
    /// SHA-256 of the ARPA file.
    pub sha256: String,
    pub order: usize,
    pub alpha: f64,
    pub beta: f64,
    pub unk_score_offset: f64,
    /// SHA-256 of the unigram list, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unigrams_sha256: Option<String>,
}

impl DecoderRecord {
    /// For people: `greedy`, `beam 100`, `beam 100 + 3-gram LM (α 0.5, β 1.5)`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Greedy => "greedy".to_owned(),
            Self::Beam {
                beam_width,
                lm: None,
                ..
            } => format!("beam {beam_width}"),
            Self::Beam {
                beam_width,
                lm: Some(lm),
                ..
            } => format!(
                "beam {beam_width} + {}-gram LM (α {}, β {})",
                lm.order, lm.alpha, lm.beta
            ),
        }
    }

    /// What the evaluation directory's name gets after `<split>-step_<N>`: nothing for
    /// greedy (the layout of every evaluation before decoders were chosen), else the
    /// beam, the LM's short hash and its weights.
    #[must_use]
    pub fn dir_suffix(&self) -> String {
        match self {
            Self::Greedy => String::new(),
            Self::Beam {
                beam_width,
                lm: None,
                ..
            } => format!("-beam{beam_width}"),
            Self::Beam {
                beam_width,
                lm: Some(lm),
                ..
            } => format!(
                "-beam{beam_width}-lm{}-a{}-b{}",
                lm.sha256.get(..8).unwrap_or(&lm.sha256),
                lm.alpha,
                lm.beta
            ),
        }
    }
}

/// A decoder's inputs loaded once (the LM from its ARPA file, or the binary cache beside
/// it), checked against the tokenizer's vocabulary.
#[derive(Debug)]
pub struct PreparedDecoder {
    vocabulary: Vocabulary,
    beam: BeamConfig,
    lm: Option<PreparedLm>,
    record: DecoderRecord,
}

#[derive(Debug)]
struct PreparedLm {
    model: lm::Model,
    unigrams: Option<Vec<String>>,
    config: LmConfig,
}

impl PreparedDecoder {
    /// `None` for greedy decoding, which needs nothing loaded.
    ///
    /// # Errors
    /// An unreadable or malformed LM or unigram list (named), parameters out of range
    /// (naming the parameter), an LM whose words the tokenizer cannot spell.
    pub fn load(choice: &DecoderChoice, tokenizer: &Tokenizer) -> Result<Option<Self>, Error> {
        let DecoderChoice::Beam(options) = choice else {
            return Ok(None);
        };
        options.beam.validate()?;
        let vocabulary = Vocabulary::from_tokenizer(tokenizer)?;
        let lm = options
            .lm
            .as_deref()
            .map(|arpa| PreparedLm::load(arpa, options))
            .transpose()?;
        let record = DecoderRecord::Beam {
            beam_width: options.beam.beam_width,
            beam_prune_logp: options.beam.beam_prune_logp,
            token_min_logp: options.beam.token_min_logp,
            prune_history: options.beam.prune_history,
            lm: match (&lm, &options.lm) {
                (Some(lm), Some(path)) => Some(lm.record(path, options)?),
                _ => None,
            },
        };
        let prepared = Self {
            vocabulary,
            beam: options.beam,
            lm,
            record,
        };
        // The decoder is built now once, so that an LM the vocabulary cannot spell is an
        // error before any audio is decoded.
        prepared.with_decoder(|_| ()).during(|| match &options.lm {
            Some(arpa) => format!(
                "decoding with the LM {} and the tokenizer's pieces",
                arpa.display()
            ),
            None => "building the beam decoder".to_owned(),
        })?;
        Ok(Some(prepared))
    }

    /// What the evaluation records.
    #[must_use]
    pub fn record(&self) -> &DecoderRecord {
        &self.record
    }

    /// Runs `work` with the decoder (which borrows the loaded LM).
    ///
    /// # Errors
    /// Parameters out of range, or an LM the vocabulary cannot spell.
    pub fn with_decoder<T>(&self, work: impl FnOnce(&Decoder<'_>) -> T) -> Result<T, Error> {
        let lm = self
            .lm
            .as_ref()
            .map(|lm| LanguageModel::new(&lm.model, lm.unigrams.clone(), lm.config))
            .transpose()?;
        let decoder = Decoder::new(&self.vocabulary, lm.as_ref(), self.beam)?;
        Ok(work(&decoder))
    }
}

impl PreparedLm {
    fn load(arpa: &Path, options: &BeamOptions) -> Result<Self, Error> {
        let (model, _) = lm::load(arpa, Some(&lm::default_cache_path(arpa)))?;
        let unigrams = options
            .unigrams
            .as_deref()
            .map(|path| {
                let text = fs_err::read_to_string(path)?;
                Ok::<_, Error>(text.split_whitespace().map(str::to_owned).collect())
            })
            .transpose()?;
        Ok(Self {
            model,
            unigrams,
            config: options.lm_config,
        })
    }

    fn record(&self, path: &Path, options: &BeamOptions) -> Result<LmRecord, Error> {
        let unigrams_sha256 = options
            .unigrams
            .as_deref()
            .map(|p| dialekt_core::ContentHash::of_file(p).map(|h| h.to_hex()))
            .transpose()?;
        Ok(LmRecord {
            path: path.to_owned(),
            sha256: self.model.source_sha256_hex(),
            order: self.model.order(),
            alpha: self.config.alpha,
            beta: self.config.beta,
            unk_score_offset: self.config.unk_score_offset,
            unigrams_sha256,
        })
    }
}

/// Reads transcripts off one batch's model output.
#[derive(Debug, Clone, Copy)]
pub enum Transcriber<'a> {
    Greedy,
    Beam(&'a Decoder<'a>),
}

/// One utterance's hypothesis: its text, and token ids (for the unit error rate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub text: String,
    pub ids: Vec<u32>,
}

impl Transcriber<'_> {
    /// The transcripts of every utterance of `output` (valid frames only).
    ///
    /// # Errors
    /// Logits the decoder refuses (non-finite values, naming the frame).
    pub fn transcribe(
        &self,
        output: &CtcOutput,
        tokenizer: &Tokenizer,
    ) -> Result<Vec<Transcript>, Error> {
        match self {
            Self::Greedy => Ok(greedy_decode(output)
                .into_iter()
                .map(|ids| Transcript {
                    text: tokenizer.decode(&ids),
                    ids,
                })
                .collect()),
            Self::Beam(decoder) => {
                let vocab = output.logits.dims()[2];
                output
                    .valid_logits()
                    .iter()
                    .map(|logits| {
                        let text = decoder.decode(logits, vocab)?;
                        let ids = tokenizer.encode(&text);
                        Ok(Transcript { text, ids })
                    })
                    .collect()
            }
        }
    }
}
