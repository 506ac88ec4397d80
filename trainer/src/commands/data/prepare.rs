//! `trainer data prepare --coral <dir> --out <dir>`: CoRal → omniASR training Parquet.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use dialekt_core::atomic::write_json_atomic;
use dialekt_core::manifest::{BuildOptions, MANIFEST_FILE_NAME, build};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use dialekt_data::prepare::{PrepareOptions, PrepareProgress, prepare};
use dialekt_data::skip::SKIP_REPORT_FILE;

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// Folder of CoRal's Hugging Face Parquet shards (`{subset}/{split}-NNNNN-of-NNNNN.parquet`,
    /// `{subset}/{split}/NNNN.parquet`, or a flat folder of `{split}-*.parquet`).
    #[arg(long, value_name = "DIR")]
    pub coral: PathBuf,
    /// Output root; the omniASR tree is written under `version=0/`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Subsets to prepare (default: all found).
    #[arg(long, value_delimiter = ',', value_name = "SUBSET")]
    pub subsets: Vec<String>,
    /// CoRal splits to prepare: train, val, test (default: all found). `val` is written as `dev`.
    #[arg(long, value_delimiter = ',', value_name = "SPLIT")]
    pub splits: Vec<String>,
    /// Read at most N rows per subset and split (for quick experiments).
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    /// Corpus name prefix: subset `read_aloud` becomes `corpus=<prefix>_read_aloud`.
    #[arg(long, default_value = "coral")]
    pub corpus_prefix: String,
}

impl PrepareArgs {
    /// # Errors
    /// Unreadable shards or unwritable outputs, with the file named.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let options = PrepareOptions {
            coral_root: self.coral.clone(),
            out_root: self.out.clone(),
            subsets: self.subsets,
            splits: self.splits,
            max_rows: self.max_rows,
            corpus_prefix: self.corpus_prefix,
        };
        let progress = RowProgress::new();
        let summary = prepare(&options, &progress).with_context(|| {
            format!(
                "preparing {} into {}",
                self.coral.display(),
                self.out.display()
            )
        })?;
        progress.bar.finish_and_clear();
        let manifest = write_manifest(&self.out)?;

        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "prepared {} parts ({} written, {} already complete), {} rows written in this run",
            summary.parts.len(),
            summary.parts_written,
            summary.parts_reused,
            summary.rows_written
        )?;
        writeln!(
            stdout,
            "skipped {} utterances {:?} (see {})",
            summary.skip_report.total,
            summary.skip_report.by_kind,
            self.out.join(SKIP_REPORT_FILE).display()
        )?;
        writeln!(
            stdout,
            "manifest root {} ({})",
            manifest,
            self.out.join(MANIFEST_FILE_NAME).display()
        )?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Hashes the prepared tree and writes `dialekt-manifest.json` inside it (the manifest
/// never lists itself). Returns the root hash in hex.
fn write_manifest(out: &Path) -> anyhow::Result<String> {
    let manifest = build(out, &BuildOptions::default(), &())
        .with_context(|| format!("building the manifest of {}", out.display()))?;
    write_json_atomic(&out.join(MANIFEST_FILE_NAME), &manifest)?;
    Ok(manifest.root.to_hex())
}

/// A rows-read bar with ETA on stderr (hidden when stderr is not a terminal).
#[derive(Debug)]
struct RowProgress {
    bar: ProgressBar,
}

impl RowProgress {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "preparing [{bar:30}] {pos}/{len} utterances {per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Self { bar }
    }
}

impl PrepareProgress for RowProgress {
    fn start(&self, rows_to_read: u64) {
        self.bar.set_length(rows_to_read);
    }

    fn rows_done(&self, rows: u64) {
        self.bar.inc(rows);
    }

    fn part_done(&self, part: &Path, reused: bool) {
        let name = part
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.bar.set_message(if reused {
            format!("{name} (kept)")
        } else {
            name
        });
    }
}
