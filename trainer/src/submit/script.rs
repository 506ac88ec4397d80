//! Job scripts for Slurm and LSF, rendered from a [`JobSpec`] (pure text, golden-tested).

use std::fmt::Write as _;

use super::{JobSpec, Scheduler};

/// A job the scheduler's script form cannot express.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScriptError {
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
    // Slots per host; LSF counts them over the whole job.
    let slots = r.ranks_per_node * r.cpus_per_rank.unwrap_or(1);
    directive(format!("-n {}", slots * r.nodes));
    if r.nodes > 1 {
        directive(format!("-R \"span[ptile={slots}]\""));
    } else {
        directive("-R \"span[hosts=1]\"".to_owned());
    }
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
    if r.nodes > 1 {
        s.push_str(&lsf_nodes(spec));
    } else {
        let ranks = (r.ranks_per_node > 1).then_some(r.ranks_per_node);
        let _ = writeln!(s, "exec {}", command(spec, ranks));
    }
    s
}

/// The body of an LSF job over several hosts: one launcher per host, started there by
/// `blaunch -z`, spawns that node's ranks (torchrun's static rendezvous: `--nnodes`,
/// `--node-rank`, and node 0's address and port). The job fails if any node's does.
fn lsf_nodes(spec: &JobSpec) -> String {
    let r = &spec.resources;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# The job's hosts, once each in allocation order (LSB_MCPU_HOSTS is \"host slots ...\");"
    );
    s.push_str(concat!(
        "# the first hosts the rendezvous, on a port derived from the job id.\n",
        "read -r -a mcpu <<< \"$LSB_MCPU_HOSTS\"\n",
        "hosts=()\n",
        "for ((i = 0; i < ${#mcpu[@]}; i += 2)); do hosts+=(\"${mcpu[i]}\"); done\n",
    ));
    let _ = writeln!(
        s,
        "if [ \"${{#hosts[@]}}\" -ne {nodes} ]; then\n  echo \"expected {nodes} hosts, LSF gave: $LSB_MCPU_HOSTS\" >&2\n  exit 2\nfi",
        nodes = r.nodes
    );
    s.push_str(concat!(
        "master_addr=${hosts[0]}\n",
        "master_port=$((20000 + LSB_JOBID % 20000))\n",
        "# One launcher per host; each spawns its node's ranks and stops them if one fails.\n",
        "pids=()\n",
        "for node in \"${!hosts[@]}\"; do\n",
    ));
    let _ = writeln!(
        s,
        "  blaunch -z \"${{hosts[node]}}\" bash -c 'cd \"$0\" && exec \"$@\"' {root} \\\n    {command} \\\n    --nnodes {nodes} --node-rank \"$node\" --master-addr \"$master_addr\" --master-port \"$master_port\" &",
        root = quote(&spec.project_root.display().to_string()),
        command = command(spec, Some(r.ranks_per_node)),
        nodes = r.nodes,
    );
    s.push_str(concat!(
        "  pids+=($!)\n",
        "done\n",
        "# The first node to fail ends the others at once, rather than leaving their ranks\n",
        "# to time out in a collective (DIALEKT_GANG_TIMEOUT_S). Polled (`wait -n` needs bash 4.3).\n",
        "status=0\n",
        "left=${#pids[@]}\n",
        "while [ \"$left\" -gt 0 ] && [ \"$status\" -eq 0 ]; do\n",
        "  sleep 1\n",
        "  running=\" $(jobs -pr | tr '\\n' ' ') \"\n",
        "  for i in \"${!pids[@]}\"; do\n",
        "    if [ -n \"${pids[i]}\" ] && [[ $running != *\" ${pids[i]} \"* ]]; then\n",
        "      wait \"${pids[i]}\" || status=1\n",
        "      pids[i]=\n",
        "      left=$((left - 1))\n",
        "    fi\n",
        "  done\n",
        "done\n",
        "for pid in \"${pids[@]}\"; do [ -z \"$pid\" ] || kill \"$pid\" 2> /dev/null || true; done\n",
        "wait\n",
        "exit \"$status\"\n",
    ));
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
    // Not "${element[@]}": bash before 4.4 (RHEL 7's 4.2) calls an empty array unbound
    // under `set -u`.
    parts.push("${element[@]+\"${element[@]}\"}".to_owned());
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
        let syntax = std::process::Command::new("bash")
            .args(["-n", "-c", script])
            .output()
            .unwrap();
        assert!(
            syntax.status.success(),
            "{name} is not valid bash: {}",
            String::from_utf8_lossy(&syntax.stderr)
        );
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

    /// Two hosts of two A100s each, a 2-element sweep.
    #[test]
    fn lsf_script_over_two_nodes_matches_the_golden_file() {
        let script = render(&spec(
            Scheduler::Lsf,
            2,
            2,
            &["optimizer.config.lr=5e-6,1e-5"],
        ))
        .unwrap();
        golden("lsf_2x2gpu_sweep.sh", &script);
    }

    /// Runs the body of a two-host LSF job with stand-ins for `blaunch` (runs the command
    /// here, telling it the host it was asked for) and the trainer (records its host,
    /// directory and arguments).
    #[cfg(unix)]
    fn run_two_host_job(mcpu_hosts: &str, failing_host: &str) -> (bool, String, Vec<String>) {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let executable = |path: PathBuf, text: &str| {
            fs_err::write(&path, text).unwrap();
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        fs_err::create_dir_all(root.join("bin")).unwrap();
        executable(
            root.join("bin/blaunch"),
            "#!/bin/bash\n[ \"$1\" = -z ] || exit 9\nHOST=$2; shift 2\nexport HOST\nexec \"$@\"\n",
        );
        // The failing host's launcher fails at once; the others run until they are
        // stopped (then they say so), as ranks blocked in a collective would.
        executable(
            root.join("trainer"),
            &format!(
                "#!/bin/bash\necho \"$HOST $PWD $*\" >> \"$LOG\"\n\
                 if [ {failing_host} = none ]; then exit 0; fi\n\
                 if [ \"$HOST\" = {failing_host} ]; then\n\
                   until [ -e \"$LOG.ready\" ]; do sleep 0.05; done\n\
                   exit 1\n\
                 fi\n\
                 sleep 600 > /dev/null 2>&1 &\n\
                 sleeper=$!\n\
                 trap 'kill $sleeper; echo \"$HOST stopped\" >> \"$LOG\"; exit 143' TERM\n\
                 touch \"$LOG.ready\"\n\
                 wait $sleeper\n"
            ),
        );
        let mut job = spec(Scheduler::Lsf, 2, 2, &["optimizer.config.lr=5e-6,1e-5"]);
        job.project_root.clone_from(&root);
        job.trainer = root.join("trainer");
        job.library_path = None;
        let script = render(&job).unwrap();
        let path = format!(
            "{}:{}",
            root.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let output = std::process::Command::new("bash")
            .args(["-c", &script])
            .current_dir("/")
            .env("PATH", path)
            .env("LSB_MCPU_HOSTS", mcpu_hosts)
            .env("LSB_JOBID", "4242")
            .env("LSB_JOBINDEX", "2")
            .env("LOG", root.join("log"))
            .output()
            .unwrap();
        let mut lines: Vec<String> = fs_err::read_to_string(root.join("log"))
            .unwrap_or_default()
            .lines()
            .map(|line| line.replace(&root.display().to_string(), "ROOT"))
            .collect();
        lines.sort();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stderr, lines)
    }

    #[cfg(unix)]
    #[test]
    fn a_two_host_lsf_job_starts_one_launcher_per_host() {
        let (ok, stderr, lines) = run_two_host_job("hostA 8 hostB 8", "none");
        assert!(ok, "{stderr}");
        let launcher = |host: &str, node: usize| {
            format!(
                "{host} ROOT run experiments/danish.yaml --set regime.num_steps=20000 --nproc-per-node 2 \
                 --set optimizer.config.lr=1e-5 --nnodes 2 --node-rank {node} --master-addr hostA --master-port 24242"
            )
        };
        assert_eq!(lines, [launcher("hostA", 0), launcher("hostB", 1)]);

        let (ok, _, lines) = run_two_host_job("hostA 8 hostB 8", "hostB");
        assert!(!ok, "a node's failure fails the job");
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(
            lines[1], "hostA stopped",
            "the other node is stopped: {lines:?}"
        );

        let (ok, stderr, lines) = run_two_host_job("hostA 16", "none");
        assert!(!ok && lines.is_empty());
        assert!(
            stderr.contains("expected 2 hosts, LSF gave: hostA 16"),
            "{stderr}"
        );
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
