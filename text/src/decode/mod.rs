//! CTC prefix beam search with n-gram shallow fusion, reproducing pyctcdecode 0.5.0's
//! `BeamSearchDecoderCTC.decode_beams` (with kenlm 0.3.0) on our logits: blank id 0 and
//! SentencePiece pieces where `▁` begins a word. Hotwords are out of scope.
//!
//! ```text
//! let vocabulary = Vocabulary::from_tokenizer(&tokenizer)?;
//! let model = lm::load(arpa, Some(&lm::default_cache_path(arpa)))?.0;
//! let lm = LanguageModel::new(&model, None, LmConfig::default())?;
//! let decoder = Decoder::new(&vocabulary, Some(&lm), BeamConfig::default())?;
//! let text = decoder.decode(&logits, vocabulary.len())?;
//! ```
//!
//! Modules: [`vocabulary`] (pieces → pyctcdecode labels), [`config`] (parameters and
//! their checks), [`lm_scorer`] (pyctcdecode's `LanguageModel`), `logits`
//! (log-softmax), `pyset` (CPython's set order, which pyctcdecode's results depend on),
//! `beam` (the search).

mod beam;
pub mod config;
mod error;
pub mod lm_scorer;
mod logits;
mod pyset;
pub mod vocabulary;

pub use beam::{Decoder, Hypothesis};
pub use config::{BeamConfig, LmConfig, Parameter};
pub use error::DecodeError;
pub use lm_scorer::LanguageModel;
pub use vocabulary::{Label, UNK_LABEL, Vocabulary};
