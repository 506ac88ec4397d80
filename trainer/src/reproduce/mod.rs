//! `trainer reproduce <id>`: re-run a recorded run and *verify* the result.
//!
//! 1. The recorded inputs are checked against today's: the config (the stored resolved
//!    config must still hash to the recorded config hash), the data (manifest rebuilt,
//!    differences named by file), the code (git commit and uncommitted patch) and the
//!    environment lock (toolchain, `Cargo.lock`, backend). A difference stops the
//!    reproduction unless allowed with `--allow data,code,env`.
//! 2. The experiment is re-run in a scratch run store beside the original
//!    (`<store>/.reproductions/<id>-<n>/`), from the start or from a recorded checkpoint
//!    (`--from-checkpoint STEP`, its hashes verified first), for `--steps N` or all steps.
//! 3. The new metrics log is compared line by line with the recorded one through the
//!    deterministic hash chain, and the final weights by hash: `bit-identical`, `within
//!    tolerance` (`--tolerance`, for backends that are not bitwise deterministic), or
//!    `diverged at step k` with the first differing values side by side.
//! 4. The verdict is written into the original run's `run.json`.
//!
//! When the checked-out code is not the recorded code, the reproduction is handed to the
//! trainer of the recorded code, built in a temporary worktree ([`recorded_code`]);
//! `--allow code` re-runs with today's trainer instead.

mod recorded_code;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dialekt_core::lineage::{Reproduction, RunRecord, Verdict, capture_code};
use dialekt_core::manifest::{Manifest, ManifestDiff};
use dialekt_core::metrics::MetricLine;
use dialekt_core::store::{
    CONFIG_JSON_FILE, METRICS_FILE, METRICS_HEAD_FILE, NewRun, RunDir, RunStore,
};

use crate::Error;
use crate::distributed::GangConfig;
use crate::plan::RunPlan;
use crate::recording::{data_manifest, environment, store_project_root, timestamp};
use crate::train::checkpoint::{self, SavedCheckpoint};
use crate::train::execute;
use crate::train::setup::Inputs;

/// What a reproduction re-runs and accepts.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// The run's id (or a unique prefix).
    pub run: String,
    /// Run store directory.
    pub store: PathBuf,
    /// Re-run only the first N steps (and compare those).
    pub steps: Option<u64>,
    /// Start from the run's recorded checkpoint of this step (verified against its
    /// hashes) instead of from the start; the steps after it are compared.
    pub from_checkpoint: Option<u64>,
    /// Recorded inputs allowed to differ.
    pub allow: Vec<Input>,
    /// Accept values within this relative difference (0: bit-identical only).
    pub tolerance: f64,
    /// The checkout whose code is compared with the record (default: the store's
    /// project). Set by the trainer of the recorded code, which runs in a worktree.
    pub code_from: Option<PathBuf>,
}

/// An input of a run's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Input {
    Data,
    Code,
    Env,
}

/// How a reproduction ended.
#[derive(Debug)]
pub enum Reproduced {
    /// Re-run here: the verdict (also appended to the run's `run.json`) and how many
    /// metrics lines were compared.
    Verified {
        run: Box<RunRecord>,
        verdict: Verdict,
        compared: u64,
    },
    /// Handed to the trainer of the recorded code, which printed its own verdict; its
    /// exit code.
    Delegated(ExitCode),
}

