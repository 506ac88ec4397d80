//! Integration tests of dialekt-text (one binary; older top-level test files are being
//! merged in by the lead).

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "fixtures are generated and trusted; a panic fails the test, and parity tests print their margins"
)]

mod common;
mod decode_parity;
mod decode_props;
mod lm_estimate;
mod lm_queries;
