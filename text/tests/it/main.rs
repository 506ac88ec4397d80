//! dialekt-text's integration tests, one binary: parity with the upstream tools on
//! committed fixtures (`tests/fixtures/`, made by `tools/reference/text/`).

#![allow(
    clippy::unwrap_used,
    reason = "fixtures are generated and trusted; a panic fails the test"
)]

mod groups;
mod jiwer;
mod normalize;
mod tokenizer_char;
mod tokenizer_models;

/// The path of a committed fixture.
fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}
