//! Job scripts for Slurm and LSF, rendered from a [`JobSpec`] (pure text, golden-tested).

use std::fmt::Write as _;

use super::{JobSpec, Scheduler};

/// A job the scheduler's script form cannot express.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScriptError {
    #[error(
        "an LSF job here runs on one node (its ranks started by --nproc-per-node); {0} nodes need Slurm, or launch blaunch yourself with RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT set"
    )]
    LsfMultiNode(usize),
    #[error("a job needs at least one node and one rank per node")]
    Empty,
}

/// The job script for `spec`'s scheduler.
///
/// # Errors
/// [`ScriptError`] for resources the scheduler's form cannot express.
pub fn render(spec: &JobSpec) -> Result<String, ScriptError> {
    let r = &spec.resources;
    if r.nodes == 0 || r.ranks_per_node == 0 {
        return Err(ScriptError::Empty);
    }
    match spec.scheduler {
        Scheduler::Slurm => Ok(slurm(spec)),
        Scheduler::Lsf if r.nodes > 1 => Err(ScriptError::LsfMultiNode(r.nodes)),
        Scheduler::Lsf => Ok(lsf(spec)),
    }
}

fn slurm(spec: &JobSpec) -> String {
    let r = &spec.resources;
    let mut s = header(spec);
    let mut directive = |line: String| {
        let _ = writeln!(s, "#SBATCH {line}");
    };
    directive(format!("--job-name={}", spec.name));
    directive(format!("--nodes={}", r.nodes));
    directive(format!("--ntasks-per-node={}", r.ranks_per_node));
    if r.gpus_per_node > 0 {
        directive(format!("--gpus-per-node={}", r.gpus_per_node));
    }
    if let Some(cpus) = r.cpus_per_rank {
        directive(format!("--cpus-per-task={cpus}"));
    }
    if let Some(queue) = &r.queue {
        directive(format!("--partition={queue}"));
    }
    directive(format!(
        "--time={}:{:02}:00",
        r.walltime.hours, r.walltime.minutes
    ));
    if let Some(mem) = r.mem_gb {
        directive(format!("--mem={mem}G"));
    }
    let array = spec.elements.len() > 1;
    let log = if array { "%A_%a" } else { "%j" };
    directive(format!("--output={}/{log}.out", spec.log_dir.display()));
    if array {
        directive(format!("--array=0-{}", spec.elements.len() - 1));
    }
    s.push_str(&prologue(spec));
    s.push_str(concat!(
        "# The rendezvous: the job's first node, on a port derived from the job id.\n",
        "export MASTER_ADDR=\"$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\"\n",
        "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n",
    ));
    s.push_str(&elements(spec, "SLURM_ARRAY_TASK_ID", 0));
    s.push_str(concat!(
        "# One task per rank: its SLURM_PROCID, SLURM_LOCALID and SLURM_NTASKS become the\n",
        "# RANK, LOCAL_RANK and WORLD_SIZE the trainer joins its gang with.\n",
        "srun --kill-on-bad-exit=1 bash -c \\\n",
        "  'RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID WORLD_SIZE=$SLURM_NTASKS exec \"$@\"' rank \\\n",
    ));
    let _ = writeln!(s, "  {}", command(spec, None));
    s
}

fn lsf(spec: &JobSpec) -> String {
    let r = &spec.resources;
    let mut s = header(spec);
    let mut directive = |line: String| {
        let _ = writeln!(s, "#BSUB {line}");
    };
    let array = spec.elements.len() > 1;
    if array {
        directive(format!("-J {}[1-{}]", spec.name, spec.elements.len()));
    } else {
        directive(format!("-J {}", spec.name));
    }
    if let Some(queue) = &r.queue {
        directive(format!("-q {queue}"));
    }
    let slots = r.ranks_per_node * r.cpus_per_rank.unwrap_or(1);
    directive(format!("-n {slots}"));
    directive("-R \"span[hosts=1]\"".to_owned());
    if r.gpus_per_node > 0 {
        directive(format!(
            "-gpu \"num={}:mode=exclusive_process\"",
            r.gpus_per_node
        ));
    }
    directive(format!("-W {}:{:02}", r.walltime.hours, r.walltime.minutes));
    if let Some(mem) = r.mem_gb {
        // LSF reserves memory per slot: the node's share, rounded up.
        directive(format!("-R \"rusage[mem={}GB]\"", mem.div_ceil(slots)));
    }
    directive(format!("-o {}/%J_%I.out", spec.log_dir.display()));
    directive(format!("-e {}/%J_%I.err", spec.log_dir.display()));
    s.push_str(&prologue(spec));
    s.push_str(&elements(spec, "LSB_JOBINDEX", 1));
    let ranks = (r.ranks_per_node > 1).then_some(r.ranks_per_node);
    let _ = writeln!(s, "exec {}", command(spec, ranks));
    s
}

fn header(spec: &JobSpec) -> String {
    format!(
        "#!/bin/bash\n# Written by `trainer submit` (dialekt): {}, {} element(s).\n",
        spec.experiment,
        spec.elements.len()
    )
}

/// Strict mode, the project directory, libtorch's library path.
fn prologue(spec: &JobSpec) -> String {
    let mut s = String::from("set -euo pipefail\n");
    let _ = writeln!(s, "cd {}", quote(&spec.project_root.display().to_string()));
    if let Some(path) = &spec.library_path {
        let _ = writeln!(s, "export LD_LIBRARY_PATH={}", quote(path));
    }
    s
}

