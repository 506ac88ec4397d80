//! Experiment configuration in two layers (ripgrep's low/high split).
//!
//! * **Raw** ([`RawLayer`]): one YAML document exactly as a person wrote it, or one
//!   `--set` override. Each layer is checked against the schema on its own, so an
//!   unknown key is reported at its file, line and column with the closest valid key.
//! * **Resolved** ([`Experiment`]): the layers merged in order (fragments, then the
//!   experiment file, then overrides), every upstream default materialised and every
//!   path normalised. Only this form is hashed, through a canonical encoding that
//!   ignores key order, comments, whitespace and number spelling.

mod layer;
#[cfg(feature = "fs")]
mod load;
mod number;
mod overrides;
mod paths;
mod schema;
mod validate;

pub use layer::{RawLayer, merge_values};
#[cfg(feature = "fs")]
pub use load::{Resolved, resolve_file};
pub use overrides::Override;
pub use paths::normalize_lexically;
pub use schema::*;

use serde::{Deserialize, Serialize};

use crate::ContentHash;

/// A file that contributed to a resolved experiment, with its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Project-relative path (forward slashes).
    pub path: String,
    pub sha256: ContentHash,
}

/// Domain tag of config hashes; bump the version if the canonical form ever changes.
const CONFIG_HASH_DOMAIN: &str = "dialekt/config/v1";

/// Keys that describe where or how a run is labelled, not what it computes.
const UNHASHED_KEYS: [&str; 4] = ["name", "description", "include", "output"];

impl Experiment {
    /// The config hash: SHA-256 of the canonical JSON of this resolved experiment, without
    /// the labelling keys (`name`, `description`, `include`, `output`).
    #[must_use]
    pub fn content_hash(&self) -> ContentHash {
        ContentHash::of_json(CONFIG_HASH_DOMAIN, &self.hashed_value())
    }

    /// The part of the config that the hash covers, as JSON.
    #[must_use]
    pub fn hashed_value(&self) -> serde_json::Value {
        let mut value = self.to_json();
        if let serde_json::Value::Object(map) = &mut value {
            for key in UNHASHED_KEYS {
                map.remove(key);
            }
        }
        value
    }

    /// The whole resolved config as JSON (field order as in the schema).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain structs of strings, numbers and enums cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The whole resolved config as YAML, for people.
    #[must_use]
    pub fn to_yaml(&self) -> String {
        yaml_serde::to_string(self).unwrap_or_default()
    }
}
