//! One attempt of a run: build the model the plan names, record where it started from
//! (`origin.json`) and the attempt itself (`run.json`), train, and close the attempt
//! whatever happens. Shared by `trainer run` and `trainer reproduce`. In a gang, only rank
//! 0 writes (origin, attempts); every rank trains.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dialekt_core::atomic::write_json_atomic;
use dialekt_core::config::{BackendName, Dtype};
use dialekt_core::lineage::{Attempt, AttemptStatus};
use dialekt_core::store::RunDir;
use dialekt_model::ArchConfig;
use serde::Serialize;

use crate::Error;
use crate::distributed::{self, Collective};
use crate::plan::RunPlan;
use crate::recording::{environment, timestamp};
use crate::submit::job_of_this_process;
use crate::train::input::open_split;
use crate::train::setup::{Inputs, ModelOrigin, TokenizerOrigin};
use crate::train::targets::Targets;
use crate::train::{Outcome, Session};

/// `origin.json`: where the run's starting weights and tokenizer came from.
#[derive(Debug, Serialize)]
struct Origin<'a> {
    model: &'a ModelOrigin,
    tokenizer: &'a TokenizerOrigin,
    arch: &'a ArchConfig,
}

/// Trains `run` (created for `plan`) as one recorded attempt.
///
/// # Errors
/// Model, data and training errors (the attempt is then recorded as failed).
pub fn execute(
    plan: &RunPlan,
    run: &RunDir,
    inputs: Inputs,
    stop_after: Option<u64>,
    gang: Option<&dyn Collective>,
) -> Result<Outcome, Error> {
    let writer = distributed::writes(gang);
    let Inputs {
        model: model_plan,
        tokenizer,
        tokenizer_origin,
    } = inputs;
    let device = plan
        .inference_device(gang.map(|gang| gang.local_rank()))?
        .autodiff();
    let (model, model_origin) = model_plan.build(&device, plan.experiment.seed)?;
    let origin_sha256 = match &model_origin {
        ModelOrigin::Checkpoint { sha256, .. } => Some(*sha256),
        ModelOrigin::Scratch { .. } => None,
    };
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
        let note = precision_note(plan);
        if let Some(note) = &note {
            eprintln!("warning: {note}");
        }
        Some(start_attempt(run, plan.backend, note)?)
    } else {
        None
    };
    let session = Session {
        plan,
        run,
        device,
        targets: Targets {
            tokenizer,
            normalization: plan.experiment.dataset.text_normalization,
        },
        train: open_split(&plan.data_root, &plan.train_split)?,
        dev: plan
            .valid_split
            .as_deref()
            .map(|split| open_split(&plan.data_root, split))
            .transpose()?,
        interrupt: interrupt_flag(),
        stop_after,
        origin_sha256,
        gang,
    };
    let outcome = session.train(model);
    let (status, note) = match &outcome {
        Ok(Outcome::Completed { .. }) => (AttemptStatus::Completed, None),
        Ok(Outcome::Interrupted { .. }) => (AttemptStatus::Interrupted, None),
        Err(error) => (AttemptStatus::Failed, Some(crate::error::chain(error))),
    };
    if let Some(attempt) = attempt {
        end_attempt(run, attempt, status, note)?;
    }
    outcome
}

/// Ctrl-C sets the flag: the session finishes its step, checkpoints and stops; a second
/// Ctrl-C exits at once.
fn interrupt_flag() -> Arc<AtomicBool> {
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
    interrupt
}

/// What the attempt computes in when the experiment asks for mixed precision: burn 0.22
/// has no autocast, and fp32 master weights with hand-placed bf16 casts are not built yet,
/// so the run says so instead of silently ignoring the setting.
fn precision_note(plan: &RunPlan) -> Option<String> {
    let asked = plan.precision.requested_compute();
    (asked != Dtype::Float32).then(|| {
        format!(
            "trainer.mixed_precision asks for {asked:?} compute; dialekt has no autocast yet, so this attempt computes in float32 (weights and AdamW state are float32 in fairseq2 too)"
        )
    })
}

fn start_attempt(run: &RunDir, backend: BackendName, note: Option<String>) -> Result<u32, Error> {
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
) -> Result<(), Error> {
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
