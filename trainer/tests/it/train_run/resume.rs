//! Two runs of one experiment compute identical metrics and weights, and a run stopped
//! or killed at any moment resumes to the same result bit for bit.

use dialekt_core::lineage::AttemptStatus;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;

#[test]
fn runs_are_deterministic_and_resume_bit_identically() {
    let reference = run("runs-reference", &[]);
    assert!(reference.status.success(), "{}", stderr(&reference));
    let reference = run_dir("runs-reference");

    // Stopped after step 5: not a checkpoint step, and mid publish window.
    let stopped = run("runs-stopped", &["--stop-after", "5"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    assert!(
        stdout(&stopped).contains("stopped run"),
        "{}",
        stdout(&stopped)
    );
    let resumed = run("runs-stopped", &[]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("resuming run"),
        "{}",
        stderr(&resumed)
    );
    let stopped = run_dir("runs-stopped");

    // Killed (SIGKILL) at an arbitrary moment after the first checkpoint.
    let set = "output=runs-killed";
    let mut child = command(&["run", "tiny.yaml", "--set", set])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let first = loop {
        let found = fs_err::read_dir(project().join("runs-killed"))
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path().join("checkpoints/step_3/checkpoint.json"));
        if let Some(path) = found.filter(|p| p.exists()) {
            break path;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let killed_at = started.elapsed();
    std::thread::sleep(killed_at / 3);
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("killed {:?} after {}", killed_at / 3, first.display());
    let resumed = run("runs-killed", &[]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let killed = run_dir("runs-killed");
    let attempts = record(&killed).attempts;
    assert_eq!(attempts.last().unwrap().status, AttemptStatus::Completed);

    for other in [&stopped, &killed] {
        assert_eq!(
            final_weights(other),
            final_weights(&reference),
            "{}",
            other.display()
        );
        assert_eq!(
            metric_values(other),
            metric_values(&reference),
            "{}",
            other.display()
        );
        assert_eq!(head(other).chain, head(&reference).chain);
    }
}
