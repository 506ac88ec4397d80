//! dialekt's trainer: the CLI and everything that runs an experiment.
//!
//! The library is layered; each module uses only those listed before it (the test
//! `architecture` in `tests/it` holds every crate to an acyclic module graph):
//!
//! - [`error`], [`progress`], [`cache`], [`build_info`]: the trainer's error type and small
//!   utilities;
//! - [`assets`]: released models and tokenizers, found in a cache or downloaded;
//! - [`plan`]: an experiment resolved into what a run uses ([`plan::RunPlan`]);
//! - [`distributed`], [`submit`]: data-parallel gangs, and batch jobs for Slurm and LSF;
//! - [`decoding`]: greedy or LM-fused beam-search transcripts of a model's logits;
//! - [`recording`]: a plan turned into a content-addressed run (`runs/<id>/`);
//! - [`train`]: the training loop and one recorded attempt of a run;
//! - [`eval`], [`verify`], [`reproduce`], [`report`]: what is done with runs afterwards.
//!
//! `cli` and `commands` parse arguments, call the library and print; they are the only
//! places that speak `anyhow`, and nothing else imports them. The library returns the
//! typed [`Error`] so that callers (tests, benches) can match on it.

pub mod assets;
pub mod build_info;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod decoding;
pub mod distributed;
pub mod error;
pub mod eval;
pub mod plan;
pub mod progress;
pub mod recording;
pub mod report;
pub mod reproduce;
pub mod submit;
pub mod train;
pub mod verify;

pub use error::Error;
