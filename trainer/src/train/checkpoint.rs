//! Training checkpoints: everything a resumed run needs to continue *bit-identically*.
//!
//! ```text
//! runs/<id>/checkpoints/step_<N>/
//!   model.bpk         parameters (burnpack, fp32, with their parameter ids)
//!   optimizer.bpk     AdamW moments and step counts, keyed by parameter id
//!   trainer.json      step, data-reader position, metrics position, open publish window
//!   checkpoint.json   content hashes of the files above, the parent checkpoint's hash,
//!                     and the dev scores at this step (written last)
//! ```
//! A checkpoint is assembled in a hidden temporary directory and renamed into place, so
//! `step_<N>` either exists complete or not at all; a crash mid-write leaves only a
//! `.partial` directory that the next save clears. There is no RNG state to save: every
//! random draw of step `k` comes from generators seeded by `(seed, k)`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module as _;
use burn::optim::ModuleOptimizer;
use dialekt_core::ContentHash;
use dialekt_core::atomic::{read_json, write_json_atomic};
use dialekt_core::store::MetricsPosition;
use serde::{Deserialize, Serialize};

use dialekt_data::ReaderState;
use dialekt_model::Wav2Vec2Asr;

use crate::Error;
use crate::train::publish::Window;

pub const CHECKPOINTS_DIR: &str = "checkpoints";
const MODEL_FILE: &str = "model.bpk";
const OPTIMIZER_FILE: &str = "optimizer.bpk";
const TRAINER_FILE: &str = "trainer.json";
const RECORD_FILE: &str = "checkpoint.json";

/// The trainer's own state at the end of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Optimizer steps completed.
    pub step: u64,
    pub reader: ReaderState,
    pub metrics: MetricsPosition,
    /// Training statistics accumulated since the last published metrics line.
    pub window: Window,
}

/// Dev-set scores of a checkpoint (what keep-best ranks by).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub wer: f64,
    pub uer: f64,
    /// Bits per utterance, as fairseq2 logs it.
    pub ctc_loss: f64,
}

impl Scores {
    /// The value of `metric` (`wer` or `uer`); lower is better.
    #[must_use]
    pub fn get(&self, metric: &str) -> f64 {
        if metric == "uer" { self.uer } else { self.wer }
    }
}

/// `checkpoint.json`: what the checkpoint holds, by content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    pub step: u64,
    /// SHA-256 of each file of the checkpoint.
    pub files: BTreeMap<String, ContentHash>,
    /// Hash over `files`: the checkpoint's identity in lineage.
    pub sha256: ContentHash,
    /// The previous checkpoint of the same run (or the run's starting weights).
    pub parent_sha256: Option<ContentHash>,
    pub dev: Option<Scores>,
}

/// A complete checkpoint on disk.
#[derive(Debug, Clone)]
pub struct SavedCheckpoint {
    pub dir: PathBuf,
    pub record: CheckpointRecord,
}

impl SavedCheckpoint {
    /// The parameters file (what `trainer eval` and export read).
    #[must_use]
    pub fn model_file(&self) -> PathBuf {
        self.dir.join(MODEL_FILE)
    }

    /// Reads and checks the trainer state.
    ///
    /// # Errors
    /// Unreadable or malformed `trainer.json`.
    pub fn trainer_state(&self) -> Result<TrainerState, Error> {
        Ok(read_json(&self.dir.join(TRAINER_FILE))?)
    }

    /// Loads the parameters into `model` (built for the same arch).
    ///
    /// # Errors
    /// A file that does not fit the model.
    pub fn load_model(&self, model: Wav2Vec2Asr) -> Result<Wav2Vec2Asr, Error> {
        let path = self.model_file();
        model
            .try_load_file(&path)
            .map_err(|source| Error::record("loading", &path, source))
    }

    /// Loads the optimizer state into `optimizer`.
    ///
    /// # Errors
    /// An unreadable file.
    pub fn load_optimizer(&self, optimizer: ModuleOptimizer) -> Result<ModuleOptimizer, Error> {
        let path = self.dir.join(OPTIMIZER_FILE);
        optimizer
            .load(&path)
            .map_err(|source| Error::record("loading", &path, source))
    }

