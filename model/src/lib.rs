//! omniASR's wav2vec2 CTC model in Burn, numerically equal to fairseq2 0.6.
//!
//! Pipeline: [`config`] (dimensions in fairseq2's names, released presets) →
//! [`asr::Wav2Vec2Asr`] built lazily on a [`backend`] device → [`checkpoint::load`] fills it
//! from a fairseq2 `.pt` through the key map in [`weights`] → forward to logits →
//! [`ctc::ctc_loss`] for training or [`decode::greedy_decode`] for transcripts →
//! [`checkpoint::export`] writes the fairseq2 layout back out.
//!
//! Every module file cites the fairseq2 source it ports; the parity tests
//! (`model/tests/it/parity.rs`) hold it to fairseq2's own outputs.

pub mod asr;
pub mod attention;
pub mod backend;
pub mod checkpoint;
pub mod config;
pub mod ctc;
pub mod decode;
pub mod encoder;
mod error;
pub mod feature_extractor;
pub mod npy;
pub mod pickle;
pub mod pos_encoder;
pub mod weights;

pub use asr::{AudioBatch, CtcOutput, Wav2Vec2Asr};
pub use config::ArchConfig;
pub use error::ModelError;
