//! Lineage: everything that determines a run, and the run id derived from it.
//!
//! The run id is a hash of exactly five inputs: the config hash, the data manifest
//! root, the code hash (commit + uncommitted patch), the environment-lock hash
//! (toolchain, target, `Cargo.lock`, backend and its version) and the seed. The same
//! inputs give the same id on any machine. Facts that do not define the computation
//! (CPU model, thread count, GPU, host) are recorded but not hashed; `reproduce`
//! reports them when they differ.

#[cfg(feature = "fs")]
mod capture;
#[cfg(feature = "fs")]
mod checkout;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[cfg(feature = "fs")]
pub use capture::{capture_code, cpu_model, project_root};
#[cfg(feature = "fs")]
pub use checkout::RecordedCheckout;

use crate::ContentHash;
use crate::config::SourceFile;
use crate::hash::ParseHashError;

/// Version of the `run.json` schema.
pub const RUN_RECORD_VERSION: u32 = 1;

/// A run's identity: the hash of its defining inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub ContentHash);

impl RunId {
    /// Derives the id from the five defining inputs.
    #[must_use]
    pub fn derive(
        config: &ContentHash,
        data: &ContentHash,
        code: &ContentHash,
        environment: &ContentHash,
        seed: u64,
    ) -> Self {
        let text = format!(
            "config {config}\ndata {data}\ncode {code}\nenvironment {environment}\nseed {seed}\n"
        );
        Self(ContentHash::tagged("dialekt/run/v1", text.as_bytes()))
    }

    /// The 12-digit prefix shown to people and used as the directory name's start.
    #[must_use]
    pub fn short(&self) -> String {
        self.0.short()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RunId {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// The code a run was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeVersion {
    /// HEAD commit, or `None` outside a repository or before the first commit.
    pub commit: Option<String>,
    /// Whether tracked files differ from HEAD or untracked (not ignored) files exist.
    pub dirty: bool,
    /// SHA-256 of the patch (tracked changes + untracked files) saved as `code.patch`.
    pub patch_sha256: Option<ContentHash>,
}

impl CodeVersion {
    /// The code hash that enters the run id.
    #[must_use]
    pub fn content_hash(&self) -> ContentHash {
        let text = format!(
            "commit {}\npatch {}\n",
            self.commit.as_deref().unwrap_or("none"),
            self.patch_sha256
                .map_or_else(|| "none".to_owned(), |h| h.to_hex())
        );
        ContentHash::tagged("dialekt/code/v1", text.as_bytes())
    }
}

/// The software and machine a run executed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `rustc --version` of the build.
    pub rustc: String,
    /// Target triple of the build.
    pub target: String,
    /// SHA-256 of the workspace `Cargo.lock` the binary was built from.
    pub cargo_lock_sha256: ContentHash,
    /// Tensor backend (`tch`, `flex`, `cuda`) and its version (e.g. libtorch's).
    pub backend: String,
    pub backend_version: String,
    /// Ranks of the data-parallel gang (1: one process). Hashed when above 1: a gang
    /// sums its gradients in another order than one process, so its numbers differ.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub world_size: usize,
    /// Not hashed: recorded for reproduction reports.
    pub cpu_model: String,
    pub gpu_model: Option<String>,
    pub threads: usize,
    pub os: String,
}

fn one() -> usize {
    1
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Environment {
    /// The environment-lock hash: only the software that defines the computation.
    #[must_use]
    pub fn lock_hash(&self) -> ContentHash {
        let mut text = format!(
            "rustc {}\ntarget {}\ncargo-lock {}\nbackend {} {}\n",
            self.rustc, self.target, self.cargo_lock_sha256, self.backend, self.backend_version
        );
        // Absent for one process, so single-process ids stay what they always were.
        if self.world_size > 1 {
            text.push_str(&format!("world-size {}\n", self.world_size));
        }
        ContentHash::tagged("dialekt/environment/v1", text.as_bytes())
    }
}

/// How an attempt of a run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Running,
    Completed,
    Failed,
    Interrupted,
}

/// One execution of a run. A run executed again (same id) gets a new attempt; nothing
/// of an earlier attempt is overwritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// RFC 3339 UTC timestamps.
    pub started_at: String,
    pub ended_at: Option<String>,
    pub status: AttemptStatus,
    /// The environment of this attempt (hardware may differ between attempts).
    pub environment: Environment,
    /// The scheduler job (and array element) it ran in, e.g. Slurm `12345_2`, LSF
    /// `12345[3]`: how `trainer runs list` ties submitted jobs to runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Free-form note (e.g. why it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `run.json`: the lineage of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub version: u32,
    pub run_id: RunId,
    /// The experiment's display name.
    pub experiment: String,
    pub config_sha256: ContentHash,
    /// Files the config was composed from, with their hashes, and the overrides.
    pub config_sources: Vec<SourceFile>,
    pub overrides: Vec<String>,
    pub data_root: ContentHash,
    pub code: CodeVersion,
    pub environment_lock_sha256: ContentHash,
    pub seed: u64,
    pub parent_run: Option<RunId>,
    pub parent_checkpoint_sha256: Option<ContentHash>,
    pub attempts: Vec<Attempt>,
    /// Verified re-runs of this run (`trainer reproduce`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reproductions: Vec<Reproduction>,
}

