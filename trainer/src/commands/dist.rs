//! `trainer dist check`: does a gang form, and do its collectives add up? The first thing
//! to run on a new cluster or job script, like a `torchrun` all-reduce smoke test: every
//! rank all-reduces a known buffer, checks every element of the sum, and reports the
//! bus bandwidth.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};

use crate::distributed::GangConfig;
use crate::distributed::launch::{self, Ended, LaunchArgs, LocalGang};

#[derive(Debug, Subcommand)]
pub enum DistCommand {
    /// Join the gang the launcher describes (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)
    /// or spawn one locally, and verify an all-reduce on every rank.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Spawn the ranks here (as torchrun does) instead of reading the launcher's
    /// environment.
    #[command(flatten)]
    pub launch: LaunchArgs,
    /// Size of the buffer timed for bandwidth, in MB.
    #[arg(long, default_value_t = 16)]
    pub megabytes: usize,
}

impl DistCommand {
    /// # Errors
    /// No gang described, a rank that does not join, a wrong sum.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Check(args) => args.run(),
        }
    }
}

impl CheckArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        if let Some(nproc) = self.launch.nproc_per_node {
            let Some(local) = self.launch.local_gang()? else {
                bail!("--nproc-per-node {nproc} on one node: a gang needs at least 2 ranks");
            };
            return spawn_local_ranks(&launch::rank_args(), &local);
        }
        let config = GangConfig::from_process_env()?.context(
            "not launched as a gang: WORLD_SIZE is unset or 1 (torchrun, srun and blaunch wrappers set it; or pass --nproc-per-node)",
        )?;
        check(config, self.megabytes)
    }
}

/// Runs `args` as this node's ranks of `gang`; fails naming the first rank that did.
///
/// # Errors
/// The ranks cannot be started, or one failed (the others here are then stopped).
pub fn spawn_local_ranks(args: &[String], gang: &LocalGang) -> anyhow::Result<ExitCode> {
    crate::distributed::ensure_available()?;
    match launch::run_local(args, gang).context("spawning the local ranks")? {
        Ended::Completed => Ok(ExitCode::SUCCESS),
        Ended::Failed { rank, status } => {
            let others = if gang.nnodes > 1 {
                "the other ranks of this node were stopped"
            } else {
                "the other ranks were stopped"
            };
            bail!(
                "rank {rank} of {} failed ({status}); {others}",
                gang.world_size()
            )
        }
    }
}

#[cfg(feature = "distributed")]
fn check(config: GangConfig, megabytes: usize) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    use std::time::Instant;

    use crate::distributed::Gang;

    let gang = Gang::join(config)?;
    let (rank, size) = (gang.rank(), gang.world_size());
    // Rank r contributes (r + 1)·(i + 1) at index i, so the sum is (i + 1)·n(n + 1)/2:
    // a wrong, missing or doubled contribution shows in every element.
    let n = 1000;
    #[allow(clippy::cast_precision_loss)]
    let mut values: Vec<f32> = (0..n).map(|i| ((rank + 1) * (i + 1)) as f32).collect();
    gang.all_reduce_sum_f32(&mut values)?;
    let triangle = size * (size + 1) / 2;
    #[allow(clippy::cast_precision_loss)]
    let wrong = (0..n).find(|&i| values[i] != ((i + 1) * triangle) as f32);
    if let Some(i) = wrong {
        bail!(
            "rank {rank}: all-reduce element {i} is {}, expected {}",
            values[i],
            (i + 1) * triangle
        );
    }
    let mut count = [1.0f64];
    gang.all_reduce_sum_f64(&mut count)?;

    let mut buffer = vec![1.0f32; megabytes * 1024 * 1024 / 4];
    gang.barrier()?;
    let started = Instant::now();
    gang.all_reduce_sum_f32(&mut buffer)?;
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let bus_gbps = (megabytes as f64 / 1e3) * 2.0 * (size as f64 - 1.0) / size as f64 / seconds;
    gang.barrier()?;
    writeln!(
        std::io::stdout().lock(),
        "rank {rank}/{size}: all-reduce correct (sum of {count} ranks checked), {megabytes} MB in {:.1} ms ({bus_gbps:.2} GB/s bus bandwidth, {backend})",
        seconds * 1e3,
        count = count[0],
        backend = gang.config().backend.name(),
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "distributed"))]
fn check(_config: GangConfig, _megabytes: usize) -> anyhow::Result<ExitCode> {
    Err(crate::distributed::GangError::NotBuilt.into())
}
