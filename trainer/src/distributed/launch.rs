//! `--nproc-per-node N`: spawning a gang's local workers the way `torchrun` does — the
//! same command line once per rank, with the launcher variables set — and ending them all
//! as soon as one fails. On one node the rendezvous is on the loopback; a job over several
//! nodes runs one launcher per node (`--nnodes`, `--node-rank`, `--master-addr`,
//! `--master-port`, as torchrun's static rendezvous), which is how LSF jobs span hosts.

use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use clap::Args;

use super::config::{LOCAL_RANK, MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE};

/// torchrun's launcher flags.
#[derive(Debug, Clone, Default, Args)]
pub struct LaunchArgs {
    /// Spawn N local ranks of a data-parallel gang (as torchrun's --nproc-per-node), each
    /// with `grad_accumulation.num_batches` micro-batches per step. Without it, ranks
    /// started by torchrun, srun or blaunch are recognised from RANK, WORLD_SIZE,
    /// MASTER_ADDR and MASTER_PORT.
    #[arg(long, value_name = "N")]
    pub nproc_per_node: Option<usize>,
    /// Nodes of the job, each running this command with its own --node-rank (as
    /// torchrun's --nnodes); needs --master-addr and --master-port.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "nproc_per_node"
    )]
    pub nnodes: usize,
    /// This node's index, 0..nnodes; node 0 hosts the rendezvous.
    #[arg(
        long,
        value_name = "K",
        default_value_t = 0,
        requires = "nproc_per_node"
    )]
    pub node_rank: usize,
    /// The rendezvous host: node 0's address (default with one node: the loopback).
    #[arg(long, value_name = "HOST", requires = "nproc_per_node")]
    pub master_addr: Option<String>,
    /// The rendezvous port on node 0 (default with one node: a free one).
    #[arg(long, value_name = "PORT", requires = "nproc_per_node")]
    pub master_port: Option<u16>,
}

/// The flags of [`LaunchArgs`] that take a value: stripped from the ranks' command line.
const LAUNCH_FLAGS: [&str; 5] = [
    "--nproc-per-node",
    "--nnodes",
    "--node-rank",
    "--master-addr",
    "--master-port",
];

/// What this launcher spawns: its node's share of the gang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalGang {
    pub nproc_per_node: usize,
    pub nnodes: usize,
    pub node_rank: usize,
    pub master_addr: String,
    /// `None`: pick a free loopback port (one node only).
    pub master_port: Option<u16>,
}

/// Launcher flags that describe no gang.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LaunchError {
    #[error("--nproc-per-node 0: a node needs at least one rank")]
    NoRanks,
    #[error("--node-rank {node_rank} is not below --nnodes {nnodes}")]
    NodeRankOutOfRange { node_rank: usize, nnodes: usize },
    #[error("--nnodes {0} needs {1}: node 0's address and port, the same on every node")]
    MissingRendezvous(usize, &'static str),
}

impl LaunchArgs {
    /// The gang to spawn here: `None` when this process is no launcher (no
    /// `--nproc-per-node`) or the "gang" is a single process (one rank on one node).
    ///
    /// # Errors
    /// Flags that contradict each other, named.
    pub fn local_gang(&self) -> Result<Option<LocalGang>, LaunchError> {
        let Some(nproc_per_node) = self.nproc_per_node else {
            return Ok(None);
        };
        if nproc_per_node == 0 {
            return Err(LaunchError::NoRanks);
        }
        let nnodes = self.nnodes.max(1);
        if self.node_rank >= nnodes {
            return Err(LaunchError::NodeRankOutOfRange {
                node_rank: self.node_rank,
                nnodes,
            });
        }
        if nnodes > 1 {
            if self.master_addr.is_none() {
                return Err(LaunchError::MissingRendezvous(nnodes, "--master-addr"));
            }
            if self.master_port.is_none() {
                return Err(LaunchError::MissingRendezvous(nnodes, "--master-port"));
            }
        }
        if nproc_per_node * nnodes == 1 {
            return Ok(None);
        }
        Ok(Some(LocalGang {
            nproc_per_node,
            nnodes,
            node_rank: self.node_rank,
            master_addr: self
                .master_addr
                .clone()
                .unwrap_or_else(|| "127.0.0.1".to_owned()),
            master_port: self.master_port,
        }))
    }
}

impl LocalGang {
    /// Ranks over all nodes.
    #[must_use]
    pub fn world_size(&self) -> usize {
        self.nproc_per_node * self.nnodes
    }

    /// The global rank of local rank `local`: nodes hold consecutive blocks, as torchrun
    /// numbers them.
    #[must_use]
    pub fn global_rank(&self, local: usize) -> usize {
        self.node_rank * self.nproc_per_node + local
    }
}

/// How one local gang ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every rank exited successfully.
    Completed,
    /// Global rank `rank` failed first (the others on this node were then stopped).
    Failed { rank: usize, status: String },
}

/// This process's arguments without the launcher flags: the command line of each rank
/// it spawns.
#[must_use]
pub fn rank_args() -> Vec<String> {
    without_launch_flags(std::env::args().skip(1))
}

/// `args` less the [`LAUNCH_FLAGS`] (`--flag value` or `--flag=value`).
fn without_launch_flags(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut kept = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if LAUNCH_FLAGS.contains(&arg.as_str()) {
            args.next();
        } else if !LAUNCH_FLAGS.iter().any(|flag| {
            arg.strip_prefix(flag)
                .is_some_and(|rest| rest.starts_with('='))
        }) {
            kept.push(arg);
        }
    }
    kept
}

