//! `dialekt-core`: what makes a dialekt run content-addressed and traceable.
//!
//! The pipeline, in the order data flows through it:
//!
//! 1. [`config`] reads an experiment YAML in two layers: the *raw* layers exactly as
//!    written (each file validated on its own, so a typo is reported with its file,
//!    line and column), and the *resolved* [`config::Experiment`] with every upstream
//!    default materialised, fragments composed, `--set` overrides applied and paths
//!    normalised. Only the resolved form is hashed ([`config::Experiment::content_hash`]).
//! 2. [`manifest`] describes a data directory by the SHA-256 of every file and a
//!    Merkle-style root hash.
//! 3. [`lineage`] combines config hash, data root, code version and environment into a
//!    [`lineage::RunId`] and a [`lineage::RunRecord`].
//! 4. [`store`] keeps each run under `runs/<id>/`, with a tamper-evident
//!    [`metrics`] log; [`diff`] compares two runs.
//! 5. [`report`] is the versioned bundle the browser viewer reads.
//!
//! Everything that touches the filesystem, clocks, threads or git sits behind the
//! `fs` feature so that the viewer can use the types from `wasm32-unknown-unknown`.

#[cfg(feature = "fs")]
pub mod atomic;
pub mod config;
pub mod diff;
pub mod error;
pub mod hash;
pub mod lineage;
pub mod manifest;
pub mod metrics;
pub mod report;
#[cfg(feature = "fs")]
pub mod store;

pub use error::Error;
pub use hash::ContentHash;

/// The one audio sample rate of dialekt: what every omniASR model hears, and what
/// `trainer data prepare` stores every utterance at.
pub const SAMPLE_RATE_HZ: u32 = 16_000;
