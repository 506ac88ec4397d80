//! `trainer submit <experiment> --scheduler slurm|lsf`: the experiment, or a sweep over
//! it, as a batch job; the script and the job id are kept in the run store
//! (`<store>/.jobs/<job>/`), and `trainer runs list` shows each element's state.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use clap::Args;
use dialekt_core::atomic::{write_atomic, write_json_atomic};

use crate::commands::config::ExperimentArgs;
use crate::recording::timestamp;
use crate::submit::{JobSpec, Resources, Scheduler, Submission, Walltime, grid, render};

/// Where a store keeps its submitted jobs.
pub const JOBS_DIR: &str = ".jobs";

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub input: ExperimentArgs,
    #[arg(long, value_enum)]
    pub scheduler: Scheduler,
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// GPUs per node; one rank runs per GPU.
    #[arg(long, default_value_t = 0)]
    pub gpus_per_node: usize,
    /// Ranks per node when not one per GPU (e.g. CPU gangs).
    #[arg(long)]
    pub ranks_per_node: Option<usize>,
    /// CPU cores per rank.
    #[arg(long)]
    pub cpus_per_rank: Option<usize>,
    /// Slurm partition or LSF queue (e.g. gpua100).
    #[arg(long)]
    pub queue: Option<String>,
    /// Wall-clock limit, H:MM.
    #[arg(long, default_value = "24:00")]
    pub walltime: Walltime,
    /// Memory per node in GB (LSF: shared out over the job's slots).
    #[arg(long, value_name = "GB")]
    pub mem_gb: Option<usize>,
    /// Sweep a key over values, e.g. `--sweep optimizer.config.lr=5e-6,1e-5,5e-5`
    /// (repeatable: the grid of all combinations, one array element each).
    #[arg(long, value_name = "KEY=V1,V2,...")]
    pub sweep: Vec<String>,
    /// Write the job script and print it, without submitting.
    #[arg(long)]
    pub dry_run: bool,
}

impl SubmitArgs {
    /// # Errors
    /// An invalid experiment or sweep element (named), resources the scheduler's script
    /// cannot express, a failed submission (with the scheduler's message).
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (resolved, root) = self.input.resolve_with_root()?;
        let elements = grid(&self.sweep)?;
        self.check_elements(&elements)?;
        let experiment = relative_to(&root, &self.input.experiment)?;
        let name = job_name(resolved.experiment.name.as_deref(), &self.input.experiment);
        let store = root.join(&resolved.experiment.output);
        let job_dir = new_job_dir(
            &store.join(JOBS_DIR),
            &format!("{}-{name}", compact(&timestamp())),
        )?;
        let spec = JobSpec {
            scheduler: self.scheduler,
            name,
            resources: self.resources(),
            project_root: root.clone(),
            trainer: std::env::current_exe().context("locating the trainer binary")?,
            library_path: std::env::var("LD_LIBRARY_PATH")
                .ok()
                .filter(|p| !p.is_empty()),
            experiment,
            overrides: self.input.overrides.clone(),
            elements,
            log_dir: job_dir.clone(),
        };
        let script = render(&spec)?;
        let script_path = job_dir.join("job.sh");
        write_atomic(&script_path, script.as_bytes())?;
        let mut out = std::io::stdout().lock();
        if self.dry_run {
            writeln!(out, "# {} (not submitted)", script_path.display())?;
            write!(out, "{script}")?;
            return Ok(ExitCode::SUCCESS);
        }
        let job_id = submit(self.scheduler, &script_path)?;
        write_json_atomic(
            &job_dir.join("submission.json"),
            &Submission {
                job_id: job_id.clone(),
                submitted_at: timestamp(),
                spec: spec.clone(),
            },
        )?;
        writeln!(
            out,
            "submitted job {job_id} ({} element(s)) to {:?}: {}",
            spec.elements.len(),
            self.scheduler,
            script_path.display()
        )?;
        writeln!(out, "  follow it with `trainer runs list`")?;
        Ok(ExitCode::SUCCESS)
    }

    /// Every element must resolve to a valid experiment now, not hours later in a queue.
    fn check_elements(&self, elements: &[Vec<String>]) -> anyhow::Result<()> {
        for (i, element) in elements.iter().enumerate() {
            let input = ExperimentArgs {
                experiment: self.input.experiment.clone(),
                overrides: [self.input.overrides.clone(), element.clone()].concat(),
            };
            let what = || format!("sweep element {i} ({})", element.join(" "));
            let resolved = input.resolve().with_context(what)?;
            let problems = resolved.experiment.problems();
            if !problems.is_empty() {
                bail!(
                    "{}: invalid experiment:\n  {}",
                    what(),
                    problems.join("\n  ")
                );
            }
        }
        Ok(())
    }

    fn resources(&self) -> Resources {
        Resources {
            nodes: self.nodes,
            gpus_per_node: self.gpus_per_node,
            ranks_per_node: self.ranks_per_node.unwrap_or(self.gpus_per_node.max(1)),
            cpus_per_rank: self.cpus_per_rank,
            queue: self.queue.clone(),
            walltime: self.walltime,
            mem_gb: self.mem_gb,
        }
    }
}

/// Submits the script; returns the scheduler's job id.
fn submit(scheduler: Scheduler, script: &Path) -> anyhow::Result<String> {
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
    let output = output.with_context(|| format!("running {program} (is it on PATH?)"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{program} refused {}: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
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
        .with_context(|| format!("{program} printed no job id: {}", stdout.trim()))
}

/// The experiment file as the job names it: relative to the project root when inside it.
fn relative_to(root: &Path, experiment: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(experiment)?;
    let path = absolute
        .strip_prefix(root)
        .map_or(absolute.clone(), Path::to_path_buf);
    Ok(path.display().to_string())
}

/// A directory of its own for a job: `<base>`, or `<base>-2`, ... when submissions
/// share a second (created here, so two submitting processes never share one).
fn new_job_dir(jobs: &Path, base: &str) -> anyhow::Result<PathBuf> {
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
fn job_name(name: Option<&str>, experiment: &Path) -> String {
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
fn compact(rfc3339: &str) -> String {
    rfc3339
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect()
}

/// The submissions of a store, oldest first.
///
/// # Errors
/// An unreadable `submission.json`, named.
pub fn submissions(store: &Path) -> anyhow::Result<Vec<(PathBuf, Submission)>> {
    let dir = store.join(JOBS_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in fs_err::read_dir(&dir)? {
        let path = entry?.path().join("submission.json");
        if path.is_file() {
            let submission: Submission = serde_json::from_str(&fs_err::read_to_string(&path)?)
                .with_context(|| format!("reading {}", path.display()))?;
            found.push((path, submission));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
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
