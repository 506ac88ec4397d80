//! `trainer submit` against a real single-node Slurm (Debian's `slurm-wlm` and `munge`),
//! started by the test on the loopback: a demo job on two ranks (srun's tasks forming a
//! Gloo gang) and a three-element sweep run to completion, and `trainer runs list` ties
//! every element to its run. Skipped, saying so, where Slurm is not installed or the test
//! is not root; CI sets `DIALEKT_REQUIRE_SLURM=1`, which turns the skip into a failure.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use crate::support::repo;
use std::time::{Duration, Instant};

use dialekt_core::lineage::RunRecord;

/// The training tests' tiny experiment, cut to 4 steps below.
const EXPERIMENT: &str = include_str!("../fixtures/train/tiny.yaml");

/// munged, slurmctld and slurmd in the foreground, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    daemons: Vec<Child>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for daemon in &mut self.daemons {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }
}

impl Cluster {
    fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm.conf")
    }

    /// A one-node cluster on the loopback, or `None` (after saying why) where it cannot run.
    fn start() -> Option<Self> {
        let required = std::env::var_os("DIALEKT_REQUIRE_SLURM").is_some();
        let missing: Vec<&str> = ["munged", "slurmctld", "slurmd", "sbatch", "squeue"]
            .into_iter()
            .filter(|tool| !on_path(tool))
            .collect();
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
        if !missing.is_empty() || !root {
            let why = format!(
                "skipped: needs root and Slurm (apt-get install slurm-wlm munge); missing: {missing:?}, root: {root}"
            );
            assert!(
                !required,
                "DIALEKT_REQUIRE_SLURM is set but the Slurm test was {why}"
            );
            eprintln!("{why}");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let host = String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned();
        let port = || {
            std::net::TcpListener::bind(("127.0.0.1", 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (ctld_port, slurmd_port) = (port(), port());
        let p = |name: &str| d.join(name).display().to_string();
        for sub in ["state", "spool"] {
            fs_err::create_dir_all(d.join(sub)).unwrap();
        }
        let key: Vec<u8> = (0..128u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        fs_err::write(d.join("munge.key"), key).unwrap();
        // munged refuses a key others can read.
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        fs_err::set_permissions(d.join("munge.key"), private).unwrap();
        let conf = format!(
            "ClusterName=dialekt\nSlurmctldHost={host}(127.0.0.1)\nSlurmctldPort={ctld_port}\n\
             SlurmdPort={slurmd_port}\nSlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\n\
             CredType=cred/munge\nAuthInfo=socket={socket}\nStateSaveLocation={state}\n\
             SlurmdSpoolDir={spool}\nSlurmctldPidFile={ctld_pid}\nSlurmdPidFile={d_pid}\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\nMpiDefault=none\nReturnToService=2\n\
             SchedulerType=sched/builtin\nJobCompType=jobcomp/none\n\
             AccountingStorageType=accounting_storage/none\nSlurmctldLogFile={ctld_log}\n\
             SlurmdLogFile={d_log}\nNodeName={host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n\
             PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
            socket = p("munge.socket"),
            state = p("state"),
            spool = p("spool"),
            ctld_pid = p("slurmctld.pid"),
            d_pid = p("slurmd.pid"),
            ctld_log = p("slurmctld.log"),
            d_log = p("slurmd.log"),
        );
        fs_err::write(d.join("slurm.conf"), conf).unwrap();
        let spawn = |program: &str, args: &[String]| {
            Command::new(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let mut cluster = Self {
            daemons: Vec::new(),
            dir,
        };
        let d = cluster.dir.path().to_owned();
        let p = |name: &str| d.join(name).display().to_string();
        cluster.daemons.push(spawn(
            "munged",
            &[
                "-F".into(),
                "--force".into(),
                format!("--socket={}", p("munge.socket")),
                format!("--key-file={}", p("munge.key")),
                format!("--pid-file={}", p("munged.pid")),
                format!("--log-file={}", p("munged.log")),
                format!("--seed-file={}", p("munged.seed")),
            ],
        ));
        wait_for("munge's socket", || d.join("munge.socket").exists());
        let conf = p("slurm.conf");
        cluster.daemons.push(spawn(
            "slurmctld",
            &["-D".into(), "-f".into(), conf.clone()],
        ));
        cluster
            .daemons
            .push(spawn("slurmd", &["-D".into(), "-f".into(), conf.clone()]));
        wait_for("the node to be idle", || {
            Command::new("sinfo")
                .args(["-h", "-o", "%T"])
                .env("SLURM_CONF", &conf)
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        Some(cluster)
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .any(|dir| dir.join(tool).is_file())
    })
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "waited 2 minutes for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_real_slurm_runs_a_submitted_two_rank_job_and_a_sweep_to_completion() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    // The project: outside any git repository, the demo corpus prepared.
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    fs_err::copy(
        repo().join("demo/tokenizer/demo_char.model"),
        root.join("demo_char.model"),
    )
    .unwrap();
    fs_err::write(root.join("tiny.yaml"), EXPERIMENT).unwrap();
    let trainer = |args: &[&str]| {
        crate::support::trainer(args)
            .current_dir(root)
            .env("SLURM_CONF", cluster.conf())
            .env("GLOO_SOCKET_IFNAME", "lo")
            .env("DIALEKT_GANG_TIMEOUT_S", "120")
            .output()
            .unwrap()
    };
    let coral = repo().join("data/tests/fixtures/coral-mini");
    let prepared = trainer(&[
        "data",
        "prepare",
        "--coral",
        coral.to_str().unwrap(),
        "--out",
        "data",
    ]);
    assert!(prepared.status.success(), "{}", text(&prepared));

    let submit = |extra: &[&str]| {
        let mut args = vec![
            "submit",
            "tiny.yaml",
            "--scheduler",
            "slurm",
            "--walltime",
            "0:15",
            // The test build is the dev profile; jobs of real runs come from --release.
            "--allow-unoptimised-build",
        ];
        args.extend_from_slice(extra);
        let output = trainer(&args);
        assert!(output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("submitted job"), "{}", text(&output));
        output
    };
    submit(&["--ranks-per-node", "2"]);
    submit(&["--sweep", "seed=1,2,3"]);

    let jobs = fs_err::read_dir(root.join("runs/.jobs")).unwrap().count();
    assert_eq!(jobs, 2, "each submission keeps its own script and record");

    // Until every element has a completed run (or something went wrong).
    let started = Instant::now();
    let listing = loop {
        let listed = trainer(&["runs", "list"]);
        let listing = text(&listed);
        let jobs: Vec<&str> = listing
            .lines()
            .skip_while(|l| !l.starts_with("JOB"))
            .skip(1)
            .collect();
        if jobs.len() == 4 && jobs.iter().all(|l| l.contains("completed")) {
            break listing;
        }
        let broken = jobs
            .iter()
            .any(|l| l.contains("failed") || l.contains("ended without a run"));
        if broken || started.elapsed() > Duration::from_secs(900) {
            let logs: Vec<String> = fs_err::read_dir(root.join("runs/.jobs"))
                .unwrap()
                .flat_map(|job| fs_err::read_dir(job.unwrap().path()).unwrap())
                .map(|f| f.unwrap().path())
                .filter(|f| f.extension().is_some_and(|e| e == "out"))
                .map(|f| format!("{}:\n{}", f.display(), fs_err::read_to_string(&f).unwrap()))
                .collect();
            panic!("{listing}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    eprintln!("{listing}");

    let records: Vec<RunRecord> = fs_err::read_dir(root.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path().join("run.json"))
        .filter(|p| p.exists())
        .map(|p| serde_json::from_str(&fs_err::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(records.len(), 4, "one content-addressed run per element");
    let gang = records
        .iter()
        .find(|r| r.attempts[0].environment.world_size == 2)
        .expect("the two-rank job trained as a gang");
    assert!(
        gang.attempts[0]
            .job
            .as_deref()
            .is_some_and(|j| !j.contains('_'))
    );
    let mut seeds: Vec<u64> = records
        .iter()
        .filter(|r| r.run_id != gang.run_id)
        .map(|r| r.seed)
        .collect();
    seeds.sort_unstable();
    assert_eq!(seeds, [1, 2, 3]);
    for record in &records {
        let job = record.attempts[0].job.as_deref().unwrap();
        assert!(
            listing.contains(&record.run_id.short()),
            "{job} is listed with its run"
        );
    }
}
