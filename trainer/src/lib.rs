//! dialekt's trainer: the CLI and everything that runs an experiment.
//!
//! `cli` and `commands` are the only places that speak `anyhow`; the modules below them
//! return typed errors so that callers (tests, benches) can match on them.

pub mod cache;
pub mod cli;
pub mod commands;
pub mod data;
pub mod distributed;
pub mod model;
pub mod progress;
pub mod recording;
pub mod report;
pub mod submit;
pub mod train;
