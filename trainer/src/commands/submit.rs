//! `trainer submit <experiment> --scheduler slurm|lsf`: the experiment, or a sweep over
//! it, as a batch job; the script and the job id are kept in the run store
//! (`<store>/.jobs/<job>/`), and `trainer runs list` shows each element's state.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use dialekt_core::atomic::{write_atomic, write_json_atomic};

use crate::build_info;
use crate::commands::config::ExperimentArgs;
use crate::plan::ExperimentSource;
use crate::recording::timestamp;
use crate::submit::jobs::{JOBS_DIR, compact, job_name, new_job_dir, submit};
use crate::submit::{JobSpec, Resources, Scheduler, Submission, Walltime, grid, render};

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
    /// Submit even from an unoptimised (dev-profile) trainer, whose steps are slower.
    #[arg(long)]
    pub allow_unoptimised_build: bool,
}

impl SubmitArgs {
    /// # Errors
    /// An invalid experiment or sweep element (named), resources the scheduler's script
    /// cannot express, a failed submission (with the scheduler's message).
    pub fn run(self) -> anyhow::Result<ExitCode> {
        self.check_build()?;
        let source = self.input.source();
        let (resolved, root) = (source.resolve()?, source.project_root());
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

    /// The job execs this very binary for hours on a cluster's GPUs: refuse to spend them
    /// on an unoptimised build unless asked. A dry run only warns, as nothing is queued.
    fn check_build(&self) -> anyhow::Result<()> {
        if build_info::is_optimised() || self.allow_unoptimised_build {
            return Ok(());
        }
        let advice = format!(
            "this trainer is an unoptimised build ({}), whose training steps are markedly \
             slower: build the optimised one with `./dev cargo build --release -p \
             dialekt-trainer` and submit with target/release/trainer, or pass \
             --allow-unoptimised-build",
            build_info::describe()
        );
        if self.dry_run {
            eprintln!("warning: {advice}");
            return Ok(());
        }
        anyhow::bail!("{advice}")
    }

    /// Every element must resolve to a valid experiment now, not hours later in a queue.
    fn check_elements(&self, elements: &[Vec<String>]) -> anyhow::Result<()> {
        for (i, element) in elements.iter().enumerate() {
            let source = ExperimentSource {
                path: self.input.experiment.clone(),
                overrides: [self.input.overrides.clone(), element.clone()].concat(),
            };
            source
                .resolve()
                .with_context(|| format!("sweep element {i} ({})", element.join(" ")))?;
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

/// The experiment file as the job names it: relative to the project root when inside it.
fn relative_to(root: &Path, experiment: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(experiment)?;
    let path = absolute
        .strip_prefix(root)
        .map_or(absolute.clone(), Path::to_path_buf);
    Ok(path.display().to_string())
}
