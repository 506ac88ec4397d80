//! dialekt-core's integration tests, one binary.

mod config;
mod run_store;