/// One `trainer reproduce` of a run and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproduction {
    /// RFC 3339 UTC.
    pub at: String,
    /// The re-run's directory (a scratch run store).
    pub scratch: String,
    /// Steps re-run (`None`: the whole run).
    pub steps: Option<u64>,
    /// The recorded checkpoint the re-run started from (`None`: from the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_checkpoint: Option<u64>,
    /// Metrics lines compared.
    pub lines_compared: u64,
    pub verdict: Verdict,
    /// Recorded inputs that differed and were allowed (`data`, `code`, `env`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_differences: Vec<String>,
    /// The recorded commit, when today's code differed and the re-run was made by the
    /// trainer rebuilt from the recorded code (commit and patch) in a worktree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebuilt_code: Option<String>,
    /// The environment of the re-run.
    pub environment: Environment,
}

/// How a reproduction compared with the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Every compared metrics line has the recorded chain hash, and the weights the
    /// recorded hash.
    BitIdentical,
    /// Values differ, but none by more than `relative_tolerance`.
    WithinTolerance {
        relative_tolerance: f64,
        max_relative_difference: f64,
    },
    /// The first line whose values differ beyond the tolerance.
    Diverged {
        step: u64,
        phase: String,
        detail: String,
    },
}

impl RunRecord {
    /// Whether `run_id` is what the recorded inputs derive (a hand-edited record is not).
    #[must_use]
    pub fn id_matches_inputs(&self) -> bool {
        RunId::derive(
            &self.config_sha256,
            &self.data_root,
            &self.code.content_hash(),
            &self.environment_lock_sha256,
            self.seed,
        ) == self.run_id
    }

    /// The most recent attempt.
    #[must_use]
    pub fn latest_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_gang_has_another_lock_than_one_process_and_old_records_still_read() {
        let alone = environment();
        let gang = Environment {
            world_size: 2,
            ..environment()
        };
        assert_ne!(alone.lock_hash(), gang.lock_hash());
        let mut json = serde_json::to_value(&alone).unwrap();
        assert!(json.get("world_size").is_none());
        json.as_object_mut().unwrap().remove("world_size");
        let read: Environment = serde_json::from_value(json).unwrap();
        assert_eq!(read.world_size, 1);
    }

    /// Commits every file of `repo`'s work tree (for tests of code capture).
    #[cfg(feature = "fs")]
    pub(crate) fn commit_all(repo: &git2::Repository, message: &str) -> git2::Oid {
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    pub(crate) fn environment() -> Environment {
        Environment {
            rustc: "rustc 1.95.0".into(),
            target: "x86_64-unknown-linux-gnu".into(),
            cargo_lock_sha256: ContentHash::of_bytes(b"lock"),
            backend: "tch".into(),
            backend_version: "2.9.0".into(),
            world_size: 1,
            cpu_model: "AMD EPYC".into(),
            gpu_model: None,
            threads: 2,
            os: "linux".into(),
        }
    }

    #[test]
    fn run_id_depends_on_each_input_and_nothing_else() {
        let h = |s: &str| ContentHash::of_bytes(s.as_bytes());
        let base = RunId::derive(&h("c"), &h("d"), &h("k"), &h("e"), 2);
        assert_eq!(base, RunId::derive(&h("c"), &h("d"), &h("k"), &h("e"), 2));
        for other in [
            RunId::derive(&h("C"), &h("d"), &h("k"), &h("e"), 2),
            RunId::derive(&h("c"), &h("D"), &h("k"), &h("e"), 2),
            RunId::derive(&h("c"), &h("d"), &h("K"), &h("e"), 2),
            RunId::derive(&h("c"), &h("d"), &h("k"), &h("E"), 2),
            RunId::derive(&h("c"), &h("d"), &h("k"), &h("e"), 3),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn hardware_is_recorded_but_not_locked() {
        let a = environment();
        let mut b = environment();
        b.cpu_model = "Intel".into();
        b.threads = 64;
        assert_eq!(a.lock_hash(), b.lock_hash());
        b.backend_version = "2.8.0".into();
        assert_ne!(a.lock_hash(), b.lock_hash());
    }
}
