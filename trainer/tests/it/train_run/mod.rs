//! `trainer run`, `eval` and `reproduce` end to end through the real binary, on the
//! committed 35-row synthetic test corpus with a tiny model, one module per scenario:
//! [`decoding`] (LM decoding beside greedy, on stored logits too), [`record`] (a run is recorded completely and never redone, or says what it lacks),
//! [`resume`] (two runs compute identical metrics and weights; a run stopped at a step that
//! is not a checkpoint, or killed with SIGKILL at an arbitrary moment, resumes to
//! bit-identical weights and metrics), [`reproduce`] (a run re-runs bit-identically, also
//! from an older commit's rebuilt trainer, and changed inputs are named), [`gang`]
//! (data-parallel training equals one process) and [`start`] (fine-tuning from an exported
//! checkpoint, scored against its zero-shot start).

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod decoding;
#[cfg(feature = "distributed")]
mod gang;
mod record;
mod reproduce;
mod resume;
mod start;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use dialekt_core::ContentHash;
use dialekt_core::lineage::RunRecord;
use dialekt_core::metrics::ChainHead;

use crate::support::{repo, stderr, stdout, trainer_in};

pub const EXPERIMENT: &str = include_str!("../../fixtures/train/tiny.yaml");

/// A project with the test corpus prepared, the demo tokenizer and the tiny experiment;
/// made once per test binary.
pub fn project() -> &'static Path {
    static PROJECT: OnceLock<PathBuf> = OnceLock::new();
    PROJECT.get_or_init(|| {
        // Outside any git repository (a project inside one takes the repository's root as
        // its own), one fixed directory per checkout, cleared at the start of each run
        // rather than leaked.
        let checkout = ContentHash::of_bytes(env!("CARGO_MANIFEST_DIR").as_bytes()).short();
        let dir = std::env::temp_dir().join(format!("dialekt-train_run-{checkout}"));
        if dir.exists() {
            fs_err::remove_dir_all(&dir).unwrap();
        }
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::copy(
            repo().join("demo/tokenizer/demo_char.model"),
            dir.join("demo_char.model"),
        )
        .unwrap();
        fs_err::write(dir.join("tiny.yaml"), EXPERIMENT).unwrap();
        let coral = repo().join("data/tests/fixtures/coral-mini");
        let prepared = trainer_in(
            &dir,
            &[
                "data",
                "prepare",
                "--coral",
                coral.to_str().unwrap(),
                "--out",
                "data",
            ],
        );
        assert!(prepared.status.success(), "{}", stderr(&prepared));
        dir
    })
}

pub fn command(args: &[&str]) -> Command {
    let mut command = crate::support::trainer(args);
    command.current_dir(project());
    command
}

pub fn run(output: &str, extra: &[&str]) -> Output {
    let set = format!("output={output}");
    let mut args = vec!["run", "tiny.yaml", "--set", &set];
    args.extend_from_slice(extra);
    command(&args).output().unwrap()
}

/// The only run directory of a store.
pub fn run_dir(store: &str) -> PathBuf {
    let root = project().join(store);
    let mut runs: Vec<PathBuf> = fs_err::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("run.json").exists())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.pop().unwrap()
}

pub fn record(dir: &Path) -> RunRecord {
    serde_json::from_str(&fs_err::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

pub fn head(dir: &Path) -> ChainHead {
    serde_json::from_str(&fs_err::read_to_string(dir.join("metrics.head.json")).unwrap()).unwrap()
}

pub fn final_weights(dir: &Path) -> ContentHash {
    ContentHash::of_file(&dir.join("checkpoints/step_12/model.bpk")).unwrap()
}

/// The deterministic part of every metrics line (timings differ between runs).
pub fn metric_values(dir: &Path) -> Vec<serde_json::Value> {
    fs_err::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::json!([v["step"], v["phase"], v["values"], v["chain"]])
        })
        .collect()
}

/// A private copy of the shared project (for tests that change its files).
pub fn copy_project() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for file in ["tiny.yaml", "demo_char.model"] {
        fs_err::copy(project().join(file), copy.path().join(file)).unwrap();
    }
    copy_dir(&project().join("data"), &copy.path().join("data"));
    copy
}

/// The only run under `root/runs`, and its short id.
pub fn only_run(root: &Path) -> (PathBuf, String) {
    let dir = fs_err::read_dir(root.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("run.json").exists())
        .unwrap();
    let id = dir.file_name().unwrap().to_string_lossy()[..12].to_owned();
    (dir, id)
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for entry in fs_err::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs_err::copy(&path, &target).unwrap();
        }
    }
}

pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "dialekt test")
        .env("GIT_AUTHOR_EMAIL", "test@dialekt.invalid")
        .env("GIT_COMMITTER_NAME", "dialekt test")
        .env("GIT_COMMITTER_EMAIL", "test@dialekt.invalid")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
    stdout(&output)
}
