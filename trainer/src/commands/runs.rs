//! `trainer runs list|show|diff|verify|init`: the run store from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use dialekt_core::diff::{Change, RunDiff};
use dialekt_core::lineage::{AttemptStatus, RunRecord};
use dialekt_core::metrics::MetricLine;
use dialekt_core::store::{RunDir, RunStore};

use crate::commands::config::ExperimentArgs;
use crate::recording::PlannedRun;
use crate::verify::verify_run;

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List every run in the store.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Show one run's lineage (any unique prefix of its id).
    Show {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// What differs between two runs: config keys, data files, code, environment.
    Diff {
        a: String,
        b: String,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Re-hash a run's artifacts against its record: run id, config, data manifest,
    /// metrics chain, every checkpoint file. Exits 1 naming anything tampered with.
    Verify {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Record a run without training it: resolve the config, hash the data, capture code
    /// and environment, and create `runs/<id>/`. Prints `created run <short id> (<dir>)`
    /// (`exists ` for a run already recorded).
    Init {
        #[command(flatten)]
        input: ExperimentArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Run store directory.
    #[arg(long, default_value = "runs")]
    pub store: PathBuf,
}

impl RunsCommand {
    /// # Errors
    /// Unknown or ambiguous ids, unreadable records (named), write failures.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mut out = std::io::stdout().lock();
        match self {
            Self::List { store, json } => list(&mut out, &RunStore::new(store.store), json)?,
            Self::Show { id, store, json } => {
                show(&mut out, &RunStore::new(store.store).resolve(&id)?, json)?
            }
            Self::Diff { a, b, store, json } => {
                let store = RunStore::new(store.store);
                diff(&mut out, &store.resolve(&a)?, &store.resolve(&b)?, json)?;
            }
            Self::Verify { id, store } => {
                let intact = verify(&mut out, &RunStore::new(store.store).resolve(&id)?)?;
                if !intact {
                    return Ok(ExitCode::FAILURE);
                }
            }
            Self::Init { input } => {
                let planned = PlannedRun::plan(&input.source())?;
                let (dir, existed) = planned.create()?;
                let verb = if existed { "exists " } else { "created" };
                writeln!(
                    out,
                    "{verb} run {} ({})",
                    dir.id.short(),
                    dir.path.display()
                )?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `runs verify`: one line per artifact checked; `false` when anything is wrong.
fn verify(out: &mut impl Write, dir: &RunDir) -> anyhow::Result<bool> {
    let checks = verify_run(dir)?;
    for check in &checks {
        let verdict = if check.intact { "ok      " } else { "TAMPERED" };
        writeln!(out, "{verdict} {}", check.what)?;
    }
    Ok(checks.iter().all(|c| c.intact))
}

/// One row of `runs list`.
#[derive(Debug, serde::Serialize)]
struct RunRow {
    id: String,
    experiment: String,
    status: String,
    steps: u64,
    best_dev_wer: Option<f64>,
    best_dev_uer: Option<f64>,
    started_at: Option<String>,
    commit: String,
    parent: Option<String>,
}

fn row(dir: &RunDir, record: &RunRecord) -> anyhow::Result<RunRow> {
    let metrics = dir.metrics().unwrap_or_default();
    let best = |name: &str| {
        metrics
            .iter()
            .filter(|m| m.phase == "valid")
            .filter_map(|m| m.values.get(name).copied())
            .min_by(f64::total_cmp)
    };
    let commit = record.code.commit.as_deref().map_or("-".to_owned(), |c| {
        let short: String = c.chars().take(8).collect();
        if record.code.dirty {
            format!("{short}+dirty")
        } else {
            short
        }
    });
    Ok(RunRow {
        id: record.run_id.short(),
        experiment: record.experiment.clone(),
        status: status(record),
        steps: metrics
            .iter()
            .filter(|m| m.phase == "train")
            .map(|m| m.step)
            .max()
            .unwrap_or(0),
        best_dev_wer: best("wer"),
        best_dev_uer: best("uer"),
        started_at: record.attempts.first().map(|a| a.started_at.clone()),
        commit,
        parent: record.parent_run.map(|p| p.short()),
    })
}

fn status(record: &RunRecord) -> String {
    match record.latest_attempt().map(|a| a.status) {
        None => "initialised".to_owned(),
        Some(AttemptStatus::Running) => "running".to_owned(),
        Some(AttemptStatus::Completed) => "completed".to_owned(),
        Some(AttemptStatus::Failed) => "failed".to_owned(),
        Some(AttemptStatus::Interrupted) => "interrupted".to_owned(),
    }
}

fn list(out: &mut impl Write, store: &RunStore, json: bool) -> anyhow::Result<()> {
    let records = store.list()?;
    let rows: Vec<RunRow> = records
        .iter()
        .map(|record| row(&store.dir(record.run_id), record))
        .collect::<anyhow::Result<_>>()?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no runs in {}", store.root().display())?;
    } else {
        runs_table(out, rows)?;
    }
    jobs::table(out, store, &records)
}

fn runs_table(out: &mut impl Write, rows: Vec<RunRow>) -> anyhow::Result<()> {
    let metric = |v: Option<f64>| v.map_or("-".to_owned(), |x| format!("{x:.2}"));
    writeln!(
        out,
        "{:<12}  {:<20}  {:<11}  {:>6}  {:>7}  {:>7}  {:<20}  {:<14}  {:<12}",
        "ID", "EXPERIMENT", "STATUS", "STEPS", "DEV WER", "DEV UER", "STARTED", "COMMIT", "PARENT"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<12}  {:<20}  {:<11}  {:>6}  {:>7}  {:>7}  {:<20}  {:<14}  {:<12}",
            r.id,
            r.experiment,
            r.status,
            r.steps,
            metric(r.best_dev_wer),
            metric(r.best_dev_uer),
            r.started_at.as_deref().unwrap_or("-"),
            r.commit,
            r.parent.as_deref().unwrap_or("-"),
        )?;
    }
    Ok(())
}

fn show(out: &mut impl Write, dir: &RunDir, json: bool) -> anyhow::Result<()> {
    let record = dir.record()?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&record)?)?;
        return Ok(());
    }
    let manifest = dir.manifest()?;
    writeln!(out, "run          {}", record.run_id)?;
    writeln!(out, "experiment   {}", record.experiment)?;
    writeln!(out, "status       {}", status(&record))?;
    writeln!(out, "config       {}", record.config_sha256)?;
    for source in &record.config_sources {
        writeln!(
            out,
            "  from       {} ({})",
            source.path,
            source.sha256.short()
        )?;
    }
    for item in &record.overrides {
        writeln!(out, "  --set      {item}")?;
    }
    writeln!(
        out,
        "data         {} ({} files, {} bytes)",
        record.data_root,
        manifest.files.len(),
        manifest.total_bytes
    )?;
    writeln!(
        out,
        "code         {}{}",
        record.code.commit.as_deref().unwrap_or("(no commit)"),
        if record.code.dirty {
            " + uncommitted changes (code.patch)"
        } else {
            ""
        }
    )?;
    writeln!(out, "environment  {}", record.environment_lock_sha256)?;
    writeln!(out, "seed         {}", record.seed)?;
    if let Some(parent) = record.parent_run {
        writeln!(out, "parent       {parent}")?;
    }
    if !record.id_matches_inputs() {
        writeln!(
            out,
            "WARNING      the run id does not match the recorded inputs (run.json was edited)"
        )?;
    }
    for attempt in &record.attempts {
        writeln!(
            out,
            "attempt {}    {:?} {} → {} on {} ({} threads)",
            attempt.number,
            attempt.status,
            attempt.started_at,
            attempt.ended_at.as_deref().unwrap_or("…"),
            attempt.environment.cpu_model,
            attempt.environment.threads
        )?;
    }
    match dir.metrics() {
        Ok(lines) => writeln!(
            out,
            "metrics      {} lines, hash chain intact{}",
            lines.len(),
            last_step(&lines)
        )?,
        Err(err) => writeln!(out, "metrics      TAMPERED: {err}")?,
    }
    Ok(())
}

