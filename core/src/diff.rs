//! What differs between two runs: config keys, data files, code and environment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lineage::RunRecord;
use crate::manifest::{Manifest, ManifestDiff};

/// A value that differs between run A and run B (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Dotted key (`optimizer.config.lr`) or field name (`code.commit`).
    pub key: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// Everything that differs between two runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDiff {
    pub config: Vec<Change>,
    pub data: ManifestDiff,
    pub code: Vec<Change>,
    pub environment: Vec<Change>,
    pub seed: Option<Change>,
}

impl RunDiff {
    /// Compares run A (`a_*`) with run B (`b_*`).
    #[must_use]
    pub fn between(
        (a_record, a_config, a_manifest): (&RunRecord, &Value, &Manifest),
        (b_record, b_config, b_manifest): (&RunRecord, &Value, &Manifest),
    ) -> Self {
        let code = |r: &RunRecord| {
            BTreeMap::from([
                (
                    "code.commit".to_owned(),
                    r.code.commit.clone().unwrap_or_else(|| "none".into()),
                ),
                ("code.dirty".to_owned(), r.code.dirty.to_string()),
                (
                    "code.patch_sha256".to_owned(),
                    r.code
                        .patch_sha256
                        .map_or_else(|| "none".into(), |h| h.to_hex()),
                ),
            ])
        };
        let environment = |r: &RunRecord| {
            r.latest_attempt()
                .map(|attempt| {
                    flatten(&serde_json::to_value(&attempt.environment).unwrap_or(Value::Null))
                })
                .unwrap_or_default()
        };
        Self {
            config: changes(&flatten(a_config), &flatten(b_config)),
            data: ManifestDiff::between(a_manifest, b_manifest),
            code: changes(&code(a_record), &code(b_record)),
            environment: changes(&environment(a_record), &environment(b_record)),
            seed: (a_record.seed != b_record.seed).then(|| Change {
                key: "seed".into(),
                a: Some(a_record.seed.to_string()),
                b: Some(b_record.seed.to_string()),
            }),
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.config.is_empty()
            && self.data.is_empty()
            && self.code.is_empty()
            && self.environment.is_empty()
            && self.seed.is_none()
    }
}

/// JSON flattened to dotted keys with scalar values rendered as JSON text.
#[must_use]
pub fn flatten(value: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, item) in map {
                    let key = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&key, item, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

fn changes(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<Change> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| Change {
            key: k.clone(),
            a: a.get(k).cloned(),
            b: b.get(k).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flatten_uses_dotted_keys() {
        let flat = flatten(&json!({"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {}}));
        assert_eq!(flat["a.b"], "1");
        assert_eq!(flat["a.c"], "[1,2]");
        assert_eq!(flat["d"], "\"x\"");
        assert_eq!(flat["e"], "{}");
    }

    #[test]
    fn only_differing_keys_are_listed() {
        let a = flatten(&json!({"x": 1, "y": 2}));
        let b = flatten(&json!({"x": 1, "y": 3, "z": 4}));
        let c = changes(&a, &b);
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            Change {
                key: "y".into(),
                a: Some("2".into()),
                b: Some("3".into())
            }
        );
        assert_eq!(c[1].a, None);
    }
}
