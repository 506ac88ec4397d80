//! One error type for the data path. Every variant names the file (and, where it
//! applies, the row or key) so that a failure on a 500 GB corpus can be found again.

use std::path::PathBuf;

/// Errors from reading, preparing and loading speech data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read, created or renamed.
    #[error("I/O error: {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file is unreadable (truncated, not Parquet, bad footer).
    #[error("cannot read Parquet: {}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Arrow could not assemble a batch (schema or column mismatch).
    #[error("Arrow error in {}", path.display())]
    Arrow {
        path: PathBuf,
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// A required column is missing or has an unexpected type.
    #[error("column `{column}` is missing or is not {expected}: {}", path.display())]
    Column {
        column: String,
        expected: &'static str,
        path: PathBuf,
    },
    /// The input folder holds no CoRal shards for the requested subsets and splits.
    #[error("no CoRal Parquet shards for subsets {subsets:?} and splits {splits:?} under {}", root.display())]
    NoShards {
        subsets: Vec<String>,
        splits: Vec<String>,
        root: PathBuf,
    },
    /// A prepared dataset holds no utterance that passes the length filters.
    #[error("no utterance passes the filters in split `{split}`: {}", root.display())]
    EmptyDataset { split: String, root: PathBuf },
    /// Audio bytes could not be decoded (see [`AudioError`]).
    #[error("cannot decode audio of row {row}: {}", path.display())]
    Audio {
        row: usize,
        path: PathBuf,
        #[source]
        source: AudioError,
    },
    /// A saved reader state does not belong to this dataset or configuration.
    #[error("reader state does not match this dataset: {reason}")]
    StateMismatch { reason: String },
    /// A loader configuration value is out of range.
    #[error("invalid loader configuration: {0}")]
    Config(String),
    /// A JSON side file (skip report, reader state) could not be (de)serialised.
    #[error("invalid JSON: {}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Writing a side file through `dialekt-core` failed (it names the path).
    #[error(transparent)]
    Core(Box<dialekt_core::Error>),
    /// The background prefetch thread stopped unexpectedly.
    #[error("prefetch thread stopped: {0}")]
    Prefetch(String),
}

/// Why one utterance's audio could not be turned into 16 kHz mono samples.
///
/// These are per-utterance problems: `data prepare` records them in the skip report
/// rather than aborting the whole run.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The bytes start with neither `RIFF....WAVE` nor `fLaC`.
    #[error("unknown audio container (first bytes {magic:02x?})")]
    UnknownFormat { magic: Vec<u8> },
    /// hound rejected the WAV bytes.
    #[error("invalid WAV: {0}")]
    Wav(#[from] hound::Error),
    /// claxon rejected the FLAC bytes.
    #[error("invalid FLAC: {0}")]
    Flac(#[from] claxon::Error),
    /// The header declares a sample rate we refuse to resample from.
    #[error("unsupported sample rate {sample_rate_hz} Hz (expected {min_hz}..={max_hz})")]
    SampleRate {
        sample_rate_hz: u32,
        min_hz: u32,
        max_hz: u32,
    },
    /// The header declares zero channels or an unsupported bit depth.
    #[error("unsupported sample layout: {0}")]
    Layout(String),
    /// The audio decodes to zero samples.
    #[error("audio is empty")]
    Empty,
    /// The resampler refused its input.
    #[error("resampler failed: {0}")]
    Resample(String),
    /// FLAC encoding failed.
    #[error("FLAC encoding failed: {0}")]
    Encode(String),
    /// A decoder panicked; caught so that one bad file never takes a run down.
    #[error("decoder panicked: {0}")]
    Panic(String),
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a Parquet error with the file it happened in.
    pub(crate) fn parquet(path: impl Into<PathBuf>, source: parquet::errors::ParquetError) -> Self {
        Self::Parquet {
            path: path.into(),
            source,
        }
    }

    /// Wraps an Arrow error with the file it happened in.
    pub(crate) fn arrow(path: impl Into<PathBuf>, source: arrow_schema::ArrowError) -> Self {
        Self::Arrow {
            path: path.into(),
            source,
        }
    }
}

impl From<dialekt_core::Error> for Error {
    fn from(source: dialekt_core::Error) -> Self {
        Self::Core(Box::new(source))
    }
}