fn last_step(lines: &[MetricLine]) -> String {
    lines
        .last()
        .map_or_else(String::new, |l| format!(", last step {}", l.step))
}

fn diff(out: &mut impl Write, a: &RunDir, b: &RunDir, json: bool) -> anyhow::Result<()> {
    let load = |dir: &RunDir| -> anyhow::Result<_> {
        let context = || format!("reading run {}", dir.id.short());
        Ok((
            dir.record().with_context(context)?,
            dir.config_json().with_context(context)?,
            dir.manifest().with_context(context)?,
        ))
    };
    let (ra, ca, ma) = load(a)?;
    let (rb, cb, mb) = load(b)?;
    let diff = RunDiff::between((&ra, &ca, &ma), (&rb, &cb, &mb));
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&diff)?)?;
        return Ok(());
    }
    writeln!(out, "a = {}  b = {}", a.id.short(), b.id.short())?;
    if diff.is_empty() {
        writeln!(out, "no differences")?;
        return Ok(());
    }
    section(out, "config", &diff.config)?;
    if !diff.data.is_empty() {
        writeln!(out, "data:")?;
        for line in diff.data.summary_lines() {
            writeln!(out, "  {line}")?;
        }
        for (label, paths) in [
            ("changed", &diff.data.changed),
            ("only in a", &diff.data.removed),
            ("only in b", &diff.data.added),
        ] {
            for path in paths {
                writeln!(out, "    {label}: {path}")?;
            }
        }
    }
    section(out, "code", &diff.code)?;
    section(out, "environment", &diff.environment)?;
    if let Some(seed) = &diff.seed {
        section(out, "seed", std::slice::from_ref(seed))?;
    }
    Ok(())
}

