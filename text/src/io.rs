//! Reading transcripts and speaker metadata: plain text (one utterance per line) or JSONL
//! (one JSON object per line). Errors name the file and the 1-based line.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::Error;
use crate::groups::{Labels, age_group, dialect_label};

/// Lines of a UTF-8 text file. A final newline does not start an extra (empty) line;
/// empty lines elsewhere are kept (an empty reference is a valid utterance). A trailing
/// `\r` is dropped, as Python's universal newlines would.
pub fn read_lines(path: &Path) -> Result<Vec<String>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    split_lines(&bytes, path)
}

/// [`read_lines`] on bytes already in memory; `path` names them in errors.
pub fn split_lines(bytes: &[u8], path: &Path) -> Result<Vec<String>, Error> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(index, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            String::from_utf8(line.to_vec()).map_err(|_| Error::InvalidUtf8 {
                path: path.to_owned(),
                line: index + 1,
            })
        })
        .collect()
}

/// JSON objects, one per non-empty line.
pub fn read_jsonl(path: &Path) -> Result<Vec<Map<String, Value>>, Error> {
    read_lines(path)?
        .iter()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let parse_error = |message: String| Error::Parse {
                path: path.to_owned(),
                line: index + 1,
                message,
            };
            match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err(parse_error("expected a JSON object".to_owned())),
                Err(error) => Err(parse_error(error.to_string())),
            }
        })
        .collect()
}

/// Whether a path should be read as JSONL rather than plain text.
pub fn is_jsonl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson" | "json")
    )
}

/// Transcripts from a text file, or the string `column` of a JSONL file.
pub fn read_transcripts(path: &Path, column: &str) -> Result<Vec<String>, Error> {
    if is_jsonl(path) {
        transcripts_from_records(&read_jsonl(path)?, column, path)
    } else {
        read_lines(path)
    }
}

/// The string `column` of each record (null → empty); `path` names the source in errors.
pub fn transcripts_from_records(
    records: &[Map<String, Value>],
    column: &str,
    path: &Path,
) -> Result<Vec<String>, Error> {
    records
        .iter()
        .enumerate()
        .map(|(index, record)| match record.get(column) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(Value::Null) => Ok(String::new()),
            Some(other) => Err(parse(
                path,
                index,
                format!("column `{column}` is {other}, not a string"),
            )),
            None => Err(parse(path, index, format!("no column `{column}`"))),
        })
        .collect()
}

fn parse(path: &Path, index: usize, message: String) -> Error {
    Error::Parse {
        path: path.to_owned(),
        line: index + 1,
        message,
    }
}

/// Speaker metadata of one utterance, in CoRal's column names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub speaker: Option<String>,
    pub labels: Labels,
}

impl Meta {
    /// The metadata of a prepared utterance: its speaker, its CoRal dialect group (empty:
    /// unknown), its age in years (grouped as CoRal does) and its gender.
    #[must_use]
    pub fn of_utterance(
        speaker: Option<String>,
        dialect_group: &str,
        age: Option<i64>,
        gender: Option<String>,
    ) -> Self {
        Self {
            speaker,
            labels: Labels {
                dialect: Some(dialect_group.to_owned()).filter(|d| !d.is_empty()),
                #[allow(clippy::cast_precision_loss)] // ages are small
                age_group: age_group(age.map(|a| a as f64)).map(str::to_owned),
                gender,
            },
        }
    }
}

/// Metadata from a JSONL file with CoRal's columns: `id_speaker`, `dialect` (sub-dialect
/// or one of the 10 labels), `country_birth`, `age`, `gender`. Missing or null fields
/// are unknown; a field of the wrong type is an error.
pub fn read_meta(path: &Path) -> Result<Vec<Meta>, Error> {
    meta_from_records(&read_jsonl(path)?, path)
}

/// [`read_meta`] on records already parsed (e.g. from Parquet).
pub fn meta_from_records(records: &[Map<String, Value>], path: &Path) -> Result<Vec<Meta>, Error> {
    records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            meta_from_record(record).map_err(|message| parse(path, index, message))
        })
        .collect()
}

/// The metadata columns [`meta_from_records`] reads.
pub const META_COLUMNS: &[&str] = &[
    "id_speaker",
    "dialect",
    "country_birth",
    "age",
    "age_group",
    "gender",
];

fn meta_from_record(record: &Map<String, Value>) -> Result<Meta, String> {
    let text = |key: &str| -> Result<Option<String>, String> {
        match record.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(format!("`{key}` is {other}, expected a string")),
        }
    };
    let age = match record.get("age") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<f64>()
                .map_err(|_| format!("`age` {s:?} is not a number"))?,
        ),
        Some(other) => return Err(format!("`age` is {other}, expected a number")),
    };
    let dialect = dialect_label(
        text("dialect")?.as_deref(),
        text("country_birth")?.as_deref(),
    );
    let age_group = match text("age_group")? {
        Some(group) => Some(group),
        None => age_group(age).map(str::to_owned),
    };
    Ok(Meta {
        speaker: text("id_speaker")?,
        labels: Labels {
            dialect: dialect.map(str::to_owned),
            age_group,
            gender: text("gender")?,
        },
    })
}

/// Fail unless two inputs have the same number of utterances.
pub fn check_same_length(left: (&Path, usize), right: (&Path, usize)) -> Result<(), Error> {
    if left.1 == right.1 {
        return Ok(());
    }
    Err(Error::LineCountMismatch {
        left: PathBuf::from(left.0),
        left_count: left.1,
        right: PathBuf::from(right.0),
        right_count: right.1,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lines_and_errors_name_the_line() {
        let path = Path::new("refs.txt");
        assert_eq!(split_lines(b"a\n\nb\r\n", path).unwrap(), ["a", "", "b"]);
        assert_eq!(split_lines(b"a", path).unwrap(), ["a"]);
        assert!(split_lines(b"", path).unwrap().is_empty());
        assert_eq!(split_lines(b"\n", path).unwrap(), [""]);
        let error = split_lines(b"ok\n\xff\n", path).unwrap_err().to_string();
        assert_eq!(error, "line 2 is not valid UTF-8: refs.txt");
    }

    #[test]
    fn metadata_records() {
        let record: Map<String, Value> = serde_json::from_str(
            r#"{"id_speaker": "s1", "dialect": "lollandsk", "country_birth": null, "age": 25, "gender": "female"}"#,
        )
        .unwrap();
        let meta = meta_from_record(&record).unwrap();
        assert_eq!(meta.speaker.as_deref(), Some("s1"));
        assert_eq!(meta.labels.dialect.as_deref(), Some("Sydømål"));
        assert_eq!(meta.labels.age_group.as_deref(), Some("25-49"));
        let bad: Map<String, Value> = serde_json::from_str(r#"{"age": [1]}"#).unwrap();
        assert!(meta_from_record(&bad).is_err());
    }

    proptest! {
        #[test]
        fn line_splitting_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = split_lines(&bytes, Path::new("fuzz.txt"));
        }
    }
}
