//! dialekt-text's integration tests, one binary: parity with the upstream tools on
//! committed fixtures (`tests/fixtures/`, made by `tools/reference/text/`,
//! `tools/reference/lm/` and `tools/reference/decode/`), and property tests.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "fixtures are generated and trusted; a panic fails the test, and parity tests print their margins"
)]

mod common;
mod decode_parity;
mod decode_props;
mod groups;
mod jiwer;
mod lm_estimate;
mod lm_queries;
mod normalize;
mod tokenizer_char;
mod tokenizer_models;