fn section(out: &mut impl Write, title: &str, changes: &[Change]) -> anyhow::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title}:")?;
    for change in changes {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_owned());
        writeln!(
            out,
            "  {}: {} → {}",
            change.key,
            show(&change.a),
            show(&change.b)
        )?;
    }
    Ok(())
}

/// The jobs `trainer submit` sent from this store, one line per element: queued or
/// running as the scheduler says, else the state of the run that recorded the element's
/// job id.
mod jobs {
    use std::io::Write;

    use dialekt_core::lineage::RunRecord;
    use dialekt_core::store::RunStore;

    use super::status;
    use crate::submit::element_job;
    use crate::submit::jobs::{queue_states, submissions};

    pub fn table(
        out: &mut impl Write,
        store: &RunStore,
        records: &[RunRecord],
    ) -> anyhow::Result<()> {
        let submitted = submissions(store.root())?;
        if submitted.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "\n{:<14}  {:<8}  {:<34}  {:<12}  OVERRIDES",
            "JOB", "SCHED", "STATE", "RUN"
        )?;
        for (_, submission) in submitted {
            let spec = &submission.spec;
            let queue = queue_states(spec.scheduler, &submission.job_id);
            let count = spec.elements.len();
            for (i, element) in spec.elements.iter().enumerate() {
                let label = element_job(spec.scheduler, &submission.job_id, i, count);
                let run = records
                    .iter()
                    .filter(|r| r.attempts.iter().any(|a| a.job.as_deref() == Some(&label)))
                    .max_by(|a, b| a.attempts.len().cmp(&b.attempts.len()));
                let state = match (queue.get(&label), run) {
                    (Some(state), _) => state.clone(),
                    (None, Some(run)) => status(run),
                    (None, None) => "ended without a run (see its log)".to_owned(),
                };
                writeln!(
                    out,
                    "{label:<14}  {:<8}  {state:<34}  {:<12}  {}",
                    format!("{:?}", spec.scheduler).to_lowercase(),
                    run.map_or("-".to_owned(), |r| r.run_id.short()),
                    [spec.overrides.clone(), element.clone()].concat().join(" ")
                )?;
            }
        }
        Ok(())
    }
}
