//! Stable content hashing.
//!
//! Every identity in dialekt is a SHA-256 digest over *canonical* bytes, prefixed with a
//! domain tag so that a config hash can never collide with a manifest hash of the same
//! bytes. `std::hash` is never used for this: its output is not stable across Rust
//! versions (clippy's `disallowed-types` enforces that).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Number of hex digits shown where a hash is displayed for people (like git's short ids).
pub const SHORT_HEX_LEN: usize = 12;

/// A SHA-256 digest. Serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// SHA-256 of `bytes`, with no domain tag (e.g. the digest of a file's content).
    #[must_use]
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// SHA-256 of a file's bytes, streamed (checkpoints are gigabytes).
    ///
    /// # Errors
    /// The I/O error, with the path (through `fs_err`).
    #[cfg(feature = "fs")]
    pub fn of_file(path: &std::path::Path) -> std::io::Result<Self> {
        use std::io::Read as _;
        let mut file = fs_err::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        Ok(Self(hasher.finalize().into()))
    }

    /// SHA-256 of `domain` + `\n` + `bytes`: hashes of different kinds of things never meet.
    #[must_use]
    pub fn tagged(domain: &str, bytes: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(domain.as_bytes());
        hasher.update(b"\n");
        hasher.update(bytes);
        Self(hasher.finalize().into())
    }

    /// Hash of a JSON value in its canonical encoding (see [`canonical_json`]).
    #[must_use]
    pub fn of_json(domain: &str, value: &Value) -> Self {
        Self::tagged(domain, canonical_json(value).as_bytes())
    }

    /// The full 64-digit lowercase hex form.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The 12-digit prefix people see.
    #[must_use]
    pub fn short(&self) -> String {
        let mut hex = self.to_hex();
        hex.truncate(SHORT_HEX_LEN);
        hex
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.short())
    }
}

/// Why a string is not a [`ContentHash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 hex digest (expected 64 hex digits): {0:?}")]
pub struct ParseHashError(pub String);

impl FromStr for ContentHash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| ParseHashError(s.to_owned()))?;
        Ok(Self(bytes))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace, numbers in
/// serde_json's shortest round-trip form.
///
/// Two values that are equal as data encode to the same bytes, whatever order their
/// keys were inserted in. Numbers are already normalised by parsing: `5e-05` and
/// `0.00005` are the same `f64`, `960_000` and `960000` the same integer.
#[must_use]
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sha256_of_empty_input_is_the_published_constant() {
        assert_eq!(
            ContentHash::of_bytes(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": null}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }

    #[test]
    fn domain_tags_separate_equal_bytes() {
        assert_ne!(
            ContentHash::tagged("a", b"x"),
            ContentHash::tagged("b", b"x")
        );
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let hash = ContentHash::of_bytes(b"dialekt");
        assert_eq!(hash.to_hex().parse::<ContentHash>().unwrap(), hash);
        assert_eq!(hash.short().len(), SHORT_HEX_LEN);
        assert!("abc".parse::<ContentHash>().is_err());
        assert!("z".repeat(64).parse::<ContentHash>().is_err());
    }
}
