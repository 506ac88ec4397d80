//! The training data path, from CoRal's Hugging Face shards to padded batches.
//!
//! 1. [`coral`] reads CoRal's raw Parquet shards (`{subset}/{split}-NNNNN-of-NNNNN.parquet`)
//!    relying only on the columns every CoRal release has.
//! 2. [`audio`] decodes the stored WAV (or FLAC) bytes to mono, [`resample`] brings them
//!    to 16 kHz with a band-limited FFT resampler, and [`flac`] re-encodes them.
//! 3. [`prepare`] writes omniASR's MIXTURE_PARQUET layout
//!    (`version=0/corpus=<name>/split=<split>/language=dan_Latn/part-*.parquet` plus
//!    `language_distribution_0.tsv`), in parallel, resumably, with a [`skip`] report.
//! 4. [`index`] reads the prepared metadata, [`loader`] plans each epoch exactly like
//!    fairseq2 (length filter, [`shuffle`] windows, [`bucketing`]) and decodes batches
//!    on a background thread ([`loader`]), applying [`normalize`]'s `normalize_audio`.
//!
//! Nothing here touches tensors: batches are plain `Vec<f32>` plus lengths, so the
//! whole path is testable without a device.

pub mod audio;
pub mod audio_column;
pub mod batch;
pub mod bucketing;
pub mod coral;
pub mod error;
pub mod flac;
pub mod index;
pub mod loader;
pub mod mixing;
pub mod normalize;
pub mod plan;
pub mod prepare;
pub mod resample;
pub mod schema;
pub mod shuffle;
pub mod skip;
pub mod stats;
pub mod writer;

pub use batch::Batch;
pub use error::{AudioError, Error};
pub use index::DatasetIndex;
pub use loader::{Loader, LoaderConfig, ReaderState, Shard, Slot};
pub use plan::PlanConfig;
pub use prepare::{PrepareOptions, PrepareSummary, prepare};
