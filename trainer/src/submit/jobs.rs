//! The jobs a run store has submitted: each in its own directory under `<store>/.jobs/`
//! (the script, its logs, and `submission.json` with the job id), and what the scheduler
//! says of them now.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dialekt_core::atomic::read_json;

use super::{Scheduler, Submission};
use crate::Error;

/// Where a store keeps its submitted jobs.
pub const JOBS_DIR: &str = ".jobs";

/// Submits the script; returns the scheduler's job id.
///
/// # Errors
/// [`Error::Program`]: the scheduler's command is missing, refused the script (with its
/// message), or printed no job id.
pub fn submit(scheduler: Scheduler, script: &Path) -> Result<String, Error> {
    let (program, output) = match scheduler {
        Scheduler::Slurm => (
            "sbatch",
            Command::new("sbatch")
                .arg("--parsable")
                .arg(script)
                .output(),
        ),
        Scheduler::Lsf => (
            "bsub",
            Command::new("bsub")
                .stdin(Stdio::from(fs_err::File::open(script)?.into_file()))
                .output(),
        ),
    };
    let failed = |message: String| Error::Program {
        program: program.to_owned(),
        message,
    };
    let output = output.map_err(|e| failed(format!("cannot run it (is it on PATH?): {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(failed(format!(
            "refused {}: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let id = match scheduler {
        // `--parsable`: `<id>` or `<id>;<cluster>`.
        Scheduler::Slurm => stdout.trim().split(';').next().map(str::to_owned),
        // `Job <123> is submitted to queue <gpua100>.`
        Scheduler::Lsf => stdout
            .split_once("Job <")
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(id, _)| id.to_owned()),
    };
    id.filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| failed(format!("printed no job id: {}", stdout.trim())))
}

/// A directory of its own for a job: `<base>`, or `<base>-2`, ... when submissions
/// share a second (created here, so two submitting processes never share one).
///
/// # Errors
/// The directory cannot be created.
pub fn new_job_dir(jobs: &Path, base: &str) -> Result<PathBuf, Error> {
    fs_err::create_dir_all(jobs)?;
    let mut n = 1;
    loop {
        let dir = if n == 1 {
            jobs.join(base)
        } else {
            jobs.join(format!("{base}-{n}"))
        };
        match fs_err::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// `dialekt-<name>`, in the characters every scheduler accepts in a job name.
pub fn job_name(name: Option<&str>, experiment: &Path) -> String {
    let stem = experiment
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.filter(|n| !n.is_empty()).unwrap_or(&stem);
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("dialekt-{safe}")
}

/// `2026-11-25T03:40:00Z` → `20261125T034000Z` (a directory name that sorts by time).
pub fn compact(rfc3339: &str) -> String {
    rfc3339
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect()
}

/// The submissions of a store, oldest first.
///
/// # Errors
/// An unreadable `submission.json`, named.
pub fn submissions(store: &Path) -> Result<Vec<(PathBuf, Submission)>, Error> {
    let dir = store.join(JOBS_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in fs_err::read_dir(&dir)? {
        let path = entry?.path().join("submission.json");
        if path.is_file() {
            found.push((path.clone(), read_json(&path)?));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// What the scheduler says of the job's elements that it still holds, by element
/// label: `queued`, `running`, or its own word. Empty when it has forgotten the job
/// (or its command is not installed here).
pub fn queue_states(scheduler: Scheduler, job_id: &str) -> BTreeMap<String, String> {
    let output = match scheduler {
        Scheduler::Slurm => Command::new("squeue")
            .args(["-h", "-r", "-j", job_id, "-o", "%i %T"])
            .output(),
        Scheduler::Lsf => Command::new("bjobs")
            .args(["-noheader", "-o", "jobid jobindex stat", job_id])
            .output(),
    };
    let Some(output) = output.ok().filter(|o| o.status.success()) else {
        return BTreeMap::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match (scheduler, fields.as_slice()) {
                (Scheduler::Slurm, [label, state]) => {
                    Some(((*label).to_owned(), state_word(state)))
                }
                (Scheduler::Lsf, [id, index, state]) => {
                    let label = if *index == "0" {
                        (*id).to_owned()
                    } else {
                        format!("{id}[{index}]")
                    };
                    (!matches!(*state, "DONE" | "EXIT")).then(|| (label, state_word(state)))
                }
                _ => None,
            }
        })
        .collect()
}

fn state_word(state: &str) -> String {
    match state {
        "PENDING" | "PEND" | "PSUSP" => "queued".to_owned(),
        "RUNNING" | "RUN" | "CONFIGURING" | "COMPLETING" => "running".to_owned(),
        other => other.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submissions_in_the_same_second_get_directories_of_their_own() {
        let store = tempfile::tempdir().unwrap();
        let first = new_job_dir(store.path(), "20261125T034000Z-x").unwrap();
        let second = new_job_dir(store.path(), "20261125T034000Z-x").unwrap();
        assert_ne!(first, second);
        assert!(second.ends_with("20261125T034000Z-x-2"));
    }

    #[test]
    fn job_names_are_safe_for_every_scheduler() {
        let file = Path::new("experiments/danish.yaml");
        assert_eq!(job_name(None, file), "dialekt-danish");
        assert_eq!(job_name(Some("my run (v2)"), file), "dialekt-my-run--v2-");
        assert_eq!(compact("2026-11-25T03:40:00Z"), "20261125T034000Z");
    }
}
