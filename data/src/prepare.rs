//! `data prepare`: CoRal shards → omniASR's MIXTURE_PARQUET layout.
//!
//! Each input shard becomes exactly one part file
//! (`version=0/corpus=<corpus>/split=<split>/language=dan_Latn/part-<shard>.parquet`),
//! so the work is resumable at shard granularity: a finished part is verified
//! against the provenance in its footer and kept, anything else is redone. Rows of
//! a shard are decoded, resampled and encoded in parallel (rayon) one read batch at
//! a time, which bounds memory; rows keep their input order, so the output bytes
//! (and the data manifest) are identical across runs and thread counts.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use dialekt_core::SAMPLE_RATE_HZ;
use dialekt_text::groups::dialect_label;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audio::decode_audio;
use crate::coral::{CoralReader, CoralRow, CoralShard, discover_shards};
use crate::error::{AudioError, Error};
use crate::flac::encode_flac;
use crate::resample::resample;
use crate::schema::{PreparedRow, omni_split, partition_dir};
use crate::skip::{SKIP_REPORT_FILE, SkipEntry, SkipKind, SkipReport};
use crate::stats::{LANGUAGE_DISTRIBUTION_FILE, language_distribution_tsv};
use crate::writer::PartWriter;

/// Footer key holding a part's [`PartProvenance`] as JSON.
pub const PROVENANCE_KEY: &str = "dialekt.prepare";
/// Bumped whenever the prepared bytes for the same input would change; parts of an
/// older format are redone.
pub const PREPARE_FORMAT: u32 = 3;

/// What to prepare and where.
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// Folder of CoRal's HF Parquet shards.
    pub coral_root: PathBuf,
    /// Output root; the omniASR tree goes under `version=0/`.
    pub out_root: PathBuf,
    /// CoRal subsets (`read_aloud`, `conversation`); empty = all found.
    pub subsets: Vec<String>,
    /// CoRal splits (`train`, `val`, `test`); empty = all found.
    pub splits: Vec<String>,
    /// Read at most this many rows per (subset, split), in shard order.
    pub max_rows: Option<usize>,
    /// Corpus name prefix: subset `read_aloud` becomes corpus `<prefix>_read_aloud`.
    pub corpus_prefix: String,
}

/// A part's provenance, stored in its Parquet footer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartProvenance {
    pub format: u32,
    /// Shard path relative to the CoRal root.
    pub source: String,
    pub source_bytes: u64,
    /// Rows of the shard that were read (the `--max-rows` budget or all).
    pub rows_read: usize,
    pub rows_written: usize,
    /// Sum of `audio_size`, for `language_distribution_0.tsv` without decoding.
    pub audio_samples: u64,
    pub corpus: String,
    pub skipped: Vec<SkipEntry>,
}

/// Observer for progress; the CLI draws a bar, tests pass `&()`.
pub trait PrepareProgress: Sync {
    /// Called once with the number of rows that will be read (reused parts excluded).
    fn start(&self, _rows_to_read: u64) {}
    /// Called after each read batch.
    fn rows_done(&self, _rows: u64) {}
    /// Called when a part is written or found complete.
    fn part_done(&self, _part: &Path, _reused: bool) {}
}

impl PrepareProgress for () {}

/// The outcome of a prepare run.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareSummary {
    pub parts_written: usize,
    pub parts_reused: usize,
    pub rows_written: usize,
    pub skip_report: SkipReport,
    /// All part files under the output root, relative, sorted.
    pub parts: Vec<String>,
}

/// One unit of work: a shard, where its part goes, and how many rows to read.
#[derive(Debug, Clone)]
struct PartJob {
    shard: CoralShard,
    part_path: PathBuf,
    corpus: String,
    rows_to_read: usize,
    source_bytes: u64,
}

/// Runs the whole preparation.
///
/// # Errors
/// Unreadable inputs or outputs ([`Error::Parquet`], [`Error::Io`], …). Per-utterance
/// problems are never errors: they go to the skip report.
pub fn prepare(
    options: &PrepareOptions,
    progress: &dyn PrepareProgress,
) -> Result<PrepareSummary, Error> {
    let shards = discover_shards(&options.coral_root, &options.subsets, &options.splits)?;
    let jobs = plan_jobs(options, shards)?;
    remove_stale_temp_files(&jobs)?;
    let (todo, done): (Vec<_>, Vec<_>) = jobs.into_iter().partition(|job| !is_complete(job));
    progress.start(todo.iter().map(|j| j.rows_to_read as u64).sum());
    for job in &done {
        progress.part_done(&job.part_path, true);
    }
    // Shards in parallel as well as the rows within one: reading a batch and writing
    // it are serial per part, so one part at a time leaves cores idle meanwhile.
    let written: Vec<PartProvenance> = todo
        .par_iter()
        .map(|job| {
            let provenance = prepare_part(job, progress)?;
            progress.part_done(&job.part_path, false);
            Ok(provenance)
        })
        .collect::<Result<_, Error>>()?;
    let rows_written = written.iter().map(|p| p.rows_written).sum();
    let (parts, provenances) = read_all_provenance(&options.out_root)?;
    let skip_report = SkipReport::from_entries(
        provenances
            .iter()
            .flat_map(|p| p.skipped.iter().cloned())
            .collect(),
    );
    write_side_files(&options.out_root, &provenances, &skip_report)?;
    Ok(PrepareSummary {
        parts_written: todo.len(),
        parts_reused: done.len(),
        rows_written,
        skip_report,
        parts,
    })
}