    /// Re-hashes every file and compares with the record.
    ///
    /// # Errors
    /// Naming the first file whose content changed or is missing.
    pub fn verify(&self) -> Result<(), Error> {
        if files_hash(&self.record.files) != self.record.sha256 {
            return Err(Error::Tampered(format!(
                "{}: its file list does not hash to its recorded sha256 (edited)",
                self.dir.join(RECORD_FILE).display()
            )));
        }
        for (name, expected) in &self.record.files {
            let path = self.dir.join(name);
            let found = ContentHash::of_file(&path)?;
            if found != *expected {
                return Err(Error::Tampered(format!(
                    "checkpoint file {} changed since it was written (sha256 {} != {})",
                    path.display(),
                    found.short(),
                    expected.short()
                )));
            }
        }
        Ok(())
    }
}

/// What goes into one checkpoint.
pub struct CheckpointContents<'a> {
    pub model: &'a Wav2Vec2Asr,
    pub optimizer: &'a ModuleOptimizer,
    pub state: &'a TrainerState,
    pub parent_sha256: Option<ContentHash>,
    pub dev: Option<Scores>,
}

impl std::fmt::Debug for CheckpointContents<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointContents")
            .field("state", self.state)
            .field("parent_sha256", &self.parent_sha256)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

/// Writes `checkpoints/step_<N>` under `run_dir` atomically.
///
/// # Errors
/// Write errors naming the file.
pub fn save(run_dir: &Path, contents: &CheckpointContents<'_>) -> Result<SavedCheckpoint, Error> {
    let root = run_dir.join(CHECKPOINTS_DIR);
    let step = contents.state.step;
    let final_dir = root.join(step_name(step));
    let partial = root.join(format!(".{}.partial", step_name(step)));
    if partial.exists() {
        fs_err::remove_dir_all(&partial)?;
    }
    fs_err::create_dir_all(&partial)?;
    let model_path = partial.join(MODEL_FILE);
    contents
        .model
        .clone()
        .save_file(&model_path)
        .map_err(|source| Error::record("writing", &model_path, source))?;
    let optimizer_path = partial.join(OPTIMIZER_FILE);
    contents
        .optimizer
        .save(&optimizer_path)
        .map_err(|source| Error::record("writing", &optimizer_path, source))?;
    write_json_atomic(&partial.join(TRAINER_FILE), contents.state)?;
    let mut files = BTreeMap::new();
    for name in [MODEL_FILE, OPTIMIZER_FILE, TRAINER_FILE] {
        let path = partial.join(name);
        files.insert(name.to_owned(), ContentHash::of_file(&path)?);
    }
    let record = CheckpointRecord {
        step,
        sha256: files_hash(&files),
        files,
        parent_sha256: contents.parent_sha256,
        dev: contents.dev,
    };
    write_json_atomic(&partial.join(RECORD_FILE), &record)?;
    if final_dir.exists() {
        // The same step saved again (a resumed run re-reaching it): same content.
        fs_err::remove_dir_all(&final_dir)?;
    }
    fs_err::rename(&partial, &final_dir)?;
    Ok(SavedCheckpoint {
        dir: final_dir,
        record,
    })
}

fn files_hash(files: &BTreeMap<String, ContentHash>) -> ContentHash {
    let text: String = files
        .iter()
        .map(|(name, hash)| format!("{name} {hash}\n"))
        .collect();
    ContentHash::tagged("dialekt/checkpoint/v1", text.as_bytes())
}

fn step_name(step: u64) -> String {
    format!("step_{step}")
}

/// Every complete checkpoint of a run, by step.
///
/// # Errors
/// An unreadable directory or a malformed `checkpoint.json` (named).
pub fn list(run_dir: &Path) -> Result<Vec<SavedCheckpoint>, Error> {
    let root = run_dir.join(CHECKPOINTS_DIR);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in fs_err::read_dir(&root)? {
        let dir = entry?.path();
        let is_step = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("step_"))
            .is_some_and(|n| n.parse::<u64>().is_ok());
        let record_path = dir.join(RECORD_FILE);
        if is_step && record_path.is_file() {
            let record: CheckpointRecord = read_json(&record_path)?;
            out.push(SavedCheckpoint { dir, record });
        }
    }
    out.sort_by_key(|c| c.record.step);
    Ok(out)
}

