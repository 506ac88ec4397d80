//! `trainer run <experiment>`: the main job. Resolve, check that the data, checkpoint and
//! tokenizer exist (before any slow work), record the run, train or resume, and optionally
//! evaluate. Running a finished experiment again reports the existing run instead of
//! redoing it.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, bail};
use clap::Args;
use dialekt_core::atomic::write_json_atomic;
use dialekt_core::config::{BackendName, Dtype, Experiment, MixedPrecisionMode};
use dialekt_core::lineage::{Attempt, AttemptStatus};
use dialekt_core::store::RunDir;
use serde::Serialize;

use crate::commands::config::ExperimentArgs;
use crate::commands::dist::spawn_local_ranks;
use crate::commands::eval::{EvalOptions, evaluate_run};
use crate::distributed::launch::LaunchArgs;
use crate::distributed::{self, Collective};
use crate::model::ArchConfig;
use crate::model::backend::{Accelerator, Backend, nvidia_driver_present};
use crate::recording::{PlannedRun, environment, timestamp};
use crate::submit::job_of_this_process;
use crate::train::input::open_split;
use crate::train::setup::{self, Fetch, ModelOrigin, ModelPlan, TokenizerOrigin};
use crate::train::targets::Targets;
use crate::train::{Outcome, Session};
use dialekt_text::tokenizer::Tokenizer;

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

/// `origin.json`: where the run's starting weights and tokenizer came from.
#[derive(Debug, Serialize)]
struct Origin<'a> {
    model: &'a ModelOrigin,
    tokenizer: &'a TokenizerOrigin,
    arch: &'a ArchConfig,
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
        let (resolved, root) = self.input.resolve_with_root()?;
        let experiment = &resolved.experiment;
        let problems = experiment.problems();
        if !problems.is_empty() {
            bail!(
                "{}: invalid experiment:\n  {}",
                self.input.experiment.display(),
                problems.join("\n  ")
            );
        }
        // Everything that can be missing is checked, and reported together, before the
        // data is hashed.
        let inputs = Inputs::check(experiment, &root)
            .with_context(|| format!("cannot start {}", self.input.experiment.display()))?;
        let planned = PlannedRun::from_resolved(resolved, root, &self.input.experiment)?;
        let (experiment, root) = (&planned.resolved.experiment, &planned.project_root);
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
                self.evaluate(&run, root, split)?;
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

        let outcome = execute(experiment, root, &run, inputs, self.stop_after, gang);
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
            Err(error) => return Err(error.context(format!("run {}", run.id.short()))),
        }
        if let Some(split) = self.eval.as_ref().filter(|_| writer) {
            self.evaluate(&run, root, split)?;
        }
        Ok(ExitCode::SUCCESS)
    }

    fn evaluate(&self, run: &RunDir, root: &Path, split: &str) -> anyhow::Result<()> {
        evaluate_run(run, root, &EvalOptions::for_split(split))
    }
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

/// What a run starts from, checked to exist and to fit together.
#[derive(Debug)]
pub struct Inputs {
    model_plan: ModelPlan,
    tokenizer: Tokenizer,
    tokenizer_origin: TokenizerOrigin,
}

impl Inputs {
    /// Checks that the prepared data, the starting weights and the tokenizer exist and
    /// that the tokenizer fits the model's head; every missing piece is reported at once,
    /// each with how to get it.
    ///
    /// # Errors
    /// The list of what is missing, or the size mismatch.
    pub fn check(experiment: &Experiment, root: &Path) -> anyhow::Result<Self> {
        let mut missing = Vec::new();
        if let Err(problem) = data_ready(experiment, root) {
            missing.push(problem);
        }
        // Weights and tokenizer are downloaded only for a run that can then start.
        let fetch = if missing.is_empty() {
            Fetch::Download
        } else {
            Fetch::CacheOnly
        };
        let model_plan = ModelPlan::resolve(experiment, root, fetch)
            .map_err(|e| missing.push(format!("{e:#}")))
            .ok();
        let tokenizer = setup::tokenizer(experiment, root, fetch)
            .map_err(|e| missing.push(format!("{e:#}")))
            .ok();
        let (Some(model_plan), Some((tokenizer, tokenizer_origin)), true) =
            (model_plan, tokenizer, missing.is_empty())
        else {
            bail!("missing inputs:\n  - {}", missing.join("\n  - "));
        };
        if tokenizer.vocab_size() != model_plan.arch.target_vocab_size {
            bail!(
                "the tokenizer {} has {} pieces but the model's head has {} (model.config_overrides.target_vocab_size)",
                tokenizer_origin.path.display(),
                tokenizer.vocab_size(),
                model_plan.arch.target_vocab_size
            );
        }
        Ok(Self {
            model_plan,
            tokenizer,
            tokenizer_origin,
        })
    }
}

