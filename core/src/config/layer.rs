//! Raw layers: one YAML document or one `--set` override, validated on its own.

use std::path::Path;

use yaml_serde::{Mapping, Value};

use super::Experiment;
use crate::error::{Error, Origin};

/// How close (normalised Damerau–Levenshtein similarity) a valid key must be to an
/// unknown one before we suggest it as the intended spelling.
const SUGGESTION_THRESHOLD: f64 = 0.6;

/// One layer of configuration exactly as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RawLayer {
    /// Where the layer came from, for error messages.
    pub origin: Origin,
    /// The layer's YAML mapping (possibly partial).
    pub value: Value,
}

impl RawLayer {
    /// Parses one YAML document and checks it against the schema.
    ///
    /// # Errors
    /// [`Error::Yaml`] for malformed YAML, [`Error::UnknownKey`] (with the closest valid
    /// key) or [`Error::InvalidValue`] for schema violations, each at `path:line:column`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let value: Value = yaml_serde::from_str(text).map_err(|e| Error::Yaml {
            origin: origin_of(&e, path),
            message: strip_location(&e),
        })?;
        let value = match value {
            Value::Null => Value::Mapping(Mapping::new()),
            mapping @ Value::Mapping(_) => mapping,
            _ => {
                return Err(Error::InvalidValue {
                    origin: Origin::WholeFile(path.to_owned()),
                    key: None,
                    message: "an experiment file must be a mapping of sections".to_owned(),
                });
            }
        };
        // Deserialising the text (not the value) keeps line and column in errors.
        yaml_serde::from_str::<Experiment>(text)
            .map_err(|e| schema_error(&e, origin_of(&e, path)))?;
        Ok(Self {
            origin: Origin::WholeFile(path.to_owned()),
            value,
        })
    }

    /// Wraps an already-built value (an override), checking it against the schema.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] or [`Error::InvalidValue`] attributed to `origin`.
    pub fn from_value(origin: Origin, value: Value) -> Result<Self, Error> {
        yaml_serde::from_value::<Experiment>(value.clone())
            .map_err(|e| schema_error(&e, origin.clone()))?;
        Ok(Self { origin, value })
    }
}

/// Deep-merges `overlay` into `base`: mappings merge key by key, anything else replaces.
pub fn merge_values(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(base_map), Value::Mapping(overlay_map)) => {
            for (key, value) in overlay_map {
                match base_map.get_mut(&key) {
                    Some(slot) => merge_values(slot, value),
                    None => {
                        base_map.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

fn origin_of(error: &yaml_serde::Error, path: &Path) -> Origin {
    error.location().map_or_else(
        || Origin::WholeFile(path.to_owned()),
        |at| Origin::File {
            path: path.to_owned(),
            line: at.line(),
            column: at.column(),
        },
    )
}

/// The error message without yaml_serde's trailing " at line L column C".
fn strip_location(error: &yaml_serde::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Turns a serde error into [`Error::UnknownKey`] (parsing serde's fixed wording,
/// `unknown field `x`, expected one of `a`, `b``) or [`Error::InvalidValue`].
fn schema_error(error: &yaml_serde::Error, origin: Origin) -> Error {
    let message = strip_location(error);
    let (section, detail) = split_path(&message);
    if let Some(rest) = detail.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default().to_owned();
        let expected = rest
            .split_once("expected")
            .map_or(Vec::new(), |(_, list)| backticked(list));
        return Error::UnknownKey {
            origin,
            section: section.unwrap_or("<root>").to_owned(),
            suggestion: closest(&key, &expected),
            key,
        };
    }
    Error::InvalidValue {
        origin,
        key: section.map(str::to_owned),
        message: detail.to_owned(),
    }
}

/// Splits yaml_serde's `some.path: message` into the path and the message.
fn split_path(message: &str) -> (Option<&str>, &str) {
    match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (Some(path), rest),
        _ => (None, message),
    }
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn closest(key: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(key, c), c))
        .filter(|(score, _)| *score >= SUGGESTION_THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RawLayer, Error> {
        RawLayer::parse(Path::new("exp.yaml"), text)
    }

    #[test]
    fn typo_is_reported_at_its_position_with_a_suggestion() {
        let err = parse("optimizer:\n  config:\n    lrr: 1e-05\n").unwrap_err();
        match &err {
            Error::UnknownKey {
                origin,
                section,
                key,
                suggestion,
            } => {
                assert_eq!(
                    *origin,
                    Origin::File {
                        path: "exp.yaml".into(),
                        line: 3,
                        column: 5
                    }
                );
                assert_eq!(section, "optimizer.config");
                assert_eq!(key, "lrr");
                assert_eq!(suggestion.as_deref(), Some("lr"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "exp.yaml:3:5: unknown key `lrr` in `optimizer.config` (did you mean `lr`?)"
        );
    }

    #[test]
    fn top_level_typo_names_the_root_section() {
        let err = parse("regim:\n  num_steps: 3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "exp.yaml:1:1: unknown key `regim` in `<root>` (did you mean `regime`?)"
        );
    }

    #[test]
    fn far_fetched_keys_get_no_suggestion() {
        let err = parse("trainer:\n  zzzzzzzz: 1\n").unwrap_err();
        assert!(
            matches!(
                err,
                Error::UnknownKey {
                    suggestion: None,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_name_the_key() {
        let err = parse("regime:\n  num_steps: many\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("exp.yaml:2:14: invalid value for `regime.num_steps`"),
            "{text}"
        );
    }

    #[test]
    fn malformed_yaml_is_located() {
        let err = parse("model:\n  name: [unclosed\n").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Yaml {
                    origin: Origin::File { line: 3, .. },
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn merge_is_deep_and_overlay_wins() {
        let mut base: Value = yaml_serde::from_str("a: {b: 1, c: 2}\nd: 3").unwrap();
        merge_values(&mut base, yaml_serde::from_str("a: {c: 9}\ne: 4").unwrap());
        let want: Value = yaml_serde::from_str("a: {b: 1, c: 9}\nd: 3\ne: 4").unwrap();
        assert_eq!(base, want);
    }
}
