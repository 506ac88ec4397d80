//! `trainer reproduce`: bit-identical re-runs, changed inputs named, and a run of an older
//! commit reproduced by that commit's trainer, rebuilt in a worktree.

use super::*;

#[test]
fn a_run_reproduces_bit_identically_and_changed_inputs_are_named() {
    // Its own copy of the project: this test changes a data file.
    let copy = copy_project();
    let root = copy.path();
    let trainer_at = |args: &[&str]| trainer_in(root, args);
    let done = trainer_at(&["run", "tiny.yaml"]);
    assert!(done.status.success(), "{}", stderr(&done));
    let (dir, id) = only_run(root);

    // Checkpoints are kept at steps 9 and 12: re-run 10..12 from the recorded one.
    for extra in [
        &[][..],
        &["--steps", "5"][..],
        &["--from-checkpoint", "9"][..],
    ] {
        let mut args = vec!["reproduce", id.as_str()];
        args.extend_from_slice(extra);
        let again = trainer_at(&args);
        assert!(again.status.success(), "{}", stderr(&again));
        assert!(
            stdout(&again).contains("(bit-identical)"),
            "{}",
            stdout(&again)
        );
    }
    let reproductions = record(&dir).reproductions;
    assert_eq!(reproductions.len(), 3);
    assert_eq!(reproductions[1].steps, Some(5));
    assert_eq!(reproductions[2].from_checkpoint, Some(9));
    assert!(reproductions[2].lines_compared > 0);
    let missing = trainer_at(&["reproduce", &id, "--from-checkpoint", "4"]);
    assert!(
        stderr(&missing).contains("no checkpoint of step 4 (kept: 9, 12)"),
        "{}",
        stderr(&missing)
    );

    // A changed data file is named, and stops the reproduction.
    let dev = root.join("data/version=0/corpus=coral_read_aloud/split=dev/language=dan_Latn");
    fs_err::write(dev.join("notes.txt"), "a file that was not there").unwrap();
    let refused = trainer_at(&["reproduce", &id]);
    assert!(!refused.status.success());
    let text = stderr(&refused);
    assert!(
        text.contains("data:") && text.contains("split=dev"),
        "{text}"
    );
    assert!(text.contains("--allow data"), "{text}");

    // `runs verify`: intact, then a flipped byte in a checkpoint and an edited metric.
    let verified = trainer_at(&["runs", "verify", &id]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    assert!(
        !stdout(&verified).contains("TAMPERED"),
        "{}",
        stdout(&verified)
    );
    let weights = dir.join("checkpoints/step_12/model.bpk");
    let mut bytes = fs_err::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs_err::write(&weights, bytes).unwrap();
    let metrics = dir.join("metrics.jsonl");
    let edited = fs_err::read_to_string(&metrics).unwrap().replacen(
        "\"num_examples\":",
        "\"num_examples\":1",
        1,
    );
    fs_err::write(&metrics, edited).unwrap();
    let tampered = trainer_at(&["runs", "verify", &id]);
    assert!(!tampered.status.success());
    let text = stdout(&tampered);
    assert!(
        text.contains("TAMPERED") && text.contains("step_12/model.bpk"),
        "{text}"
    );
    assert!(
        text.contains("metrics.jsonl") && text.contains("line 1"),
        "{text}"
    );
}

#[test]
fn reproduce_names_a_changed_code_line() {
    let copy = copy_project();
    let root = copy.path();
    fs_err::write(root.join(".gitignore"), "/data/\n/runs/\n").unwrap();
    fs_err::write(root.join("model.rs"), "fn layers() -> usize {\n    2\n}\n").unwrap();
    let git = |args: &[&str]| git_in(root, args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "experiment"]);
    let done = trainer_in(root, &["run", "tiny.yaml", "--set", "regime.num_steps=2"]);
    assert!(done.status.success(), "{}", stderr(&done));
    let (dir, id) = only_run(root);
    assert!(record(&dir).code.commit.is_some());

    fs_err::write(root.join("model.rs"), "fn layers() -> usize {\n    3\n}\n").unwrap();
    // The recorded code is checked out, but it is no trainer that could be rebuilt.
    let refused = trainer_in(root, &["reproduce", &id]);
    assert!(!refused.status.success());
    let text = stderr(&refused);
    assert!(
        text.contains("code: the uncommitted changes differ")
            && text.contains("no Cargo.toml")
            && text.contains("--allow code"),
        "{text}"
    );
    // Allowed, it re-runs and (the change being outside the trainer) still reproduces.
    let allowed = trainer_in(root, &["reproduce", &id, "--allow", "code"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    let reproduction = record(&dir).reproductions.pop().unwrap();
    assert_eq!(reproduction.allowed_differences, ["code"]);
}

/// A run made at an older commit of dialekt itself (with uncommitted changes) is
/// reproduced from a newer checkout by the trainer rebuilt from its recorded code in a
/// temporary worktree, bit-identically; the user's checkout, branches and `target/` are
/// left alone.
#[test]
fn a_run_made_at_an_older_commit_reproduces_in_a_worktree() {
    // A git repository holding this workspace's code as it is now (what the test binary
    // was built from), the prepared data (ignored, as in a real checkout) and the experiment.
    let copy = tempfile::tempdir().unwrap();
    let root = copy.path();
    let files = git_in(&repo(), &["ls-files", "-co", "--exclude-standard", "-z"]);
    for file in files.split('\0').filter(|f| !f.is_empty()) {
        let source = repo().join(file);
        if source.is_file() {
            let target = root.join(file);
            fs_err::create_dir_all(target.parent().unwrap()).unwrap();
            fs_err::copy(&source, &target).unwrap();
        }
    }
    copy_dir(&project().join("data"), &root.join("data"));
    let experiment = EXPERIMENT.replace("demo_char.model", "demo/tokenizer/demo_char.model");
    fs_err::write(root.join("tiny.yaml"), experiment).unwrap();
    let git = |args: &[&str]| git_in(root, args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "older"]);
    let older = git(&["rev-parse", "HEAD"]).trim().to_owned();

    // The run: made at the older commit with an uncommitted change to the trainer.
    let lib = root.join("trainer/src/lib.rs");
    let mut code = fs_err::read_to_string(&lib).unwrap();
    code.push_str("\n// An uncommitted line, recorded in the run's code.patch.\n");
    fs_err::write(&lib, code).unwrap();
    let steps = ["--set", "regime.num_steps=4"];
    let done = trainer_in(root, &[&["run", "tiny.yaml"][..], &steps].concat());
    assert!(done.status.success(), "{}", stderr(&done));
    let (dir, id) = only_run(root);
    assert!(record(&dir).code.dirty);

    // Later: that change is committed, and the code moves on.
    git(&["commit", "-q", "-am", "newer"]);
    // Beside the target directory, as a user's cache usually is: on the same file system,
    // the seed's libraries are hard links rather than gigabytes of copies.
    let build_cache = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let again = crate::support::trainer(&[])
        .args(["reproduce", &id])
        .current_dir(root)
        .env("DIALEKT_BUILD_CACHE", build_cache.path())
        .output()
        .unwrap();
    let text = stderr(&again);
    assert!(again.status.success(), "{text}\n{}", stdout(&again));
    assert!(
        text.contains(&format!("code: commit {older} recorded")),
        "{text}"
    );
    assert!(
        text.contains("with its recorded uncommitted changes") && text.contains("building"),
        "{text}"
    );
    assert!(
        stdout(&again).contains("(bit-identical)"),
        "{}",
        stdout(&again)
    );
    let reproduction = record(&dir).reproductions.pop().unwrap();
    assert_eq!(reproduction.rebuilt_code.as_deref(), Some(older.as_str()));
    assert!(reproduction.lines_compared > 0);

    // The worktree and its temporary branch are gone; the rebuilt trainer is in the cache,
    // built with this trainer's features (which `--version` names).
    assert_eq!(git(&["worktree", "list"]).lines().count(), 1);
    assert_eq!(git(&["branch", "--format=%(refname:short)"]).trim(), "main");
    let version = |trainer: &Path| {
        let output = Command::new(trainer).arg("--version").output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let rebuilt = version(&build_cache.path().join("debug/trainer"));
    assert_eq!(rebuilt, version(Path::new(env!("CARGO_BIN_EXE_trainer"))));
    assert!(rebuilt.contains("tch"), "{rebuilt}");
}
