//! Released models and tokenizers: which exist ([`asset`]), where a local copy is
//! (ours or fairseq2's cache), and how a missing one is fetched ([`download`]). They live
//! with the trainer, beside its user cache, not in the model crate: the network is the
//! trainer's business.

pub mod asset;
pub mod download;

use std::path::PathBuf;

pub use asset::{ASSETS, Asset, AssetFile, TOKENIZERS, resolve_model};

/// Why a released model file is not at hand.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error(
        "`{name}` is not in the cache: it is downloaded from {url} to {} once the other inputs are in place (or now: `trainer model fetch {name}`)",
        path.display()
    )]
    NotCached {
        name: String,
        url: String,
        path: PathBuf,
    },
    #[error(
        "`{name}` could not be downloaded ({cause}); on a machine that is online run `trainer model fetch {name}`, or fetch {url} by hand, and put it at {}",
        path.display()
    )]
    Download {
        name: String,
        url: String,
        path: PathBuf,
        cause: download::DownloadError,
    },
    #[error("`{model}` is neither a checkpoint file nor a known asset ({known})")]
    UnknownModel { model: String, known: String },
}