/// Re-runs a recorded run and verifies the result (see the module's description).
///
/// # Errors
/// An unknown run, differing inputs that were not allowed (named), training errors.
pub fn reproduce(options: &ReproduceOptions) -> Result<Reproduced, Error> {
    if GangConfig::from_process_env()?.is_some() {
        return Err(Error::Mismatch(
            "reproduce runs as one process: it cannot be launched as a data-parallel gang (WORLD_SIZE > 1) yet".to_owned(),
        ));
    }
    let store = RunStore::new(&options.store);
    let original = store.resolve(&options.run)?;
    let record = original.record()?;
    let experiment = original.experiment()?;
    if experiment.content_hash() != record.config_sha256 {
        return Err(Error::Tampered(format!(
            "{}: the stored config no longer hashes to the run's config hash {} (it was edited)",
            original.file(CONFIG_JSON_FILE).display(),
            record.config_sha256.short()
        )));
    }
    let root = store_project_root(&options.store);
    let code_dir = options.code_from.clone().unwrap_or_else(|| root.clone());
    let plan = RunPlan::new(experiment, root.clone())?;
    let (manifest, patch, differences) = check_inputs(&original, &record, &plan, &code_dir)?;
    // Today's code is not the run's: its own trainer, rebuilt, reproduces it (and
    // checks the environment it was built in), once the data is known to match.
    let rebuild = options.code_from.is_none()
        && !options.allow.contains(&Input::Code)
        && differences.iter().any(|(input, _)| *input == Input::Code);
    let mut allowed = Vec::new();
    let mut refused = Vec::new();
    for (input, lines) in &differences {
        let name = format!("{input:?}").to_lowercase();
        if rebuild && matches!(input, Input::Code | Input::Env) {
            eprintln!("{name}: {}", lines.join("; "));
        } else if options.allow.contains(input) {
            allowed.push(name);
        } else {
            refused.extend(lines.iter().map(|l| format!("{name}: {l}")));
        }
    }
    if !refused.is_empty() {
        return Err(Error::Mismatch(format!(
            "run {} was made from other inputs:\n  {}\n(reproduce anyway with --allow {})",
            record.run_id.short(),
            refused.join("\n  "),
            differences
                .iter()
                .map(|(i, _)| format!("{i:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(",")
        )));
    }

    if let (Some(from), Some(steps)) = (options.from_checkpoint, options.steps)
        && steps <= from
    {
        return Err(Error::config(
            "--steps",
            format!("{steps} must be after --from-checkpoint {from}"),
        ));
    }
    if rebuild {
        let status = recorded_code::reproduce(options, &original, &record, &root)?;
        return Ok(Reproduced::Delegated(status));
    }
    let start = options
        .from_checkpoint
        .map(|step| recorded_checkpoint(&original, step))
        .transpose()?;
    let inputs = Inputs::check(&plan)?;
    let scratch = scratch_store(&store, &record)?;
    let mut fresh = record.clone();
    fresh.attempts.clear();
    fresh.reproductions.clear();
    let (scratch_run, _) = scratch.create(&NewRun {
        record: &fresh,
        experiment: &plan.experiment,
        manifest: &manifest,
        patch: &patch,
    })?;
    if let Some(saved) = &start {
        start_from(&original, saved, &scratch_run)?;
    }
    eprintln!(
        "reproducing run {} in {}{}{}",
        record.run_id.short(),
        scratch_run.path.display(),
        options
            .from_checkpoint
            .map_or_else(String::new, |n| format!(" from its checkpoint of step {n}")),
        options
            .steps
            .map_or_else(String::new, |n| format!(" (up to step {n})"))
    );
    execute(&plan, &scratch_run, inputs, options.steps, None)?;

    let window = Window {
        after: options.from_checkpoint.unwrap_or(0),
        until: options.steps,
    };
    let (verdict, compared) = compare(&original, &scratch_run, window, options.tolerance)?;
    let reproduction = Reproduction {
        at: timestamp(),
        scratch: scratch_run.path.display().to_string(),
        steps: options.steps,
        from_checkpoint: options.from_checkpoint,
        lines_compared: compared,
        verdict: verdict.clone(),
        allowed_differences: allowed,
        rebuilt_code: options.code_from.as_ref().and(record.code.commit.clone()),
        environment: environment(plan.backend),
    };
    original.update_record(|r| r.reproductions.push(reproduction))?;
    Ok(Reproduced::Verified {
        run: Box::new(record),
        verdict,
        compared,
    })
}

type Differences = Vec<(Input, Vec<String>)>;

/// Today's manifest and code patch, and what differs from the record, by input.
fn check_inputs(
    original: &RunDir,
    record: &RunRecord,
    plan: &RunPlan,
    code_dir: &Path,
) -> Result<(Manifest, Vec<u8>, Differences), Error> {
    let mut differences = Vec::new();
    let manifest = data_manifest(&plan.data_root)?;
    if manifest.root != record.data_root {
        let recorded = original.manifest()?;
        differences.push((
            Input::Data,
            ManifestDiff::between(&recorded, &manifest).summary_lines(),
        ));
    }
    let (code, patch) = capture_code(code_dir)?;
    if code.content_hash() != record.code.content_hash() {
        let commit = |c: &Option<String>| c.clone().unwrap_or_else(|| "(no commit)".into());
        let mut lines = Vec::new();
        if code.commit != record.code.commit {
            lines.push(format!(
                "commit {} recorded, {} checked out",
                commit(&record.code.commit),
                commit(&code.commit)
            ));
        } else {
            lines.push("the uncommitted changes differ from the recorded code.patch".into());
        }
        differences.push((Input::Code, lines));
    }
    let env = environment(plan.backend);
    if env.lock_hash() != record.environment_lock_sha256 {
        let recorded_world = record
            .latest_attempt()
            .map_or(1, |a| a.environment.world_size);
        let line = if recorded_world == env.world_size {
            format!(
                "toolchain, Cargo.lock or backend differ (now {}, {} {})",
                env.rustc, env.backend, env.backend_version
            )
        } else {
            format!(
                "the run trained data-parallel on {recorded_world} rank(s), this is {} (reproducing a data-parallel run is not supported yet)",
                env.world_size
            )
        };
        differences.push((Input::Env, vec![line]));
    }
    Ok((manifest, patch, differences))
}

/// A new scratch store for one reproduction of `record`.
fn scratch_store(store: &RunStore, record: &RunRecord) -> Result<RunStore, Error> {
    let base = store.root().join(".reproductions");
    let short = record.run_id.short();
    let n = (1..)
        .find(|n| !base.join(format!("{short}-{n}")).exists())
        .unwrap_or(1);
    Ok(RunStore::new(base.join(format!("{short}-{n}"))))
}

/// The recorded checkpoint of `step`, its files verified against its hashes.
fn recorded_checkpoint(original: &RunDir, step: u64) -> Result<SavedCheckpoint, Error> {
    let saved = checkpoint::list(&original.path)?;
    let steps: Vec<String> = saved.iter().map(|c| c.record.step.to_string()).collect();
    let Some(found) = saved.into_iter().find(|c| c.record.step == step) else {
        return Err(Error::NotFound(format!(
            "run {} has no checkpoint of step {step} (kept: {})",
            original.id.short(),
            if steps.is_empty() {
                "none".to_owned()
            } else {
                steps.join(", ")
            }
        )));
    };
    found.verify()?;
    Ok(found)
}

/// Seeds the scratch run with the recorded checkpoint and the metrics log; training then
/// resumes from it as after an interruption (the log is cut back to the checkpoint).
fn start_from(original: &RunDir, saved: &SavedCheckpoint, scratch: &RunDir) -> Result<(), Error> {
    let name = saved
        .dir
        .file_name()
        .ok_or_else(|| Error::NotFound(format!("{}: not a checkpoint", saved.dir.display())))?;
    let target = scratch.path.join(checkpoint::CHECKPOINTS_DIR).join(name);
    let partial = target.with_extension("partial");
    fs_err::create_dir_all(&partial)?;
    for entry in fs_err::read_dir(&saved.dir)? {
        let entry = entry?;
        fs_err::copy(entry.path(), partial.join(entry.file_name()))?;
    }
    fs_err::rename(&partial, &target)?;
    for file in [METRICS_FILE, METRICS_HEAD_FILE] {
        fs_err::copy(original.file(file), scratch.file(file))?;
    }
    Ok(())
}

/// The steps a reproduction compares: after `after`, up to `until` (inclusive).
#[derive(Debug, Clone, Copy)]
struct Window {
    after: u64,
    until: Option<u64>,
}

/// Compares the scratch run's metrics and weights with the original's.
fn compare(
    original: &RunDir,
    scratch: &RunDir,
    window: Window,
    tolerance: f64,
) -> Result<(Verdict, u64), Error> {
    let steps = window.until;
    let within = |l: &MetricLine| l.step > window.after && steps.is_none_or(|n| l.step <= n);
    let recorded: Vec<MetricLine> = original.metrics()?.into_iter().filter(within).collect();
    let new: Vec<MetricLine> = scratch.metrics()?.into_iter().filter(within).collect();
    let mut max_relative = 0.0f64;
    for (i, old) in recorded.iter().enumerate() {
        let Some(line) = new.get(i) else {
            return Ok((
                Verdict::Diverged {
                    step: old.step,
                    phase: old.phase.clone(),
                    detail: "the re-run logged no such line".into(),
                },
                i as u64,
            ));
        };
        if line.chain == old.chain {
            continue;
        }
        for (key, &value) in &old.values {
            let got = line.values.get(key).copied().unwrap_or(f64::NAN);
            let relative = (got - value).abs() / value.abs().max(f64::MIN_POSITIVE);
            // NaN (a missing value) never counts as within tolerance.
            let within = relative.is_finite() && relative <= tolerance;
            if !within || line.step != old.step {
                return Ok((
                    Verdict::Diverged {
                        step: old.step,
                        phase: old.phase.clone(),
                        detail: format!("{key}: recorded {value}, re-run {got}"),
                    },
                    i as u64,
                ));
            }
            max_relative = max_relative.max(relative);
        }
    }
    let compared = recorded.len() as u64;
    let weights = |run: &RunDir| -> Result<Option<dialekt_core::ContentHash>, Error> {
        let saved = match steps {
            Some(n) => checkpoint::list(&run.path)?
                .into_iter()
                .find(|c| c.record.step == n),
            None => checkpoint::latest(&run.path)?,
        };
        Ok(saved.and_then(|c| c.record.files.get("model.bpk").copied()))
    };
    if let (Some(old), Some(new)) = (weights(original)?, weights(scratch)?)
        && old != new
        && tolerance == 0.0
    {
        let step = steps.unwrap_or_else(|| recorded.last().map_or(0, |l| l.step));
        return Ok((
            Verdict::Diverged {
                step,
                phase: "weights".into(),
                detail: format!(
                    "model.bpk sha256 recorded {}, re-run {}",
                    old.short(),
                    new.short()
                ),
            },
            compared,
        ));
    }
    if max_relative == 0.0 {
        Ok((Verdict::BitIdentical, compared))
    } else {
        Ok((
            Verdict::WithinTolerance {
                relative_tolerance: tolerance,
                max_relative_difference: max_relative,
            },
            compared,
        ))
    }
}
