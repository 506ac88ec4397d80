//! Text side of dialekt: normalisation, tokenisation and scoring. No tensors here.
//!
//! The evaluation pipeline is: [`normalize`] both sides (CoRal style, so numbers are
//! comparable with CoRal's published ones), [`align`] each reference/hypothesis pair
//! exactly as jiwer 4.0.0 does, pool the counts into [`metrics`], break them down by
//! speaker [`groups`] and attach [`bootstrap`] confidence intervals. Training targets go
//! through the omniASR normaliser and the SentencePiece [`tokenizer`].
//!
//! Decoding CTC logits the way CoRal does: [`lm`] holds n-gram language models (KenLM
//! compatible ARPA reading and `lmplz`-exact estimation) and [`decode`] the prefix beam
//! search with shallow fusion that reproduces pyctcdecode.

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
