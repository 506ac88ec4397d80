//! The crate's one error type. Every variant that comes from a file names the file (and
//! the line where there is one), last in the message.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a SentencePiece `ModelProto`.
    #[error("not a SentencePiece model (protobuf decode failed): {}", path.display())]
    ModelDecode {
        path: PathBuf,
        #[source]
        source: prost::DecodeError,
    },
    /// A well-formed protobuf that we cannot use as a tokenizer.
    #[error("unusable SentencePiece model ({reason}): {}", path.display())]
    InvalidModel { path: PathBuf, reason: String },
    /// A text input line is not UTF-8.
    #[error("line {line} is not valid UTF-8: {}", path.display())]
    InvalidUtf8 { path: PathBuf, line: usize },
    /// A line could not be parsed (JSONL record, field type, ...).
    #[error("line {line}: {message}: {}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// References and hypotheses (or metadata) do not line up.
    #[error("{left_count} lines in {} but {right_count} in {}", left.display(), right.display())]
    LineCountMismatch {
        left: PathBuf,
        left_count: usize,
        right: PathBuf,
        right_count: usize,
    },
}
