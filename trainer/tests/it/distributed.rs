//! Data-parallel gangs over libtorch's c10d (Gloo on the loopback), through the real
//! binary: local ranks spawned with `--nproc-per-node` and ranks launched by the
//! environment, as torchrun, srun and blaunch start them.

#![cfg(feature = "distributed")]
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output};

use crate::support::text;

fn trainer(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = crate::support::trainer(args);
    command.env("GLOO_SOCKET_IFNAME", "lo");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn local_gangs_of_two_and_four_sum_correctly_on_every_rank() {
    for n in [2, 4] {
        let n_text = n.to_string();
        let output = trainer(
            &[
                "dist",
                "check",
                "--nproc-per-node",
                &n_text,
                "--megabytes",
                "4",
            ],
            &[],
        );
        let all = text(&output);
        assert!(output.status.success(), "{all}");
        for rank in 0..n {
            assert!(
                all.contains(&format!(
                    "rank {rank}/{n}: all-reduce correct (sum of {n} ranks checked)"
                )),
                "{all}"
            );
        }
    }
}

#[test]
fn a_rank_that_never_joins_makes_the_others_fail_with_a_clear_error() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = [
        ("WORLD_SIZE", "2".to_owned()),
        ("RANK", "0".to_owned()),
        ("MASTER_ADDR", "127.0.0.1".to_owned()),
        ("MASTER_PORT", port.to_string()),
        ("DIALEKT_GANG_TIMEOUT_S", "2".to_owned()),
    ];
    let output = trainer(&["dist", "check"], &env);
    let all = text(&output);
    assert!(!output.status.success(), "{all}");
    assert!(
        all.contains(&format!(
            "joining the gang as rank 0 of 2 at 127.0.0.1:{port}"
        )),
        "{all}"
    );
}

#[test]
fn a_launch_environment_with_a_bad_variable_is_named() {
    let env = [
        ("WORLD_SIZE", "2".to_owned()),
        ("RANK", "5".to_owned()),
        ("MASTER_ADDR", "127.0.0.1".to_owned()),
        ("MASTER_PORT", "29500".to_owned()),
    ];
    let output = trainer(&["dist", "check"], &env);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("RANK 5 is not below WORLD_SIZE 2"),
        "{}",
        text(&output)
    );
}

/// Two "hosts" on the loopback, each a launcher of two ranks (as an LSF job over two
/// hosts starts them): one gang of four, ranks numbered node by node.
#[test]
fn launchers_on_two_nodes_form_one_gang() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let launch = |node: &str| {
        crate::support::trainer(&["dist", "check", "--megabytes", "1", "--nproc-per-node", "2"])
            .args(["--nnodes", "2", "--node-rank", node])
            .args(["--master-addr", "127.0.0.1", "--master-port", &port])
            .env("GLOO_SOCKET_IFNAME", "lo")
            .env("DIALEKT_GANG_TIMEOUT_S", "120")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let nodes = [launch("0"), launch("1")];
    let outputs: Vec<Output> = nodes
        .into_iter()
        .map(|node| node.wait_with_output().unwrap())
        .collect();
    for (node, output) in outputs.iter().enumerate() {
        let all = text(output);
        assert!(output.status.success(), "node {node}: {all}");
        for rank in [2 * node, 2 * node + 1] {
            assert!(
                all.contains(&format!(
                    "rank {rank}/4: all-reduce correct (sum of 4 ranks checked)"
                )),
                "node {node}: {all}"
            );
        }
    }
}

#[test]
fn several_nodes_without_a_rendezvous_address_are_refused() {
    let output = trainer(
        &["dist", "check", "--nproc-per-node", "2", "--nnodes", "2"],
        &[],
    );
    assert!(!output.status.success());
    assert!(
        text(&output).contains("--nnodes 2 needs --master-addr"),
        "{}",
        text(&output)
    );
}

/// GPUs the NVIDIA driver lists (none without `nvidia-smi`).
fn gpus() -> usize {
    Command::new("nvidia-smi")
        .arg("-L")
        .output()
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter(|line| line.starts_with("GPU "))
                .count()
        })
        .unwrap_or(0)
}

/// A gang asked for NCCL: with a GPU per rank its all-reduce must add up as Gloo's does;
/// a build without NCCL, or too few GPUs, is named instead of hanging or crashing.
#[test]
fn an_nccl_gang_sums_on_gpus_or_says_why_it_cannot() {
    let output = trainer(
        &["dist", "check", "--nproc-per-node", "2", "--megabytes", "4"],
        &[
            ("DIALEKT_GANG_BACKEND", "nccl".to_owned()),
            ("DIALEKT_GANG_TIMEOUT_S", "120".to_owned()),
        ],
    );
    let all = text(&output);
    if !cfg!(feature = "nccl") {
        assert!(!output.status.success(), "{all}");
        assert!(all.contains("built without NCCL"), "{all}");
    } else if gpus() >= 2 {
        assert!(output.status.success(), "{all}");
        for rank in 0..2 {
            assert!(
                all.contains(&format!("rank {rank}/2: all-reduce correct"))
                    && all.contains("bus bandwidth, nccl)"),
                "{all}"
            );
        }
    } else {
        assert!(!output.status.success(), "{all}");
        assert!(all.contains("the NCCL process group needs GPU"), "{all}");
    }
}
