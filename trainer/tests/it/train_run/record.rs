//! A run is recorded completely (lineage, metrics, checkpoints, an evaluation), a finished
//! run is reported rather than redone, and a run without its inputs says how to get each.

use dialekt_core::lineage::AttemptStatus;

use super::*;

#[test]
fn a_run_is_recorded_evaluated_and_never_redone() {
    let done = run("runs-complete", &["--eval", "test"]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(stdout(&done).contains("completed run"), "{}", stdout(&done));
    let dir = run_dir("runs-complete");
    let record = record(&dir);
    assert_eq!(record.attempts.len(), 1);
    assert_eq!(record.attempts[0].status, AttemptStatus::Completed);
    assert!(record.id_matches_inputs());
    let origin = fs_err::read_to_string(dir.join("origin.json")).unwrap();
    assert!(origin.contains("\"scratch\""), "{origin}");
    // keep_last_n_checkpoints: 2 → the last two of steps 3, 6, 9, 12.
    let mut steps: Vec<String> = fs_err::read_dir(dir.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    steps.sort();
    assert_eq!(steps, ["step_12", "step_9"]);
    // 6 train lines (every 2 steps) and 3 validations (steps 4, 8, 12).
    let values = metric_values(&dir);
    let phases: Vec<&str> = values.iter().map(|v| v[1].as_str().unwrap()).collect();
    assert_eq!(phases.iter().filter(|p| **p == "train").count(), 6);
    assert_eq!(phases.iter().filter(|p| **p == "valid").count(), 3);
    let valid = values.iter().rev().find(|v| v[1] == "valid").unwrap();
    for key in ["wer", "uer", "ctc_loss", "wer/dialect=Sydømål"] {
        assert!(
            valid[2].get(key).is_some(),
            "valid line lacks {key}: {valid}"
        );
    }
    let train = values.iter().find(|v| v[1] == "train").unwrap();
    for key in [
        "ctc_loss",
        "lr",
        "grad_norm",
        "num_examples",
        "num_elements",
    ] {
        assert!(
            train[2].get(key).is_some(),
            "train line lacks {key}: {train}"
        );
    }
    // `--eval test` wrote the per-utterance results and the breakdowns.
    let eval = dir.join("eval/test-step_12");
    assert!(eval.join("utterances.parquet").is_file());
    let report = fs_err::read_to_string(eval.join("report.json")).unwrap();
    assert!(
        report.contains("coral_normalized") && report.contains("dialect"),
        "{report}"
    );

    let again = run("runs-complete", &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already complete"),
        "{}",
        stdout(&again)
    );
    assert_eq!(self::record(&dir).attempts.len(), 1);
}

#[test]
fn the_danish_experiment_without_data_or_weights_says_how_to_get_them() {
    let empty = tempfile::tempdir().unwrap();
    let output = crate::support::trainer(&[])
        .args(["run", "experiments/danish.yaml"])
        .current_dir(repo())
        .env("HOME", empty.path())
        .env("DIALEKT_MODEL_CACHE", empty.path())
        .env_remove("XDG_CACHE_HOME")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("trainer data prepare --coral"), "{text}");
    assert!(text.contains("omniASR-CTC-300M.pt"), "{text}");
    assert!(text.contains("omniASR_tokenizer.model"), "{text}");
}