/// Runs `args` (this trainer's arguments, without the launcher flags) as this node's
/// ranks of `gang` and waits for them.
///
/// # Errors
/// The workers cannot be started, or no free port is found for the rendezvous.
pub fn run_local(args: &[String], gang: &LocalGang) -> std::io::Result<Ended> {
    let exe = std::env::current_exe()?;
    let port = match gang.master_port {
        Some(port) => port,
        None => free_port()?,
    };
    let mut workers: Vec<Child> = Vec::with_capacity(gang.nproc_per_node);
    for local in 0..gang.nproc_per_node {
        let spawned = Command::new(&exe)
            .args(args)
            .env(RANK, gang.global_rank(local).to_string())
            .env(LOCAL_RANK, local.to_string())
            .env(WORLD_SIZE, gang.world_size().to_string())
            .env("LOCAL_WORLD_SIZE", gang.nproc_per_node.to_string())
            .env(MASTER_ADDR, &gang.master_addr)
            .env(MASTER_PORT, port.to_string())
            .spawn();
        match spawned {
            Ok(child) => workers.push(child),
            Err(error) => {
                stop(&mut workers);
                return Err(error);
            }
        }
    }
    Ok(match wait_all(&mut workers)? {
        Ended::Failed { rank, status } => Ended::Failed {
            rank: gang.global_rank(rank),
            status,
        },
        Ended::Completed => Ended::Completed,
    })
}

/// Waits for every worker; the first failure stops the rest (as torchrun does), so a
/// dead rank never leaves the others blocked in a collective until their timeout.
fn wait_all(workers: &mut [Child]) -> std::io::Result<Ended> {
    let mut done = vec![false; workers.len()];
    while done.iter().any(|d| !d) {
        for (rank, worker) in workers.iter_mut().enumerate() {
            if done[rank] {
                continue;
            }
            if let Some(status) = worker.try_wait()? {
                done[rank] = true;
                if !status.success() {
                    stop(workers);
                    return Ok(Ended::Failed {
                        rank,
                        status: describe(status),
                    });
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Ended::Completed)
}

fn stop(workers: &mut [Child]) {
    for worker in workers.iter_mut() {
        let _ = worker.kill();
        let _ = worker.wait();
    }
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return format!("killed by signal {signal}");
    }
    status
        .code()
        .map_or_else(|| status.to_string(), |code| format!("exit code {code}"))
}

/// A port the loopback has free now (the OS picks it; rank 0 binds it moments later).
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spawned_ranks_get_the_command_line_without_the_launcher_flags() {
        let args = |line: &str| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            without_launch_flags(args("run e.yaml --nproc-per-node 4 --set a=1").into_iter()),
            args("run e.yaml --set a=1")
        );
        assert_eq!(
            without_launch_flags(args("run --nproc-per-node=2 e.yaml").into_iter()),
            args("run e.yaml")
        );
        assert_eq!(
            without_launch_flags(
                args("run e.yaml --nproc-per-node 2 --nnodes 3 --node-rank=1 --master-addr h0 --master-port=29500 --set a=1")
                    .into_iter()
            ),
            args("run e.yaml --set a=1")
        );
        // A value that merely starts like a flag's name is kept.
        assert_eq!(
            without_launch_flags(args("run --nnodesx e.yaml").into_iter()),
            args("run --nnodesx e.yaml")
        );
    }

    fn flags(nproc: Option<usize>, nnodes: usize, node_rank: usize) -> LaunchArgs {
        LaunchArgs {
            nproc_per_node: nproc,
            nnodes,
            node_rank,
            master_addr: Some("h0".into()),
            master_port: Some(29_500),
        }
    }

    #[test]
    fn nodes_hold_consecutive_blocks_of_ranks() {
        let gang = flags(Some(2), 3, 1).local_gang().unwrap().unwrap();
        assert_eq!(gang.world_size(), 6);
        assert_eq!([gang.global_rank(0), gang.global_rank(1)], [2, 3]);
        // One rank per node is a gang too when there are several nodes.
        let single = flags(Some(1), 2, 1).local_gang().unwrap().unwrap();
        assert_eq!((single.world_size(), single.global_rank(0)), (2, 1));
    }

    #[test]
    fn launcher_flags_that_describe_no_gang_are_named() {
        assert_eq!(flags(None, 1, 0).local_gang(), Ok(None));
        assert_eq!(flags(Some(1), 1, 0).local_gang(), Ok(None));
        assert_eq!(flags(Some(0), 1, 0).local_gang(), Err(LaunchError::NoRanks));
        assert_eq!(
            flags(Some(2), 2, 2).local_gang(),
            Err(LaunchError::NodeRankOutOfRange {
                node_rank: 2,
                nnodes: 2
            })
        );
        let mut no_port = flags(Some(2), 2, 0);
        no_port.master_port = None;
        assert_eq!(
            no_port.local_gang(),
            Err(LaunchError::MissingRendezvous(2, "--master-port"))
        );
        // One node: the loopback and a free port.
        let local = LaunchArgs {
            nproc_per_node: Some(4),
            ..LaunchArgs::default()
        };
        let gang = local.local_gang().unwrap().unwrap();
        assert_eq!(
            (gang.master_addr.as_str(), gang.master_port),
            ("127.0.0.1", None)
        );
    }
}
