//! dialekt-trainer's integration tests, one binary: the `trainer` command as a user runs
//! it, and the training loop against fairseq2's reference step.

// The committed tiny fairseq2 fixture and its reference values, shared with the model
// crate's tests (one copy of the helpers).
#[path = "../../../model/tests/it/common.rs"]
mod model_fixture;

mod architecture;
mod cli_foundation;
mod distributed;
mod model_cli;
mod report_browser;
mod report_build;
mod report_fixture;
mod submit_slurm;
mod support;
mod train_parity;
mod train_run;
