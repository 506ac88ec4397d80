//! The foundation commands end to end, through the real `trainer` binary:
//! `config resolve|hash`, `data manifest [--verify]`, `runs init|list|show|diff`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{stderr, stdout};

fn trainer(cwd: &Path, args: &[&str], cache: &Path) -> Output {
    crate::support::trainer(args)
        .current_dir(cwd)
        .env("DIALEKT_CACHE_DIR", cache)
        .output()
        .unwrap()
}

fn write(path: &Path, text: &str) {
    dialekt_core::atomic::write_atomic(path, text.as_bytes()).unwrap();
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn config_hash_of_the_danish_experiment_is_stable_and_hex() {
    let cache = tempfile::tempdir().unwrap();
    let a = trainer(
        &project_root(),
        &["config", "hash", "experiments/danish.yaml"],
        cache.path(),
    );
    assert!(a.status.success(), "{}", stderr(&a));
    let hash = stdout(&a).trim().to_owned();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    // Same experiment seen from another working directory: same hash.
    let b = trainer(
        &project_root().join("trainer"),
        &["config", "hash", "../experiments/danish.yaml"],
        cache.path(),
    );
    assert_eq!(stdout(&b).trim(), hash);
    // An override changes it.
    let c = trainer(
        &project_root(),
        &[
            "config",
            "hash",
            "experiments/danish.yaml",
            "--set",
            "optimizer.config.lr=2e-5",
        ],
        cache.path(),
    );
    assert_ne!(stdout(&c).trim(), hash);
}

#[test]
fn config_resolve_materialises_upstream_defaults() {
    let cache = tempfile::tempdir().unwrap();
    let out = trainer(
        &project_root(),
        &["config", "resolve", "experiments/danish.yaml", "--json"],
        cache.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        json["optimizer"]["config"]["betas"],
        serde_json::json!([0.9, 0.98])
    );
    assert_eq!(
        json["dataset"]["asr_task_config"]["max_num_elements"],
        3_840_000
    );
    assert_eq!(json["dataset"]["path"], "data/parquet");
}

#[test]
fn a_typo_fails_with_position_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("exp.yaml"), "regime:\n  num_step: 10\n");
    let out = trainer(dir.path(), &["config", "hash", "exp.yaml"], dir.path());
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        "error: exp.yaml:2:3: unknown key `num_step` in `regime` (did you mean `num_steps`?)"
    );
}

#[test]
fn manifest_verify_names_changed_missing_and_extra_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (name, text) in [("keep.txt", "1"), ("edit.txt", "2"), ("gone.txt", "3")] {
        write(&data.join("split=dev").join(name), text);
    }
    let first = trainer(dir.path(), &["data", "manifest", "data"], cache.path());
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("files    3"), "{}", stdout(&first));

    let clean = trainer(
        dir.path(),
        &["data", "manifest", "data", "--verify"],
        cache.path(),
    );
    assert!(clean.status.success(), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("verified"));

    write(&data.join("split=dev/edit.txt"), "changed");
    fs_err::remove_file(data.join("split=dev/gone.txt")).unwrap();
    write(&data.join("split=train/new.txt"), "4");
    let dirty = trainer(
        dir.path(),
        &["data", "manifest", "data", "--verify"],
        cache.path(),
    );
    assert_eq!(dirty.status.code(), Some(1));
    let text = stdout(&dirty);
    assert!(text.contains("changed: split=dev/edit.txt"), "{text}");
    assert!(text.contains("missing: split=dev/gone.txt"), "{text}");
    assert!(text.contains("extra: split=train/new.txt"), "{text}");
}

