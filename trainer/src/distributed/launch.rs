//! `--nproc-per-node N`: spawning a gang's local workers the way `torchrun` does — the
//! same command line once per rank, with the launcher variables set and the rendezvous
//! on the loopback — and ending them all as soon as one fails.

use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use super::config::{LOCAL_RANK, MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE};

/// How one local gang ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every rank exited successfully.
    Completed,
    /// `rank` failed first (the others were then stopped).
    Failed { rank: usize, status: String },
}

/// This process's arguments without its `--nproc-per-node`: the command line of each
/// rank it spawns.
#[must_use]
pub fn rank_args() -> Vec<String> {
    without_nproc_flag(std::env::args().skip(1))
}

/// `args` less `--nproc-per-node N` (or `--nproc-per-node=N`).
fn without_nproc_flag(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut kept = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if arg == "--nproc-per-node" {
            args.next();
        } else if !arg.starts_with("--nproc-per-node=") {
            kept.push(arg);
        }
    }
    kept
}

/// Runs `command` (this trainer's arguments, without `--nproc-per-node`) as `nproc`
/// local ranks and waits for them.
///
/// # Errors
/// The workers cannot be started, or no free port is found for the rendezvous.
pub fn run_local(args: &[String], nproc: usize) -> std::io::Result<Ended> {
    let exe = std::env::current_exe()?;
    let port = free_port()?;
    let mut workers: Vec<Child> = Vec::with_capacity(nproc);
    for rank in 0..nproc {
        let spawned = Command::new(&exe)
            .args(args)
            .env(RANK, rank.to_string())
            .env(LOCAL_RANK, rank.to_string())
            .env(WORLD_SIZE, nproc.to_string())
            .env("LOCAL_WORLD_SIZE", nproc.to_string())
            .env(MASTER_ADDR, "127.0.0.1")
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
    wait_all(&mut workers)
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
    fn the_spawned_ranks_get_the_command_line_without_the_spawn_flag() {
        let args = |line: &str| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            without_nproc_flag(args("run e.yaml --nproc-per-node 4 --set a=1").into_iter()),
            args("run e.yaml --set a=1")
        );
        assert_eq!(
            without_nproc_flag(args("run --nproc-per-node=2 e.yaml").into_iter()),
            args("run e.yaml")
        );
    }
}
