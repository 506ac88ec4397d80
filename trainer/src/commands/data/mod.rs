//! `trainer data ...`: dataset manifests and preparation.

mod manifest;
mod prepare;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Hash every file of a dataset directory into a manifest (cached by path, size,
    /// mtime and inode, so an unchanged tree is re-verified without reading it).
    Manifest(manifest::ManifestArgs),
    /// Convert CoRal's Hugging Face Parquet shards into omniASR's training layout
    /// (16 kHz FLAC, `version=0/corpus=.../split=.../language=dan_Latn/part-*.parquet`),
    /// resumably, with a skip report and a data manifest.
    Prepare(prepare::PrepareArgs),
}

impl DataCommand {
    /// # Errors
    /// Whatever the subcommand fails with.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Manifest(args) => args.run(),
            Self::Prepare(args) => args.run(),
        }
    }
}
