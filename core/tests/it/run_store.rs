//! A run directory created by the library round-trips; diffs name a one-key config
//! change and a one-file data change; a tampered metrics line is detected.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use std::collections::BTreeMap;

use dialekt_core::config::Experiment;
use dialekt_core::diff::RunDiff;
use dialekt_core::lineage::{
    Attempt, AttemptStatus, CodeVersion, Environment, RUN_RECORD_VERSION, RunId, RunRecord,
};
use dialekt_core::manifest::{BuildOptions, Manifest, build};
use dialekt_core::store::{METRICS_FILE, NewRun, RunDir, RunStore};
use dialekt_core::{ContentHash, Error};

fn environment() -> Environment {
    Environment {
        rustc: "rustc 1.95.0".into(),
        target: "x86_64-unknown-linux-gnu".into(),
        cargo_lock_sha256: ContentHash::of_bytes(b"Cargo.lock"),
        backend: "tch".into(),
        backend_version: "libtorch 2.9.0".into(),
        world_size: 1,
        cpu_model: "test cpu".into(),
        gpu_model: None,
        threads: 2,
        os: "linux".into(),
    }
}

fn record(experiment: &Experiment, manifest: &Manifest) -> RunRecord {
    let code = CodeVersion {
        commit: Some("0123456789abcdef".into()),
        dirty: false,
        patch_sha256: None,
    };
    let env = environment();
    let run_id = RunId::derive(
        &experiment.content_hash(),
        &manifest.root,
        &code.content_hash(),
        &env.lock_hash(),
        experiment.seed,
    );
    RunRecord {
        version: RUN_RECORD_VERSION,
        run_id,
        experiment: "demo".into(),
        config_sha256: experiment.content_hash(),
        config_sources: Vec::new(),
        overrides: Vec::new(),
        data_root: manifest.root,
        code,
        environment_lock_sha256: env.lock_hash(),
        seed: experiment.seed,
        parent_run: None,
        parent_checkpoint_sha256: None,
        attempts: vec![Attempt {
            number: 1,
            started_at: "2026-11-24T10:00:00Z".into(),
            ended_at: None,
            status: AttemptStatus::Running,
            environment: env,
            job: None,
            note: None,
        }],
        reproductions: Vec::new(),
    }
}

fn data_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        dialekt_core::atomic::write_atomic(&dir.path().join(path), content.as_bytes()).unwrap();
    }
    dir
}

#[test]
fn run_directory_round_trips_and_diffs_name_the_changes() {
    let store_dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(store_dir.path());

    let data_a = data_dir(&[("split=train/a.txt", "a"), ("split=dev/b.txt", "b")]);
    let data_b = data_dir(&[("split=train/a.txt", "a"), ("split=dev/b.txt", "B")]);
    let manifest_a = build(data_a.path(), &BuildOptions::default(), &()).unwrap();
    let manifest_b = build(data_b.path(), &BuildOptions::default(), &()).unwrap();

    let mut experiment_a = Experiment::default();
    experiment_a.dataset.asr_task_config.example_shuffle_window = 1;
    let mut experiment_b = experiment_a.clone();
    experiment_b.optimizer.config.lr = 1e-5;

    let record_a = record(&experiment_a, &manifest_a);
    let record_b = record(&experiment_b, &manifest_b);
    assert_ne!(record_a.run_id, record_b.run_id);

    let (dir_a, existed) = store
        .create(&NewRun {
            record: &record_a,
            experiment: &experiment_a,
            manifest: &manifest_a,
            patch: b"",
        })
        .unwrap();
    assert!(!existed);
    let (dir_b, _) = store
        .create(&NewRun {
            record: &record_b,
            experiment: &experiment_b,
            manifest: &manifest_b,
            patch: b"",
        })
        .unwrap();

    // Round trip.
    assert_eq!(dir_a.record().unwrap(), record_a);
    assert_eq!(dir_a.manifest().unwrap(), manifest_a);
    assert!(dir_a.record().unwrap().id_matches_inputs());
    let read_back: Experiment = serde_json::from_value(dir_a.config_json().unwrap()).unwrap();
    assert_eq!(read_back, experiment_a);

    // Creating the same run again writes nothing and says so.
    let (_, existed) = store
        .create(&NewRun {
            record: &record_a,
            experiment: &experiment_a,
            manifest: &manifest_a,
            patch: b"",
        })
        .unwrap();
    assert!(existed);

    // Prefix resolution, like git.
    let short = record_a.run_id.short();
    assert_eq!(store.resolve(&short).unwrap().id, record_a.run_id);
    assert_eq!(
        store.resolve(&short[..4]).unwrap().id,
        record_a.run_id.min(record_a.run_id)
    );
    assert!(matches!(
        store.resolve("ffffffffffffffff0").unwrap_err(),
        Error::RunNotFound { .. }
    ));
    assert!(matches!(
        store.resolve("").unwrap_err(),
        Error::AmbiguousRun { .. }
    ));
    assert_eq!(store.list().unwrap().len(), 2);

    let diff = RunDiff::between(
        (
            &dir_a.record().unwrap(),
            &dir_a.config_json().unwrap(),
            &dir_a.manifest().unwrap(),
        ),
        (
            &dir_b.record().unwrap(),
            &dir_b.config_json().unwrap(),
            &dir_b.manifest().unwrap(),
        ),
    );
    assert_eq!(diff.config.len(), 1, "{:?}", diff.config);
    assert_eq!(diff.config[0].key, "optimizer.config.lr");
    assert_eq!(diff.config[0].a.as_deref(), Some("0.00005"));
    assert_eq!(diff.config[0].b.as_deref(), Some("0.00001"));
    assert_eq!(diff.data.changed, ["split=dev/b.txt"]);
    assert!(diff.data.added.is_empty() && diff.data.removed.is_empty());
    assert_eq!(diff.data.summary_lines(), ["split=dev: 1 changed"]);
    assert!(diff.code.is_empty() && diff.environment.is_empty() && diff.seed.is_none());

    // Attempts accumulate; nothing is overwritten.
    let updated = dir_a
        .update_record(|r| {
            let mut next = r.attempts[0].clone();
            next.number = 2;
            r.attempts.push(next);
        })
        .unwrap();
    assert_eq!(updated.attempts.len(), 2);
    assert_eq!(dir_a.record().unwrap().attempts.len(), 2);
}

