//! The model module's one error type: everything a user's file or flag can get wrong.
//!
//! Shapes are printed torch-style (`[out, in, k]`, as the checkpoint stores them) so a message
//! can be compared with `torch.load(...)["model"][key].shape` directly.

use std::path::PathBuf;

/// Why a model could not be built, loaded, saved or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown arch `{name}` (known: {known})")]
    UnknownArch { name: String, known: String },
    #[error("invalid arch: {0}")]
    InvalidArch(String),
    #[error("cannot read arch file {}", path.display())]
    ReadArch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse arch file {}: {message}", path.display())]
    ParseArch { path: PathBuf, message: String },
    #[error("cannot open checkpoint {}", path.display())]
    OpenCheckpoint {
        path: PathBuf,
        #[source]
        source: pytorch_reader::PytorchError,
    },
    #[error("checkpoint {} has no tensor `{key}` (expected shape {expected:?})", path.display())]
    MissingTensor {
        key: String,
        expected: Vec<usize>,
        path: PathBuf,
    },
    #[error("tensor `{key}` has shape {found:?} but the arch needs {expected:?} in {}", path.display())]
    ShapeMismatch {
        key: String,
        expected: Vec<usize>,
        found: Vec<usize>,
        path: PathBuf,
    },
    #[error("tensor `{key}` (shape {shape:?}) has dtype {dtype}; only float32/float64/float16/bfloat16 are supported, in {}", path.display())]
    UnsupportedDtype {
        key: String,
        shape: Vec<usize>,
        dtype: String,
        path: PathBuf,
    },
    #[error("cannot read tensor `{key}` (shape {shape:?}), is the file truncated? {}", path.display())]
    ReadTensor {
        key: String,
        shape: Vec<usize>,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("checkpoint {} has {count} tensor(s) the arch does not use, e.g. `{first}`", path.display())]
    UnexpectedTensors {
        count: usize,
        first: String,
        path: PathBuf,
    },
    #[error("cannot infer the arch: {0}")]
    InferArch(String),
    /// A file could not be written (named; what was there before is kept).
    #[error(transparent)]
    Write(#[from] dialekt_core::Error),
    #[error("backend `{0}` is not compiled in (rebuild with `--features {0}`)")]
    BackendNotCompiled(String),
    #[error("backend {0}")]
    UnusableDevice(String),
    #[error("{}: {message}", path.display())]
    Npy { path: PathBuf, message: String },
    #[error(
        "batch is empty or has an utterance too short for the feature extractor ({samples} samples)"
    )]
    TooShort { samples: usize },
}