#[test]
fn runs_are_recorded_listed_shown_and_diffed() {
    let project = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let root = project.path();
    write(
        &root.join("experiments/tiny.yaml"),
        "model:\n  arch: 300m\ndataset:\n  path: ../data\n  asr_task_config:\n    example_shuffle_window: 1\n",
    );
    write(&root.join("data/split=train/a.txt"), "a");
    write(&root.join("data/split=dev/b.txt"), "b");

    let init = |extra: &[&str]| {
        let mut args = vec!["runs", "init", "experiments/tiny.yaml"];
        args.extend_from_slice(extra);
        let out = trainer(root, &args, cache.path());
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let first = init(&[]);
    assert!(first.starts_with("created run "), "{first}");
    let id_a = first.split_whitespace().nth(2).unwrap().to_owned();
    // The same inputs are the same run: reported, not redone.
    let again = init(&[]);
    assert!(again.starts_with("exists  run "), "{again}");
    assert!(again.contains(&id_a));

    let tuned = init(&["--set", "optimizer.config.lr=2e-5"]);
    let id_b = tuned.split_whitespace().nth(2).unwrap().to_owned();
    assert_ne!(id_a, id_b);

    write(&root.join("data/split=dev/b.txt"), "B");
    let moved = init(&[]);
    let id_c = moved.split_whitespace().nth(2).unwrap().to_owned();
    assert_ne!(id_c, id_a);

    let list = trainer(root, &["runs", "list"], cache.path());
    let text = stdout(&list);
    assert_eq!(text.lines().count(), 4, "{text}");
    for id in [&id_a, &id_b, &id_c] {
        assert!(text.contains(id.as_str()), "{text}");
    }

    let diff = trainer(
        root,
        &["runs", "diff", &id_a[..8], &id_b[..8]],
        cache.path(),
    );
    let text = stdout(&diff);
    assert!(
        text.contains("optimizer.config.lr: 0.00005 → 0.00002"),
        "{text}"
    );
    assert!(!text.contains("data:"), "{text}");

    let diff = trainer(root, &["runs", "diff", &id_a, &id_c], cache.path());
    let text = stdout(&diff);
    assert!(text.contains("split=dev: 1 changed"), "{text}");
    assert!(text.contains("changed: split=dev/b.txt"), "{text}");
    assert!(!text.contains("config:"), "{text}");

    let show = trainer(root, &["runs", "show", &id_a[..6]], cache.path());
    let text = stdout(&show);
    assert!(text.contains("experiments/tiny.yaml"), "{text}");
    assert!(text.contains("status       initialised"), "{text}");

    let unknown = trainer(root, &["runs", "show", "zzzz"], cache.path());
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no run matches `zzzz`"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn runs_init_without_data_says_how_to_prepare_it() {
    let project = tempfile::tempdir().unwrap();
    write(
        &project.path().join("exp.yaml"),
        "model:\n  arch: 300m\ndataset:\n  path: nowhere\n  asr_task_config:\n    example_shuffle_window: 1\n",
    );
    let out = trainer(
        project.path(),
        &["runs", "init", "exp.yaml"],
        project.path(),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("trainer data prepare"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unoptimised_trainer_refuses_to_submit_a_job_and_says_which_to_build() {
    let project = tempfile::tempdir().unwrap();
    write(&project.path().join("exp.yaml"), "model:\n  arch: 300m\n");
    let out = trainer(
        project.path(),
        &["submit", "exp.yaml", "--scheduler", "slurm"],
        project.path(),
    );
    let version = trainer(project.path(), &["--version"], project.path());
    if dialekt_trainer::build_info::is_optimised() {
        // `cargo test --release`: nothing to refuse (the job would fail on later checks).
        assert!(stdout(&version).contains("release profile"));
        return;
    }
    assert!(!out.status.success());
    for needed in [
        "unoptimised build",
        "--release",
        "--allow-unoptimised-build",
    ] {
        assert!(stderr(&out).contains(needed), "{needed}: {}", stderr(&out));
    }
    assert!(
        !project.path().join("runs/.jobs").exists(),
        "nothing queued"
    );
    assert!(
        stdout(&version).contains("opt-level 0"),
        "{}",
        stdout(&version)
    );
}
