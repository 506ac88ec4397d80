//! The one error type of the trainer's library modules (everything but `cli` and
//! `commands`, which add context with `anyhow`). Every variant names the file, key, run or
//! step it is about, so that a message read without context still says where to look.

use std::path::{Path, PathBuf};

use crate::assets::AssetError;
use crate::distributed::GangError;

/// Why a trainer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] dialekt_core::Error),
    #[error(transparent)]
    Data(#[from] dialekt_data::Error),
    #[error(transparent)]
    Model(#[from] dialekt_model::ModelError),
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error(transparent)]
    Gang(#[from] GangError),
    #[error(transparent)]
    Decode(#[from] dialekt_text::decode::DecodeError),
    #[error(transparent)]
    Lm(#[from] dialekt_text::lm::LmError),

    /// A setting of the experiment that cannot be used, by its key.
    #[error("{key}: {message}")]
    Config { key: String, message: String },
    /// What a run needs and does not have, each with how to get it.
    #[error("missing inputs:\n  - {}", .0.join("\n  - "))]
    MissingInputs(Vec<String>),
    #[error(
        "the tokenizer {} has {pieces} pieces but the model's head has {head} (model.config_overrides.target_vocab_size)",
        tokenizer.display()
    )]
    VocabMismatch {
        tokenizer: PathBuf,
        pieces: usize,
        head: usize,
    },
    #[error("reading tokenizer {}", path.display())]
    Tokenizer {
        path: PathBuf,
        #[source]
        source: dialekt_text::Error,
    },

    /// A filesystem call through `fs_err`, whose message names the path itself.
    #[error(transparent)]
    Fs(#[from] std::io::Error),
    /// A file or directory could not be read, written or listed.
    #[error("I/O error on {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// burn could not load or save a parameter or optimizer file.
    #[error("{action} {}", path.display())]
    Record {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: burn::store::RecordError,
    },
    /// A Parquet file of ours (an evaluation's utterances) that cannot be read.
    #[error("{}: {message}", path.display())]
    Table { path: PathBuf, message: String },
    /// Content that no longer matches the hash recorded when it was written.
    #[error("{0}")]
    Tampered(String),
    /// A run, checkpoint or evaluation that is not there.
    #[error("{0}")]
    NotFound(String),
    /// Two things that must agree and do not (runs compared, a reproduction's inputs).
    #[error("{0}")]
    Mismatch(String),

    #[error(transparent)]
    Step(#[from] StepError),
    #[error("the training data ended (the loader repeats forever; this is a bug)")]
    DataEnded,
    #[error("step {step}: the loss ({loss}) or gradient norm ({grad_norm}) is not finite")]
    NonFinite {
        step: u64,
        loss: f64,
        grad_norm: f64,
    },
    /// A program dialekt runs (cargo, a scheduler) failed or is missing.
    #[error("{program}: {message}")]
    Program { program: String, message: String },

    /// An error with what was being done when it happened.
    #[error("{what}")]
    During {
        what: String,
        #[source]
        source: Box<Error>,
    },
}

/// Why a step could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Model(#[from] dialekt_model::ModelError),
    #[error("summing the step over the gang: {0}")]
    Gang(#[from] GangError),
}

impl Error {
    /// [`Error::Config`] on `key`.
    pub fn config(key: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Config {
            key: key.into(),
            message: message.to_string(),
        }
    }

    /// [`Error::Io`] on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// [`Error::Record`]: `action` (`loading`, `writing`) `path`.
    pub fn record(action: &'static str, path: &Path, source: burn::store::RecordError) -> Self {
        Self::Record {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// Adds what was being done to an error, as `anyhow`'s `context` does at the CLI edge.
pub trait During<T> {
    /// # Errors
    /// The error, wrapped in [`Error::During`].
    fn during(self, what: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T, E: Into<Error>> During<T> for Result<T, E> {
    fn during(self, what: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|source| Error::During {
            what: what(),
            source: Box::new(source.into()),
        })
    }
}

/// The error and its sources on one line (`outer: inner: …`), as `{:#}` of anyhow prints
/// them, for messages that collect several errors.
#[must_use]
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
