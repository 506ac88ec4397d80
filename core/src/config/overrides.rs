//! `--set a.b.c=value` overrides, applied after every file layer.

use yaml_serde::{Mapping, Value};

use super::RawLayer;
use crate::error::{Error, Origin};

/// One parsed `--set` override.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The text as given, for messages and the run record.
    pub text: String,
    /// The dotted key, split.
    pub key: Vec<String>,
    /// The value, parsed as a YAML scalar or flow collection (`1e-5`, `true`, `[1, 2]`).
    pub value: Value,
}

impl Override {
    /// Parses `key.path=value`.
    ///
    /// # Errors
    /// [`Error::Override`] when there is no `=`, the key is empty or has an empty part,
    /// or the value is not valid YAML.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let fail = |message: &str| Error::Override {
            text: text.to_owned(),
            message: message.to_owned(),
        };
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| fail("expected KEY=VALUE"))?;
        let key: Vec<String> = key.trim().split('.').map(str::to_owned).collect();
        if key.iter().any(String::is_empty) {
            return Err(fail(
                "the key must be a dotted path like optimizer.config.lr",
            ));
        }
        let value: Value = yaml_serde::from_str(value)
            .map_err(|e| fail(&format!("the value is not valid YAML: {e}")))?;
        Ok(Self {
            text: text.to_owned(),
            key,
            value,
        })
    }

    /// The override as a layer (a nested mapping holding one value), schema-checked.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] or [`Error::InvalidValue`] naming this override.
    pub fn to_layer(&self) -> Result<RawLayer, Error> {
        let mut value = self.value.clone();
        for part in self.key.iter().rev() {
            let mut map = Mapping::new();
            map.insert(Value::String(part.clone()), value);
            value = Value::Mapping(map);
        }
        RawLayer::from_value(Origin::Override(self.text.clone()), value).map_err(|err| match err {
            // Errors from a value (not text) carry no path: the override's key supplies it.
            Error::UnknownKey {
                origin,
                key,
                suggestion,
                ..
            } => {
                let depth = self.key.iter().position(|part| *part == key).unwrap_or(0);
                let section = if depth == 0 {
                    "<root>".to_owned()
                } else {
                    self.key[..depth].join(".")
                };
                Error::UnknownKey {
                    origin,
                    section,
                    key,
                    suggestion,
                }
            }
            Error::InvalidValue {
                origin,
                key: None,
                message,
            } => Error::InvalidValue {
                origin,
                key: Some(self.key.join(".")),
                message,
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_values() {
        let o = Override::parse("optimizer.config.lr=1e-5").unwrap();
        assert_eq!(o.key, ["optimizer", "config", "lr"]);
        assert_eq!(o.value, yaml_serde::from_str::<Value>("0.00001").unwrap());
        assert!(
            Override::parse("regime.num_steps=5_000")
                .unwrap()
                .to_layer()
                .is_ok()
        );
    }

    #[test]
    fn rejects_malformed_overrides() {
        for bad in ["novalue", "=3", "a..b=1"] {
            assert!(
                matches!(Override::parse(bad), Err(Error::Override { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_override_keys_are_named() {
        let err = Override::parse("optimizer.config.lrr=1")
            .unwrap()
            .to_layer()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--set optimizer.config.lrr=1: unknown key `lrr` in `optimizer.config` (did you mean `lr`?)"
        );
    }
}
