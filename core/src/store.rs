//! The run store: `runs/<id>/` directories, created and updated atomically.
//!
//! Layout of one run:
//! ```text
//! runs/<64-hex id>/
//!   run.json               lineage (RunRecord)
//!   config.resolved.yaml   the resolved experiment, for people
//!   config.resolved.json   the same, as the exact JSON that was hashed (plus labels)
//!   manifest.json          the data manifest
//!   code.patch             uncommitted changes (only when the tree was dirty)
//!   metrics.jsonl          hash-chained metrics log
//!   metrics.head.json      the chain head (covers the last line)
//!   checkpoints/  eval/    written by training and evaluation
//! ```
//! Every file is written to a temporary file and renamed. Mutations of a run take an
//! exclusive lock on `runs/<id>/.lock`, so concurrent writers queue instead of corrupting.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::atomic::{read_json, write_atomic, write_json_atomic};
use crate::config::Experiment;
use crate::lineage::{RunId, RunRecord};
use crate::manifest::Manifest;
use crate::metrics::{self, ChainHead, MetricLine};
use crate::{ContentHash, Error};

pub const RUN_FILE: &str = "run.json";
pub const CONFIG_YAML_FILE: &str = "config.resolved.yaml";
pub const CONFIG_JSON_FILE: &str = "config.resolved.json";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const PATCH_FILE: &str = "code.patch";
pub const METRICS_FILE: &str = "metrics.jsonl";
pub const METRICS_HEAD_FILE: &str = "metrics.head.json";
const LOCK_FILE: &str = ".lock";

/// A directory of runs.
#[derive(Debug, Clone)]
pub struct RunStore {
    root: PathBuf,
}

/// One run's directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub id: RunId,
    pub path: PathBuf,
}

/// What a new run is created from.
#[derive(Debug)]
pub struct NewRun<'a> {
    pub record: &'a RunRecord,
    pub experiment: &'a Experiment,
    pub manifest: &'a Manifest,
    pub patch: &'a [u8],
}

/// A point in a run's metrics log (see [`RunDir::metrics_position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MetricsPosition {
    pub head: ChainHead,
    pub bytes: u64,
}

/// An exclusive lock on a run, released on drop.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunStore {
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    #[must_use]
    pub fn dir(&self, id: RunId) -> RunDir {
        RunDir {
            id,
            path: self.root.join(id.to_string()),
        }
    }

    /// Creates the run's directory and files if it does not exist yet. Returns the run
    /// and whether it already existed (then nothing was written: a later attempt of the
    /// same run is recorded with [`RunDir::update_record`]).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn create(&self, new: &NewRun<'_>) -> Result<(RunDir, bool), Error> {
        let dir = self.dir(new.record.run_id);
        fs_err::create_dir_all(&dir.path).map_err(|source| Error::Io {
            path: dir.path.clone(),
            source,
        })?;
        let _lock = dir.lock()?;
        if dir.file(RUN_FILE).exists() {
            return Ok((dir, true));
        }
        write_atomic(
            &dir.file(CONFIG_YAML_FILE),
            new.experiment.to_yaml().as_bytes(),
        )?;
        write_json_atomic(&dir.file(CONFIG_JSON_FILE), &new.experiment.to_json())?;
        write_json_atomic(&dir.file(MANIFEST_FILE), new.manifest)?;
        if !new.patch.is_empty() {
            write_atomic(&dir.file(PATCH_FILE), new.patch)?;
        }
        // run.json last: its presence marks a complete run directory.
        write_json_atomic(&dir.file(RUN_FILE), new.record)?;
        Ok((dir, false))
    }

    /// Every run's record, oldest first (by first attempt start, then id).
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming an unreadable `run.json`.
    pub fn list(&self) -> Result<Vec<RunRecord>, Error> {
        let mut records = Vec::new();
        for id in self.ids()? {
            records.push(self.dir(id).record()?);
        }
        records.sort_by(|a, b| {
            let start = |r: &RunRecord| r.attempts.first().map(|a| a.started_at.clone());
            start(a).cmp(&start(b)).then(a.run_id.cmp(&b.run_id))
        });
        Ok(records)
    }

    /// Finds the run whose id starts with `prefix` (like git's abbreviated hashes).
    ///
    /// # Errors
    /// [`Error::RunNotFound`] or [`Error::AmbiguousRun`] listing the candidates.
    pub fn resolve(&self, prefix: &str) -> Result<RunDir, Error> {
        let prefix = prefix.to_ascii_lowercase();
        let matches: Vec<RunId> = self
            .ids()?
            .into_iter()
            .filter(|id| id.to_string().starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [id] => Ok(self.dir(*id)),
            [] => Err(Error::RunNotFound {
                store: self.root.clone(),
                prefix,
            }),
            many => Err(Error::AmbiguousRun {
                store: self.root.clone(),
                prefix,
                candidates: many.iter().map(RunId::short).collect(),
            }),
        }
    }

    /// Ids of complete run directories (those with a `run.json`), sorted.
    fn ids(&self) -> Result<Vec<RunId>, Error> {
        if !self.root.exists() {
            return Ok(Vec::new());
        }
        let io = |source| Error::Io {
            path: self.root.clone(),
            source,
        };
        let mut ids = Vec::new();
        for entry in fs_err::read_dir(&self.root).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Ok(id) = entry.file_name().to_string_lossy().parse::<RunId>() else {
                continue;
            };
            if entry.path().join(RUN_FILE).exists() {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }
}