/// Maps shards to part paths and row budgets (`--max-rows` per subset and split,
/// spent in shard order, from the footers' row counts).
fn plan_jobs(options: &PrepareOptions, shards: Vec<CoralShard>) -> Result<Vec<PartJob>, Error> {
    let mut spent: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let mut jobs = Vec::with_capacity(shards.len());
    for shard in shards {
        let num_rows = CoralReader::open(&shard.path)?.num_rows();
        let used = spent
            .entry((shard.subset.clone(), shard.split.clone()))
            .or_insert(0);
        let rows_to_read = options
            .max_rows
            .map_or(num_rows, |max| num_rows.min(max.saturating_sub(*used)));
        *used += rows_to_read;
        if rows_to_read == 0 {
            continue;
        }
        let corpus = corpus_name(&options.corpus_prefix, &shard.subset);
        let part_path = options
            .out_root
            .join(partition_dir(&corpus, omni_split(&shard.split)))
            .join(format!("part-{}.parquet", shard.part_stem()));
        let source_bytes = fs_err::metadata(&shard.path)
            .map_err(|e| Error::io(&shard.path, e))?
            .len();
        jobs.push(PartJob {
            shard,
            part_path,
            corpus,
            rows_to_read,
            source_bytes,
        });
    }
    Ok(jobs)
}

/// `<prefix>_<subset>`, or just `<prefix>` for a flat folder without subsets.
#[must_use]
pub fn corpus_name(prefix: &str, subset: &str) -> String {
    if subset == "default" {
        prefix.to_owned()
    } else {
        format!("{prefix}_{subset}")
    }
}

/// Deletes the temporary files a crashed run left in the partitions we write to.
fn remove_stale_temp_files(jobs: &[PartJob]) -> Result<(), Error> {
    let dirs: std::collections::BTreeSet<&Path> =
        jobs.iter().filter_map(|j| j.part_path.parent()).collect();
    for dir in dirs {
        let Ok(entries) = fs_err::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if dialekt_core::atomic::is_temp_file(&name) {
                fs_err::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    Ok(())
}

/// A part is complete if its footer parses and its provenance matches this job.
fn is_complete(job: &PartJob) -> bool {
    let Ok(Some(provenance)) = read_provenance(&job.part_path) else {
        return false;
    };
    provenance.format == PREPARE_FORMAT
        && provenance.source == job.shard.relative_path
        && provenance.source_bytes == job.source_bytes
        && provenance.rows_read == job.rows_to_read
        && provenance.corpus == job.corpus
}

/// Reads a part's provenance from its footer; `Ok(None)` if it has none.
///
/// # Errors
/// [`Error::Parquet`] if the footer is unreadable, [`Error::Json`] if the provenance is malformed.
pub fn read_provenance(part: &Path) -> Result<Option<PartProvenance>, Error> {
    let file = fs_err::File::open(part).map_err(|e| Error::io(part, e))?;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file.into_parts().0)
        .map_err(|e| Error::parquet(part, e))?;
    use parquet::file::reader::FileReader as _;
    let metadata = reader.metadata().file_metadata();
    let Some(value) = metadata
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == PROVENANCE_KEY))
        .and_then(|kv| kv.value.clone())
    else {
        return Ok(None);
    };
    let provenance: PartProvenance = serde_json::from_str(&value).map_err(|e| Error::Json {
        path: part.to_path_buf(),
        source: e,
    })?;
    let footer_rows = usize::try_from(metadata.num_rows()).unwrap_or(usize::MAX);
    Ok((footer_rows == provenance.rows_written).then_some(provenance))
}

/// Reads, converts and writes one shard, one read batch at a time (bounded memory).
fn prepare_part(job: &PartJob, progress: &dyn PrepareProgress) -> Result<PartProvenance, Error> {
    let mut reader = CoralReader::open(&job.shard.path)?;
    let mut writer = PartWriter::create(&job.part_path)?;
    let mut skipped = Vec::new();
    let (mut rows_read, mut rows_written, mut audio_samples) = (0, 0, 0u64);
    while rows_read < job.rows_to_read {
        let Some(mut batch) = reader.next_batch()? else {
            break;
        };
        batch.truncate(job.rows_to_read - rows_read);
        rows_read += batch.len();
        let results: Vec<Result<PreparedRow, SkipEntry>> = batch
            .par_iter()
            .map(|row| convert_row(row, &job.shard.relative_path))
            .collect();
        let mut rows = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Ok(row) => rows.push(row),
                Err(skip) => skipped.push(skip),
            }
        }
        rows_written += rows.len();
        audio_samples += rows
            .iter()
            .map(|r| r.audio_size.unsigned_abs())
            .sum::<u64>();
        writer.write(rows)?;
        progress.rows_done(batch.len() as u64);
    }
    let provenance = PartProvenance {
        format: PREPARE_FORMAT,
        source: job.shard.relative_path.clone(),
        source_bytes: job.source_bytes,
        rows_read,
        rows_written,
        audio_samples,
        corpus: job.corpus.clone(),
        skipped,
    };
    let provenance_json = serde_json::to_string(&provenance).map_err(|e| Error::Json {
        path: job.part_path.clone(),
        source: e,
    })?;
    writer.finish(vec![(PROVENANCE_KEY.to_owned(), provenance_json)])?;
    Ok(provenance)
}

