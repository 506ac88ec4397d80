//! Fine-tuning with the omnilingual-asr CTC recipe's semantics, on burn-optim.
//!
//! burn-train's `Learner` resumes only at epoch boundaries and cannot save RNG state, so
//! dialekt has its own loop ([`session`]): [`setup`] locates and loads the starting weights
//! and tokenizer (checked before anything slow), [`attempt`] records one attempt around the
//! session, [`input`] builds the loaders from the experiment, [`freeze`] decides what
//! trains at each step, [`step`] accumulates gradients and normalises them per utterance
//! as fairseq2 does, [`grads`] measures (and optionally clips by) the global norm,
//! [`schedule`] is fairseq2's tri-stage LR, [`publish`] and [`evaluate`] produce the
//! metrics, and [`checkpoint`] saves everything a bit-identical resume needs.

pub mod attempt;
pub mod checkpoint;
pub mod evaluate;
pub mod freeze;
pub mod grads;
pub mod input;
pub mod publish;
pub mod schedule;
pub mod session;
pub mod setup;
pub mod step;
pub mod targets;

pub use attempt::execute;
pub use session::{Outcome, Session};
