//! Data-parallel gangs over libtorch's c10d (Gloo on the loopback), through the real
//! binary: local ranks spawned with `--nproc-per-node` and ranks launched by the
//! environment, as torchrun, srun and blaunch start them.

#![cfg(feature = "distributed")]
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output};

fn trainer(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trainer"));
    command.args(args).env("GLOO_SOCKET_IFNAME", "lo");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
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
