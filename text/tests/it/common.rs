//! Fixture helpers.

use std::io::Read as _;
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A gzipped fixture's bytes.
pub fn gunzip(name: &str) -> Vec<u8> {
    let file = std::fs::File::open(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

pub fn gunzip_text(name: &str) -> String {
    String::from_utf8(gunzip(name)).unwrap()
}

/// One JSON value per line of a gzipped JSONL fixture.
pub fn jsonl(name: &str) -> Vec<serde_json::Value> {
    gunzip_text(name)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A model from a gzipped ARPA fixture.
pub fn arpa_model(name: &str) -> dialekt_text::lm::Model {
    let bytes = gunzip(name);
    dialekt_text::lm::read_arpa_from(bytes.as_slice(), Path::new(name)).unwrap()
}