/// Trains `run` (created for `experiment`) as one recorded attempt: builds the model,
/// writes `origin.json`, and runs the session; the attempt's end is recorded whatever
/// happens. Shared by `trainer run` and `trainer reproduce`. In a gang, only rank 0
/// writes (origin, attempts); every rank trains.
///
/// # Errors
/// Model, data and training errors (the attempt is then recorded as failed).
pub fn execute(
    experiment: &Experiment,
    root: &Path,
    run: &RunDir,
    inputs: Inputs,
    stop_after: Option<u64>,
    gang: Option<&dyn Collective>,
) -> anyhow::Result<Outcome> {
    let writer = distributed::writes(gang);
    let Inputs {
        model_plan,
        tokenizer,
        tokenizer_origin,
    } = inputs;
    let device = device(experiment, gang.map(|gang| gang.local_rank()))?;
    let (model, model_origin) = model_plan.build(&device, experiment.seed)?;
    let origin_sha256 = match &model_origin {
        ModelOrigin::Checkpoint { sha256, .. } => Some(*sha256),
        ModelOrigin::Scratch { .. } => None,
    };
    let precision = precision_note(experiment);
    let attempt = if writer {
        write_json_atomic(
            &run.file("origin.json"),
            &Origin {
                model: &model_origin,
                tokenizer: &tokenizer_origin,
                arch: &model_plan.arch,
            },
        )?;
        run.update_record(|r| r.parent_checkpoint_sha256 = origin_sha256)?;
        if let Some(note) = &precision {
            eprintln!("warning: {note}");
        }
        Some(start_attempt(run, experiment.backend.name, precision)?)
    } else {
        None
    };

    let data_root = root.join(experiment.dataset.path.as_deref().unwrap_or_default());
    let train_split = experiment.dataset.train_split.as_deref().unwrap_or("train");
    let dev = match experiment.dataset.valid_split.as_deref() {
        Some(split) => Some(open_split(&data_root, split)?),
        None => None,
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupt);
    // A second handler cannot be installed (tests run several sessions): then Ctrl-C
    // simply kills, and resume still works from the last checkpoint.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!(
            "\ninterrupted: finishing the step and writing a checkpoint (Ctrl-C again to abort)"
        );
    });
    let session = Session {
        experiment,
        run,
        arch: model_plan.arch.clone(),
        device,
        targets: Targets {
            tokenizer,
            normalization: experiment.dataset.text_normalization,
        },
        train: open_split(&data_root, train_split)?,
        dev,
        interrupt,
        stop_after,
        origin_sha256,
        gang,
    };
    let outcome = session.train(model);
    let (status, note) = match &outcome {
        Ok(Outcome::Completed { .. }) => (AttemptStatus::Completed, None),
        Ok(Outcome::Interrupted { .. }) => (AttemptStatus::Interrupted, None),
        Err(error) => (AttemptStatus::Failed, Some(format!("{error:#}"))),
    };
    if let Some(attempt) = attempt {
        end_attempt(run, attempt, status, note)?;
    }
    outcome
}

/// Whether `dataset.path` holds prepared data; the problem, with the command that
/// prepares it, when not.
fn data_ready(experiment: &Experiment, root: &Path) -> Result<(), String> {
    let Some(data) = experiment.dataset.path.as_deref() else {
        return Err(
            "dataset.path is not set: point it at data prepared by `trainer data prepare`".into(),
        );
    };
    let dir = root.join(data);
    if dir.join("version=0").is_dir() {
        return Ok(());
    }
    Err(format!(
        "dataset.path: no prepared data in {}: prepare CoRal into it with `trainer data prepare --coral <dir of CoRal parquet shards> --out {data}`",
        dir.display()
    ))
}