impl RunDir {
    #[must_use]
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Blocks until this process holds the run's exclusive lock.
    ///
    /// # Errors
    /// [`Error::Io`] if the lock file cannot be opened or locked.
    pub fn lock(&self) -> Result<RunLock, Error> {
        let path = self.file(LOCK_FILE);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(RunLock { _file: file })
    }

    /// Reads `run.json`.
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming the file.
    pub fn record(&self) -> Result<RunRecord, Error> {
        read_json(&self.file(RUN_FILE))
    }

    /// Reads, changes and rewrites `run.json` under the run's lock.
    ///
    /// # Errors
    /// As [`RunDir::record`], or a write error.
    pub fn update_record(&self, change: impl FnOnce(&mut RunRecord)) -> Result<RunRecord, Error> {
        let _lock = self.lock()?;
        let mut record = self.record()?;
        change(&mut record);
        write_json_atomic(&self.file(RUN_FILE), &record)?;
        Ok(record)
    }

    /// Reads the resolved config as written at creation.
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming the file.
    pub fn config_json(&self) -> Result<serde_json::Value, Error> {
        read_json(&self.file(CONFIG_JSON_FILE))
    }

    /// The resolved experiment as written at creation (the typed form of
    /// [`RunDir::config_json`]).
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming the file.
    pub fn experiment(&self) -> Result<Experiment, Error> {
        read_json(&self.file(CONFIG_JSON_FILE))
    }

    /// Reads the data manifest recorded for the run.
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming the file.
    pub fn manifest(&self) -> Result<Manifest, Error> {
        read_json(&self.file(MANIFEST_FILE))
    }

    /// Appends one line to `metrics.jsonl` and advances the recorded chain head.
    /// The log is only ever appended to; the head file is replaced atomically.
    ///
    /// # Errors
    /// [`Error::Io`] naming the log, [`Error::Corrupt`] if the existing log is damaged.
    pub fn append_metrics(
        &self,
        step: u64,
        phase: &str,
        values: BTreeMap<String, f64>,
        timing: BTreeMap<String, f64>,
    ) -> Result<MetricLine, Error> {
        use std::io::Write;
        let _lock = self.lock()?;
        let mut head = self.metrics_head()?;
        let (line, text) = head.append(step, phase, values, timing);
        let path = self.file(METRICS_FILE);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut log = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        log.write_all(format!("{text}\n").as_bytes()).map_err(io)?;
        log.sync_data().map_err(io)?;
        write_json_atomic(&self.file(METRICS_HEAD_FILE), &head)?;
        Ok(line)
    }