/// A store holding one freshly created run (the temp dir must outlive the run).
fn one_run() -> (tempfile::TempDir, RunDir) {
    let store_dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(store_dir.path());
    let data = data_dir(&[("a.txt", "a")]);
    let manifest = build(data.path(), &BuildOptions::default(), &()).unwrap();
    let experiment = Experiment::default();
    let record = record(&experiment, &manifest);
    let new = NewRun {
        record: &record,
        experiment: &experiment,
        manifest: &manifest,
        patch: b"",
    };
    let (dir, _) = store.create(&new).unwrap();
    (store_dir, dir)
}

#[test]
fn a_tampered_metrics_line_is_detected() {
    let (_store_dir, dir) = one_run();

    for step in 1..=5u32 {
        let values = BTreeMap::from([
            ("loss".to_owned(), 10.0 / f64::from(step)),
            ("lr".to_owned(), 1e-5),
        ]);
        let timing = BTreeMap::from([("wall_time".to_owned(), f64::from(step))]);
        dir.append_metrics(u64::from(step), "train", values, timing)
            .unwrap();
    }
    assert_eq!(dir.metrics().unwrap().len(), 5);

    let path = dir.file(METRICS_FILE);
    let original = std::fs::read_to_string(&path).unwrap();
    let tampered = original.replacen("\"loss\":5.0", "\"loss\":4.0", 1);
    assert_ne!(tampered, original);
    dialekt_core::atomic::write_atomic(&path, tampered.as_bytes()).unwrap();
    let err = dir.metrics().unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(err.to_string().contains(METRICS_FILE), "{err}");
}

#[test]
fn concurrent_appends_keep_the_chain_intact() {
    let (_store_dir, dir) = one_run();

    std::thread::scope(|scope| {
        for writer in 0..4u64 {
            let dir = dir.clone();
            scope.spawn(move || {
                for step in 0..25u64 {
                    let values = BTreeMap::from([("writer".to_owned(), writer as f64)]);
                    dir.append_metrics(step, "train", values, BTreeMap::new())
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(dir.metrics().unwrap().len(), 100);
}

#[test]
fn rewinding_the_metrics_log_keeps_the_cut_lines_and_the_chain() {
    let (_store_dir, dir) = one_run();
    let line = |step: u64| BTreeMap::from([("loss".to_owned(), 1.0 / (step as f64 + 1.0))]);
    let append = |step: u64| {
        dir.append_metrics(step, "train", line(step), BTreeMap::new())
            .unwrap()
    };
    assert_eq!(
        dir.rewind_metrics(&dir.metrics_position().unwrap())
            .unwrap(),
        None
    );
    append(1);
    append(2);
    let checkpoint = dir.metrics_position().unwrap();
    append(3);
    append(4);
    let discarded = dir.rewind_metrics(&checkpoint).unwrap().unwrap();
    assert_eq!(dir.metrics().unwrap().len(), 2);
    assert_eq!(dir.metrics_position().unwrap(), checkpoint);
    let cut = std::fs::read_to_string(&discarded).unwrap();
    assert_eq!(cut.lines().count(), 2, "{cut}");
    // The log goes on from the checkpoint as if steps 3 and 4 had never been logged.
    append(3);
    assert_eq!(dir.metrics().unwrap().len(), 3);

    // A position the log never had is refused, naming the log.
    let mut foreign = checkpoint;
    foreign.bytes += 1;
    let err = dir.rewind_metrics(&foreign).unwrap_err().to_string();
    assert!(err.contains(METRICS_FILE), "{err}");
}
