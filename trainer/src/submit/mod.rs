//! `trainer submit`: an experiment (or a sweep over it) as a batch job of an HPC
//! scheduler. The job script is written into the run store (`<store>/.jobs/<job>/`),
//! submitted, and recorded with its job id; every element of a sweep is one element of a
//! job array, trains as its own content-addressed run, and carries the job id in its
//! attempts (see [`job_of_this_process`]), which is how `trainer runs list` ties runs to
//! jobs.
//!
//! The scripts launch ranks the way each scheduler does it natively: Slurm's `srun` starts
//! one task per rank on every node and the task's `SLURM_PROCID` becomes `RANK`; an LSF
//! job runs `trainer run --nproc-per-node` on its host, or, over several hosts, one such
//! launcher per host (`blaunch -z`) with torchrun's `--nnodes`/`--node-rank` rendezvous.

pub mod jobs;
mod script;
mod sweep;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use script::render;
pub use sweep::{SweepError, grid};

/// The schedulers a job script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scheduler {
    Slurm,
    Lsf,
}

/// What the job asks the scheduler for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub nodes: usize,
    /// 0: a CPU job.
    pub gpus_per_node: usize,
    /// Ranks (processes) per node: one per GPU, or as asked for CPU gangs.
    pub ranks_per_node: usize,
    pub cpus_per_rank: Option<usize>,
    /// Slurm partition or LSF queue.
    pub queue: Option<String>,
    pub walltime: Walltime,
    /// Memory per node, in GB.
    pub mem_gb: Option<usize>,
}

/// A wall-clock limit, hours and minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walltime {
    pub hours: u32,
    pub minutes: u32,
}

impl std::str::FromStr for Walltime {
    type Err = String;

    /// `H:MM` (as LSF's `-W`), e.g. `24:00` or `0:30`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("walltime `{text}` is not H:MM (e.g. 24:00)");
        let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
        let hours: u32 = hours.parse().map_err(|_| invalid())?;
        let minutes: u32 = minutes.parse().map_err(|_| invalid())?;
        if minutes >= 60 || (hours == 0 && minutes == 0) {
            return Err(invalid());
        }
        Ok(Self { hours, minutes })
    }
}

/// One job: the trainer command for every element, where it runs, what it asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    pub scheduler: Scheduler,
    pub name: String,
    pub resources: Resources,
    /// The project's root; jobs run there (experiment paths are relative to it).
    pub project_root: PathBuf,
    /// The trainer binary (absolute), run as it is on the submitting machine.
    pub trainer: PathBuf,
    /// `LD_LIBRARY_PATH` to export (where libtorch is), when set at submission.
    pub library_path: Option<String>,
    /// The experiment file, relative to the project root.
    pub experiment: String,
    /// `--set` overrides common to every element.
    pub overrides: Vec<String>,
    /// Per element, its own overrides (one element without any when not a sweep).
    pub elements: Vec<Vec<String>>,
    /// Where the scheduler writes each element's output.
    pub log_dir: PathBuf,
}

/// `<store>/.jobs/<dir>/submission.json`: a submitted job, for `trainer runs list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    pub job_id: String,
    pub submitted_at: String,
    pub spec: JobSpec,
}

/// The scheduler job (and array element) this process runs in, as recorded in an
/// attempt: Slurm `12345_2` (array job and task id, 0-based) or `12345`; LSF `12345[3]`
/// (1-based index) or `12345`.
#[must_use]
pub fn job_of_this_process(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(job) = env("SLURM_ARRAY_JOB_ID") {
        let task = env("SLURM_ARRAY_TASK_ID").unwrap_or_default();
        return Some(format!("{job}_{task}"));
    }
    if let Some(job) = env("SLURM_JOB_ID") {
        return Some(job);
    }
    let job = env("LSB_JOBID")?;
    match env("LSB_JOBINDEX").filter(|i| i != "0") {
        Some(index) => Some(format!("{job}[{index}]")),
        None => Some(job),
    }
}

/// The job label element `index` (0-based) of a submitted job carries in its attempts.
#[must_use]
pub fn element_job(scheduler: Scheduler, job_id: &str, index: usize, elements: usize) -> String {
    match (scheduler, elements > 1) {
        (Scheduler::Slurm, true) => format!("{job_id}_{index}"),
        (Scheduler::Lsf, true) => format!("{job_id}[{}]", index + 1),
        (_, false) => job_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn a_process_knows_its_job_and_array_element() {
        assert_eq!(job_of_this_process(env(&[])), None);
        let slurm = env(&[
            ("SLURM_JOB_ID", "7"),
            ("SLURM_ARRAY_JOB_ID", "5"),
            ("SLURM_ARRAY_TASK_ID", "2"),
        ]);
        assert_eq!(job_of_this_process(slurm).as_deref(), Some("5_2"));
        assert_eq!(
            job_of_this_process(env(&[("SLURM_JOB_ID", "7")])).as_deref(),
            Some("7")
        );
        let lsf = env(&[("LSB_JOBID", "9"), ("LSB_JOBINDEX", "3")]);
        assert_eq!(job_of_this_process(lsf).as_deref(), Some("9[3]"));
        let lsf = env(&[("LSB_JOBID", "9"), ("LSB_JOBINDEX", "0")]);
        assert_eq!(job_of_this_process(lsf).as_deref(), Some("9"));
        assert_eq!(element_job(Scheduler::Slurm, "5", 2, 3), "5_2");
        assert_eq!(element_job(Scheduler::Lsf, "9", 2, 3), "9[3]");
        assert_eq!(element_job(Scheduler::Lsf, "9", 0, 1), "9");
    }

    #[test]
    fn walltimes_read_as_hours_and_minutes() {
        assert_eq!(
            "24:00".parse(),
            Ok(Walltime {
                hours: 24,
                minutes: 0
            })
        );
        assert_eq!(
            "0:30".parse(),
            Ok(Walltime {
                hours: 0,
                minutes: 30
            })
        );
        for bad in ["24", "1:60", "0:00", "a:b", ""] {
            assert!(bad.parse::<Walltime>().is_err(), "{bad}");
        }
    }
}