    /// Where the metrics log ends now: its head and its length in bytes. A training
    /// checkpoint records this so that a resumed run can cut the log back to it.
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming the log or its head.
    pub fn metrics_position(&self) -> Result<MetricsPosition, Error> {
        let _lock = self.lock()?;
        let path = self.file(METRICS_FILE);
        let bytes = match fs_err::metadata(&path) {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(source) => return Err(Error::Io { path, source }),
        };
        Ok(MetricsPosition {
            head: self.metrics_head()?,
            bytes,
        })
    }

    /// Cuts the metrics log back to `position` (recorded by a checkpoint). The lines
    /// after it were written by an attempt that stopped before its next checkpoint; a
    /// resumed run recomputes them, so they are moved, not lost, to
    /// `metrics.discarded-<n>.jsonl`. Returns that file when anything was cut.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the log's first `position.bytes` bytes do not end at
    /// `position.head` (the log is not the one the checkpoint saw); I/O errors.
    pub fn rewind_metrics(&self, position: &MetricsPosition) -> Result<Option<PathBuf>, Error> {
        let _lock = self.lock()?;
        let (path, text) = self.metrics_text()?;
        let corrupt = |message: String| Error::Corrupt {
            path: path.clone(),
            message,
        };
        let cut = usize::try_from(position.bytes)
            .ok()
            .filter(|&n| n <= text.len() && text.is_char_boundary(n))
            .ok_or_else(|| {
                corrupt(format!(
                    "the checkpoint saw {} bytes of metrics but the log has {}",
                    position.bytes,
                    text.len()
                ))
            })?;
        let (kept, tail) = text.split_at(cut);
        metrics::verify(kept, Some(&position.head)).map_err(|e| corrupt(e.to_string()))?;
        if tail.is_empty() {
            return Ok(None);
        }
        let discarded = (1..)
            .map(|n| self.file(&format!("metrics.discarded-{n}.jsonl")))
            .find(|p| !p.exists())
            .unwrap_or_else(|| self.file("metrics.discarded.jsonl"));
        write_atomic(&discarded, tail.as_bytes())?;
        write_atomic(&path, kept.as_bytes())?;
        write_json_atomic(&self.file(METRICS_HEAD_FILE), &position.head)?;
        Ok(Some(discarded))
    }

    /// The metrics log's path and text (empty when nothing was logged yet).
    fn metrics_text(&self) -> Result<(PathBuf, String), Error> {
        let path = self.file(METRICS_FILE);
        if !path.exists() {
            return Ok((path, String::new()));
        }
        let text = fs_err::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok((path, text))
    }

    /// The recorded chain head (empty when no metrics yet).
    ///
    /// # Errors
    /// [`Error::Io`]/[`Error::Json`] naming the head file.
    pub fn metrics_head(&self) -> Result<ChainHead, Error> {
        let path = self.file(METRICS_HEAD_FILE);
        if path.exists() {
            read_json(&path)
        } else {
            Ok(ChainHead::default())
        }
    }

    /// Reads and verifies the whole metrics log against its recorded head.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the log and the first bad line.
    pub fn metrics(&self) -> Result<Vec<MetricLine>, Error> {
        let (path, text) = self.metrics_text()?;
        let head = self.metrics_head()?;
        metrics::verify(&text, Some(&head))
            .map(|(lines, _)| lines)
            .map_err(|e| Error::Corrupt {
                path,
                message: e.to_string(),
            })
    }

    /// SHA-256 of the metrics log's bytes (what "identical metrics.jsonl" compares).
    ///
    /// # Errors
    /// [`Error::Io`] naming the log.
    pub fn metrics_file_hash(&self) -> Result<ContentHash, Error> {
        let path = self.file(METRICS_FILE);
        let bytes = fs_err::read(&path).map_err(|source| Error::Io { path, source })?;
        Ok(ContentHash::of_bytes(&bytes))
    }
}