/// One CoRal row → a prepared row, or the reason it is skipped.
fn convert_row(row: &CoralRow, file: &str) -> Result<PreparedRow, SkipEntry> {
    let skip = |kind, reason: String| SkipEntry {
        file: file.to_owned(),
        row: row.row,
        kind,
        reason,
    };
    if row.validated.as_deref() == Some("rejected") {
        return Err(skip(SkipKind::Rejected, "validated == \"rejected\"".into()));
    }
    let text = row.text.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(skip(SkipKind::EmptyText, "text is empty".into()));
    }
    let audio = row.audio.as_deref().unwrap_or_default();
    if audio.is_empty() {
        return Err(skip(SkipKind::MissingAudio, "audio has no bytes".into()));
    }
    let (flac, audio_size) =
        to_16k_flac(audio).map_err(|e| skip(SkipKind::UndecodableAudio, e.to_string()))?;
    Ok(PreparedRow {
        text: text.to_owned(),
        audio_flac: flac,
        audio_size: i64::try_from(audio_size).unwrap_or(i64::MAX),
        id_speaker: row.id_speaker.clone(),
        age: row.age,
        gender: row.gender.clone(),
        dialect: row.dialect.clone(),
        // The evaluation's own mapping (CoRal-exact, parity-tested in dialekt-text), so the
        // stored group is the one scores are broken down by.
        dialect_group: dialect_label(row.dialect.as_deref(), row.country_birth.as_deref())
            .unwrap_or(UNKNOWN_DIALECT)
            .to_owned(),
        country_birth: row.country_birth.clone(),
        source: format!("{file}#{}", row.row),
    })
}

/// `dialect_group` of a speaker outside CoRal's mapping (CoRal's NaN).
pub const UNKNOWN_DIALECT: &str = "Unknown";

/// Decode → mono → 16 kHz → FLAC. Returns the FLAC bytes and the sample count.
/// A panic inside a decoder is caught and reported like any other bad file.
///
/// # Errors
/// [`AudioError`] describing why the bytes could not be converted.
pub fn to_16k_flac(audio: &[u8]) -> Result<(Vec<u8>, usize), AudioError> {
    let convert = || -> Result<(Vec<u8>, usize), AudioError> {
        let decoded = decode_audio(audio)?;
        let samples = resample(&decoded.samples, decoded.sample_rate_hz, SAMPLE_RATE_HZ)?;
        if samples.is_empty() {
            return Err(AudioError::Empty);
        }
        Ok((encode_flac(&samples, SAMPLE_RATE_HZ)?, samples.len()))
    };
    catch_unwind(AssertUnwindSafe(convert)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(AudioError::Panic(message))
    })
}

/// Every `part-*.parquet` under `<out>/version=0`, relative to `out`, with its provenance.
fn read_all_provenance(out_root: &Path) -> Result<(Vec<String>, Vec<PartProvenance>), Error> {
    let mut parts = Vec::new();
    collect_parts(&out_root.join("version=0"), &mut parts)?;
    parts.sort();
    let mut relative = Vec::with_capacity(parts.len());
    let mut provenances = Vec::with_capacity(parts.len());
    for part in parts {
        if let Some(provenance) = read_provenance(&part)? {
            provenances.push(provenance);
        }
        let rel = part.strip_prefix(out_root).unwrap_or(&part);
        relative.push(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    Ok((relative, provenances))
}

/// Recursively lists `part-*.parquet` files (missing directory = none).
pub(crate) fn collect_parts(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect_parts(&path, out)?;
        } else if path.file_name().is_some_and(|n| {
            n.to_string_lossy().starts_with("part-") && n.to_string_lossy().ends_with(".parquet")
        }) {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes `language_distribution_0.tsv` and the skip report, atomically.
fn write_side_files(
    out_root: &Path,
    provenances: &[PartProvenance],
    skips: &SkipReport,
) -> Result<(), Error> {
    let tsv = language_distribution_tsv(
        provenances
            .iter()
            .map(|p| (p.corpus.as_str(), p.audio_samples)),
    );
    let tsv_path = out_root.join(LANGUAGE_DISTRIBUTION_FILE);
    dialekt_core::atomic::write_atomic(&tsv_path, tsv.as_bytes())?;
    dialekt_core::atomic::write_json_atomic(&out_root.join(SKIP_REPORT_FILE), skips)?;
    Ok(())
}
