//! Text side of dialekt: normalisation, tokenisation and scoring. No tensors here.
//!
//! The evaluation pipeline is: [`normalize`] both sides (CoRal style, so numbers are
//! comparable with CoRal's published ones), [`align`] each reference/hypothesis pair
//! exactly as jiwer 4.0.0 does, pool the counts into [`metrics`], break them down by
//! speaker [`groups`] and attach [`bootstrap`] confidence intervals. Training targets go
//! through the omniASR normaliser and the SentencePiece [`tokenizer`].

pub mod align;
pub mod bootstrap;
pub mod decode;
mod error;
pub mod groups;
pub mod io;
pub mod lm;
pub mod metrics;
pub mod normalize;
pub mod score;
mod table;
pub mod tokenizer;

pub use error::Error;