/// The device `backend` names, with `auto` meaning a CUDA GPU if the machine has an
/// NVIDIA driver, else the CPU. A rank of a gang (`local_rank`) takes its own GPU for
/// `auto` and a bare `cuda`: `cuda:LOCAL_RANK`, torchrun's convention, so the ranks of a
/// node do not all crowd onto GPU 0; `cuda:N` still pins one.
///
/// # Errors
/// A backend not compiled in, or a device it cannot use.
pub fn device(
    experiment: &Experiment,
    local_rank: Option<usize>,
) -> anyhow::Result<burn::tensor::Device> {
    let backend = match experiment.backend.name {
        BackendName::Tch => Backend::Tch,
        BackendName::Flex => Backend::Flex,
        BackendName::Cuda => Backend::Cuda,
    };
    let accelerator = accelerator(
        &experiment.backend.device,
        backend,
        nvidia_driver_present(),
        local_rank,
    )
    .context("backend.device")?;
    Ok(backend.device(accelerator).context("backend")?.autodiff())
}

/// `backend.device` resolved (see [`device`]).
fn accelerator(
    spec: &str,
    backend: Backend,
    has_nvidia: bool,
    local_rank: Option<usize>,
) -> Result<Accelerator, crate::model::ModelError> {
    let own_gpu = Accelerator::Cuda(local_rank.unwrap_or(0));
    match spec {
        "auto" if has_nvidia && backend != Backend::Flex => Ok(own_gpu),
        "auto" => Ok(Accelerator::Cpu),
        "cuda" => Ok(own_gpu),
        other => other.parse(),
    }
}

/// What the attempt computes in when the experiment asks for mixed precision: burn 0.22
/// has no autocast, and fp32 master weights with hand-placed bf16 casts are not built yet,
/// so the run says so instead of silently ignoring the setting.
fn precision_note(experiment: &Experiment) -> Option<String> {
    let mp = &experiment.trainer.mixed_precision;
    let wants_low_precision = mp.mode != MixedPrecisionMode::Off && mp.dtype != Dtype::Float32;
    wants_low_precision.then(|| {
        format!(
            "trainer.mixed_precision asks for {:?} compute; dialekt has no autocast yet, so this attempt computes in float32 (weights and AdamW state are float32 in fairseq2 too)",
            mp.dtype
        )
    })
}

fn start_attempt(run: &RunDir, backend: BackendName, note: Option<String>) -> anyhow::Result<u32> {
    let mut number = 0;
    run.update_record(|r| {
        // An attempt still "running" ended without saying so: the process was killed.
        for stale in r
            .attempts
            .iter_mut()
            .filter(|a| a.status == AttemptStatus::Running)
        {
            stale.status = AttemptStatus::Interrupted;
            stale.note = Some("the process ended without closing this attempt (killed?)".into());
        }
        number = u32::try_from(r.attempts.len()).unwrap_or(u32::MAX - 1) + 1;
        r.attempts.push(Attempt {
            number,
            started_at: timestamp(),
            ended_at: None,
            status: AttemptStatus::Running,
            environment: environment(backend),
            job: job_of_this_process(|name| std::env::var(name).ok()),
            note,
        });
    })?;
    Ok(number)
}

fn end_attempt(
    run: &RunDir,
    number: u32,
    status: AttemptStatus,
    note: Option<String>,
) -> anyhow::Result<()> {
    run.update_record(|r| {
        if let Some(attempt) = r.attempts.iter_mut().find(|a| a.number == number) {
            attempt.status = status;
            attempt.ended_at = Some(timestamp());
            if let Some(note) = note {
                attempt.note = Some(note);
            }
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rank_of_a_gang_takes_its_own_gpu_unless_one_is_pinned() {
        let resolve = |spec: &str, nvidia: bool, local_rank: Option<usize>| {
            accelerator(spec, Backend::Tch, nvidia, local_rank).unwrap()
        };
        assert_eq!(resolve("auto", true, None), Accelerator::Cuda(0));
        assert_eq!(resolve("auto", true, Some(3)), Accelerator::Cuda(3));
        assert_eq!(resolve("cuda", false, Some(1)), Accelerator::Cuda(1));
        assert_eq!(resolve("cuda:2", true, Some(1)), Accelerator::Cuda(2));
        assert_eq!(resolve("auto", false, Some(1)), Accelerator::Cpu);
        assert_eq!(resolve("cpu", true, Some(1)), Accelerator::Cpu);
        assert_eq!(
            accelerator("auto", Backend::Flex, true, Some(1)).unwrap(),
            Accelerator::Cpu
        );
        assert!(accelerator("tpu", Backend::Tch, true, None).is_err());
    }
}