/// `element=(...)`: the overrides of the array element `variable` names (numbered from
/// `first`), or none when the job is not an array.
fn elements(spec: &JobSpec, variable: &str, first: usize) -> String {
    let sets = |overrides: &[String]| {
        overrides
            .iter()
            .map(|o| format!("--set {}", quote(o)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if spec.elements.len() <= 1 {
        let only = spec.elements.first().map_or(String::new(), |e| sets(e));
        return format!("element=({only})\n");
    }
    let mut s = format!("# This array element's overrides.\ncase \"${{{variable}:-}}\" in\n");
    for (i, overrides) in spec.elements.iter().enumerate() {
        let _ = writeln!(s, "  {}) element=({}) ;;", i + first, sets(overrides));
    }
    let _ = writeln!(
        s,
        "  *) echo \"unknown array element ${{{variable}:-}}\" >&2; exit 2 ;;\nesac"
    );
    s
}

/// The trainer command line, the element's overrides last.
fn command(spec: &JobSpec, nproc_per_node: Option<usize>) -> String {
    let mut parts = vec![
        quote(&spec.trainer.display().to_string()),
        "run".to_owned(),
        quote(&spec.experiment),
    ];
    for o in &spec.overrides {
        parts.push(format!("--set {}", quote(o)));
    }
    if let Some(n) = nproc_per_node {
        parts.push(format!("--nproc-per-node {n}"));
    }
    parts.push("\"${element[@]}\"".to_owned());
    parts.join(" ")
}

/// `text` as one shell word: bare when it is plainly safe, else single-quoted.
fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::submit::{Resources, Walltime, grid};

    /// Compares with `tests/fixtures/submit/<name>`; `DIALEKT_BLESS=1` rewrites the file
    /// (then review the diff).
    fn golden(name: &str, script: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/submit")
            .join(name);
        if std::env::var_os("DIALEKT_BLESS").is_some() {
            dialekt_core::atomic::write_atomic(&path, script.as_bytes()).unwrap();
        }
        let expected = fs_err::read_to_string(&path).unwrap();
        assert_eq!(
            script,
            expected,
            "{} (DIALEKT_BLESS=1 rewrites it)",
            path.display()
        );
    }

    fn spec(scheduler: Scheduler, nodes: usize, gpus: usize, sweep: &[&str]) -> JobSpec {
        let sweeps: Vec<String> = sweep.iter().map(|s| (*s).to_owned()).collect();
        JobSpec {
            scheduler,
            name: "dialekt-danish".into(),
            resources: Resources {
                nodes,
                gpus_per_node: gpus,
                ranks_per_node: gpus.max(1),
                cpus_per_rank: Some(4),
                queue: Some(
                    if scheduler == Scheduler::Lsf {
                        "gpua100"
                    } else {
                        "gpu"
                    }
                    .into(),
                ),
                walltime: Walltime {
                    hours: 24,
                    minutes: 0,
                },
                mem_gb: Some(64),
            },
            project_root: PathBuf::from("/work3/s123456/dialekt"),
            trainer: PathBuf::from("/work3/s123456/dialekt/target/release/trainer"),
            library_path: Some(
                "/work3/s123456/dialekt/.venv-torch/lib/python3.11/site-packages/torch/lib".into(),
            ),
            experiment: "experiments/danish.yaml".into(),
            overrides: vec!["regime.num_steps=20000".into()],
            elements: grid(&sweeps).unwrap(),
            log_dir: PathBuf::from("/work3/s123456/dialekt/runs/.jobs/20261125T120000Z-danish"),
        }
    }

    /// The LSF form of the DTU example: one node, two A100s exclusive, a 3-element sweep.
    #[test]
    fn lsf_script_matches_the_golden_file() {
        let script = render(&spec(
            Scheduler::Lsf,
            1,
            2,
            &["optimizer.config.lr=5e-6,1e-5,5e-5"],
        ))
        .unwrap();
        golden("lsf_2gpu_sweep.sh", &script);
    }

    #[test]
    fn lsf_script_without_sweep_or_gpus_matches_the_golden_file() {
        let mut cpu = spec(Scheduler::Lsf, 1, 0, &[]);
        cpu.resources.queue = None;
        cpu.resources.mem_gb = None;
        let script = render(&cpu).unwrap();
        golden("lsf_cpu.sh", &script);
    }

    #[test]
    fn slurm_script_matches_the_golden_file() {
        let script = render(&spec(
            Scheduler::Slurm,
            2,
            4,
            &["optimizer.config.lr=5e-6,1e-5", "seed=1,2"],
        ))
        .unwrap();
        golden("slurm_2x4gpu_sweep.sh", &script);
    }

    #[test]
    fn lsf_refuses_several_nodes() {
        let error = render(&spec(Scheduler::Lsf, 2, 2, &[])).unwrap_err();
        assert_eq!(error, ScriptError::LsfMultiNode(2));
    }

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(
            quote("optimizer.config.lr=5e-6"),
            "optimizer.config.lr=5e-6"
        );
        assert_eq!(quote("name=a b"), "'name=a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote(""), "''");
    }
}
