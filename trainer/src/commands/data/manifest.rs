//! `trainer data manifest <dir> [--verify]`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use dialekt_core::atomic::{read_json, write_json_atomic};
use dialekt_core::manifest::{BuildOptions, Manifest, ManifestDiff, build, default_cache_path};

use crate::progress::ByteProgress;

#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// Dataset directory.
    pub dir: PathBuf,
    /// Also write the manifest as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Re-hash every file (ignoring the cache) and compare with the last recorded
    /// manifest of this directory (or `--against`), naming each changed, missing or
    /// extra file. Exits with status 1 when anything differs.
    #[arg(long)]
    pub verify: bool,
    /// The manifest `--verify` compares with.
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub against: Option<PathBuf>,
    /// Neither read nor write the stat cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Print the manifest as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

impl ManifestArgs {
    /// # Errors
    /// Unreadable directories or files (named), or an unreadable recorded manifest.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if !self.dir.is_dir() {
            bail!("{} is not a directory", self.dir.display());
        }
        let cache = if self.no_cache {
            None
        } else {
            default_cache_path(&self.dir)
        };
        let last_path = cache
            .as_ref()
            .map(|c| c.with_extension("last-manifest.json"));
        let recorded: Option<Manifest> = match (&self.against, &last_path) {
            (Some(file), _) => Some(read_json(file)?),
            (None, Some(last)) if self.verify && last.exists() => Some(read_json(last)?),
            _ => None,
        };
        if self.verify && recorded.is_none() {
            bail!(
                "nothing to verify {} against: run `trainer data manifest {}` once first, or pass --against FILE",
                self.dir.display(),
                self.dir.display()
            );
        }

        let options = BuildOptions {
            cache,
            rehash: self.verify,
        };
        let progress = ByteProgress::new("hashing");
        let manifest = build(&self.dir, &options, &progress)
            .with_context(|| format!("building the manifest of {}", self.dir.display()))?;
        progress.finish();

        if let Some(out) = &self.out {
            write_json_atomic(out, &manifest)?;
        }
        let mut stdout = std::io::stdout().lock();
        if self.json {
            writeln!(stdout, "{}", serde_json::to_string_pretty(&manifest)?)?;
        } else {
            print_summary(&mut stdout, &self.dir, &manifest)?;
        }
        let Some(recorded) = recorded else {
            if let Some(last) = &last_path {
                write_json_atomic(last, &manifest)?;
            }
            return Ok(ExitCode::SUCCESS);
        };
        let diff = ManifestDiff::between(&recorded, &manifest);
        if diff.is_empty() {
            writeln!(
                stdout,
                "verified: identical to the recorded manifest (root {})",
                recorded.root.short()
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        for (label, paths) in [
            ("changed", &diff.changed),
            ("missing", &diff.removed),
            ("extra", &diff.added),
        ] {
            for path in paths {
                writeln!(stdout, "{label}: {path}")?;
            }
        }
        writeln!(
            stdout,
            "verify FAILED: {} changed, {} missing, {} extra",
            diff.changed.len(),
            diff.removed.len(),
            diff.added.len()
        )?;
        Ok(ExitCode::from(1))
    }
}

fn print_summary(out: &mut impl Write, dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let rows: u64 = manifest.files.iter().filter_map(|f| f.parquet_rows).sum();
    writeln!(out, "dataset  {}", dir.display())?;
    writeln!(out, "root     {}", manifest.root)?;
    writeln!(out, "files    {}", manifest.files.len())?;
    writeln!(out, "bytes    {}", manifest.total_bytes)?;
    if manifest.files.iter().any(|f| f.parquet_rows.is_some()) {
        writeln!(out, "rows     {rows} (Parquet)")?;
    }
    Ok(())
}
