//! `trainer run <experiment>`: the main job. Resolve, check that the data, checkpoint and
//! tokenizer exist (before any slow work), record the run, train or resume, and optionally
//! evaluate. Running a finished experiment again reports the existing run instead of
//! redoing it.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use dialekt_core::lineage::AttemptStatus;
use dialekt_core::store::RunDir;

use crate::commands::config::ExperimentArgs;
use crate::commands::dist::spawn_local_ranks;
use crate::distributed;
use crate::distributed::launch::LaunchArgs;
use crate::eval::{EvalOptions, evaluate_run};
use crate::plan::RunPlan;
use crate::recording::PlannedRun;
use crate::train::setup::Inputs;
use crate::train::{Outcome, execute};

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: ExperimentArgs,
    /// After training, evaluate the best checkpoint (by dev score) on this split (e.g. `test`).
    #[arg(long, value_name = "SPLIT")]
    pub eval: Option<String>,
    /// Stop (with a checkpoint) once this many steps are done; the same command resumes.
    #[arg(long, value_name = "STEPS")]
    pub stop_after: Option<u64>,
    #[command(flatten)]
    pub launch: LaunchArgs,
}

impl RunArgs {
    /// # Errors
    /// Config problems (all listed), missing data/checkpoint/tokenizer (with how to get
    /// them), and training errors (the attempt is recorded as failed).
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if let Some(local) = self.launch.local_gang()? {
            return spawn_local_ranks(&distributed::launch::rank_args(), &local);
        }
        let gang = distributed::join_from_env()?;
        let gang = gang.as_deref();
        let writer = distributed::writes(gang);
        let cannot_start = || format!("cannot start {}", self.input.experiment.display());
        let source = self.input.source();
        let resolved = source.resolve()?;
        let plan = RunPlan::new(resolved.experiment.clone(), source.project_root())
            .with_context(cannot_start)?;
        // Everything that can be missing is checked, and reported together, before the
        // data is hashed.
        let inputs = Inputs::check(&plan).with_context(cannot_start)?;
        let planned = PlannedRun::new(plan, &resolved)?;
        // Rank 0 creates the run directory; the other ranks open it once it exists.
        let created = if writer {
            Some(planned.create()?)
        } else {
            None
        };
        if let Some(gang) = gang {
            gang.barrier()?;
        }
        let (run, existed) = match created {
            Some(created) => created,
            None => (
                planned
                    .store()
                    .resolve(&planned.record.run_id.to_string())?,
                true,
            ),
        };
        let mut out = Output::new(writer);
        let record = run.record()?;
        if record
            .attempts
            .iter()
            .any(|a| a.status == AttemptStatus::Completed)
        {
            writeln!(
                out,
                "run {} is already complete: nothing to do ({})",
                run.id.short(),
                run.path.display()
            )?;
            writeln!(out, "  see `trainer runs show {}`", run.id.short())?;
            if let Some(split) = self.eval.as_ref().filter(|_| writer) {
                evaluate(&run, &planned.plan.project_root, split)?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        let verb = if existed { "continuing" } else { "created" };
        writeln!(
            out,
            "{verb} run {} ({})",
            run.id.short(),
            run.path.display()
        )?;

        let outcome = execute(&planned.plan, &run, inputs, self.stop_after, gang);
        let mut out = Output::new(writer);
        match outcome {
            Ok(Outcome::Completed { step, dev }) => {
                write!(out, "completed run {} after {step} steps", run.id.short())?;
                if let Some(dev) = dev {
                    write!(
                        out,
                        ": dev WER {:.2} %, UER {:.2} %, CTC loss {:.2} bits/utterance",
                        dev.wer, dev.uer, dev.ctc_loss
                    )?;
                }
                writeln!(out, "\n  results: {}", run.path.display())?;
            }
            Ok(Outcome::Interrupted { step }) => {
                writeln!(
                    out,
                    "stopped run {} after step {step} (checkpointed); run the same command to resume",
                    run.id.short()
                )?;
                return Ok(ExitCode::from(if self.stop_after.is_some() {
                    0
                } else {
                    130
                }));
            }
            Err(error) => {
                return Err(anyhow::Error::new(error).context(format!("run {}", run.id.short())));
            }
        }
        if let Some(split) = self.eval.as_ref().filter(|_| writer) {
            evaluate(&run, &planned.plan.project_root, split)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `--eval SPLIT`: scores the best checkpoint on `split` and prints the tables.
fn evaluate(run: &RunDir, root: &Path, split: &str) -> anyhow::Result<()> {
    let text = evaluate_run(run, root, &EvalOptions::for_split(split))?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// Standard output for the run's story: rank 0's (or the only process's); the other
/// ranks of a gang keep quiet rather than print every line `n` times.
struct Output {
    shown: bool,
}

impl Output {
    fn new(shown: bool) -> Self {
        Self { shown }
    }
}

impl std::io::Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.shown {
            std::io::stdout().lock().write(buf)
        } else {
            Ok(buf.len())
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush()
    }
}
