//! `trainer eval <run|experiment> --split test`: decode a split with a run's checkpoint and
//! store the scores under `runs/<id>/eval/<split>-step_<N>/` (see [`crate::eval`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use dialekt_core::store::{RUN_FILE, RunStore};

use crate::commands::decoder_args::{DecoderArgs, DecoderKind};
use crate::eval::{EvalOptions, evaluate_run};
use crate::plan::ExperimentSource;
use crate::recording::{PlannedRun, store_project_root};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A run id (or unique prefix) in `--store`, or an experiment YAML (its run).
    pub run: String,
    /// The split to decode.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// `best` (by the run's score metric on dev), `last`, `step_N`, or `start`: the
    /// pretrained weights the run started from (its zero-shot score, stored as step 0).
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    /// Run store directory (for a run id).
    #[arg(long, default_value = "runs")]
    pub store: PathBuf,
    /// Bootstrap resamples for the confidence intervals; 0 turns them off.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Override one experiment key (with an experiment YAML), as `trainer run` does.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    #[command(flatten)]
    pub decoder: DecoderArgs,
}

impl EvalArgs {
    /// # Errors
    /// An unknown run, a missing checkpoint or split, unreadable data.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let options = EvalOptions {
            split: self.split.clone(),
            checkpoint: self.checkpoint.clone(),
            bootstrap: self.bootstrap,
            decoder: self.decoder.choice(DecoderKind::Greedy)?,
        };
        let path = Path::new(&self.run);
        let (run, root) = if path.is_file() {
            let planned = PlannedRun::plan(&ExperimentSource {
                path: path.to_owned(),
                overrides: self.overrides.clone(),
            })?;
            let run = planned.store().dir(planned.record.run_id);
            if !run.file(RUN_FILE).exists() {
                bail!(
                    "{}: its run {} has not been started (`trainer run {}`)",
                    path.display(),
                    run.id.short(),
                    path.display()
                );
            }
            (run, planned.plan.project_root)
        } else {
            let run = RunStore::new(&self.store).resolve(&self.run)?;
            (run, store_project_root(&self.store))
        };
        let text = evaluate_run(&run, &root, &options)?;
        writeln!(std::io::stdout().lock(), "{text}")?;
        Ok(ExitCode::SUCCESS)
    }
}