/// The checkpoint with the most steps, if any.
///
/// # Errors
/// As [`list`].
pub fn latest(run_dir: &Path) -> Result<Option<SavedCheckpoint>, Error> {
    Ok(list(run_dir)?.pop())
}

/// The checkpoint with the best dev score (`metric`, lower is better; ties: later step).
///
/// # Errors
/// As [`list`].
pub fn best(run_dir: &Path, metric: &str) -> Result<Option<SavedCheckpoint>, Error> {
    Ok(list(run_dir)?
        .into_iter()
        .filter(|c| c.record.dev.is_some())
        .min_by(|a, b| {
            let score = |c: &SavedCheckpoint| c.record.dev.map_or(f64::INFINITY, |d| d.get(metric));
            score(a)
                .total_cmp(&score(b))
                .then(b.record.step.cmp(&a.record.step))
        }))
}

/// Deletes checkpoints outside the last `keep_last` and best `keep_best` (by `metric`);
/// `None` keeps all of that kind. The newest is always kept: it is what resume needs.
/// Returns the deleted steps.
///
/// # Errors
/// As [`list`], or a failed removal.
pub fn prune(
    run_dir: &Path,
    keep_last: Option<u64>,
    keep_best: Option<u64>,
    metric: &str,
) -> Result<Vec<u64>, Error> {
    if keep_last.is_none() && keep_best.is_none() {
        return Ok(Vec::new());
    }
    let all = list(run_dir)?;
    let steps: Vec<u64> = all.iter().map(|c| c.record.step).collect();
    let keep = kept_steps(&all, keep_last, keep_best, metric);
    let mut deleted = Vec::new();
    for (checkpoint, step) in all.iter().zip(steps) {
        if !keep.contains(&step) {
            fs_err::remove_dir_all(&checkpoint.dir)?;
            deleted.push(step);
        }
    }
    Ok(deleted)
}

fn kept_steps(
    all: &[SavedCheckpoint],
    keep_last: Option<u64>,
    keep_best: Option<u64>,
    metric: &str,
) -> Vec<u64> {
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let mut keep: Vec<u64> = all.last().map(|c| c.record.step).into_iter().collect();
    if let Some(n) = keep_last {
        keep.extend(all.iter().rev().take(count(n)).map(|c| c.record.step));
    }
    if let Some(n) = keep_best {
        let mut scored: Vec<(f64, u64)> = all
            .iter()
            .filter_map(|c| c.record.dev.map(|d| (d.get(metric), c.record.step)))
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        keep.extend(scored.iter().take(count(n)).map(|s| s.1));
    }
    keep.sort_unstable();
    keep.dedup();
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(step: u64, wer: Option<f64>) -> SavedCheckpoint {
        SavedCheckpoint {
            dir: PathBuf::from(format!("step_{step}")),
            record: CheckpointRecord {
                step,
                files: BTreeMap::new(),
                sha256: ContentHash([0; 32]),
                parent_sha256: None,
                dev: wer.map(|wer| Scores {
                    wer,
                    uer: wer / 2.0,
                    ctc_loss: 1.0,
                }),
            },
        }
    }

    #[test]
    fn keeps_the_last_and_the_best_and_always_the_newest() {
        let all = [
            checkpoint(10, Some(50.0)),
            checkpoint(20, Some(30.0)),
            checkpoint(30, Some(40.0)),
            checkpoint(40, None),
        ];
        assert_eq!(kept_steps(&all, Some(1), None, "wer"), vec![40]);
        assert_eq!(kept_steps(&all, Some(1), Some(1), "wer"), vec![20, 40]);
        assert_eq!(kept_steps(&all, None, Some(1), "wer"), vec![20, 40]);
        assert_eq!(kept_steps(&all, Some(0), Some(2), "wer"), vec![20, 30, 40]);
        assert_eq!(kept_steps(&all, Some(2), Some(1), "uer"), vec![20, 30, 40]);
    }
}
