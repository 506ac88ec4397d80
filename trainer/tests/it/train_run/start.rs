//! Fine-tuning from a pretrained checkpoint and scoring the starting point: a run whose
//! `model.path` is an earlier run's checkpoint, `trainer eval --checkpoint start` (the
//! zero-shot evaluation, stored as step 0), the report's pairing of the trained checkpoint
//! with it, and `trainer model export` of a dialekt checkpoint to fairseq2's layout.

use super::*;
use crate::support::text;

#[test]
fn a_fine_tuned_run_is_scored_against_its_starting_weights() {
    // The "pretrained" model: a short scratch run (it has no starting model of its own).
    let out = run("runs-start-base", &["--set", "regime.num_steps=6"]);
    assert!(out.status.success(), "{}", text(&out));
    let base = run_dir("runs-start-base");
    let base_id = base.file_name().unwrap().to_string_lossy()[..12].to_owned();
    let eval = |store: &str, id: &str, extra: &[&str]| {
        let mut args = vec![
            "eval",
            id,
            "--store",
            store,
            "--split",
            "dev",
            "--bootstrap",
            "50",
        ];
        args.extend_from_slice(extra);
        command(&args).output().unwrap()
    };
    let scratch = eval("runs-start-base", &base_id, &["--checkpoint", "start"]);
    assert!(!scratch.status.success());
    assert!(
        text(&scratch).contains("random initialisation (seed 7)"),
        "{}",
        text(&scratch)
    );

    // Exported to the released layout, then fine-tuned from that file.
    let exported = project().join("start-base.pt");
    let checkpoint = base.join("checkpoints/step_6");
    let out = command(&[
        "model",
        "export",
        checkpoint.to_str().unwrap(),
        exported.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let path = format!("model.path={}", exported.display());
    let out = run(
        "runs-start",
        &[
            "--set",
            &path,
            "--set",
            "trainer.freeze_feature_extractor=true",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let dir = run_dir("runs-start");
    let id = dir.file_name().unwrap().to_string_lossy()[..12].to_owned();

    // The start is the exported model: the same weights as the base run's checkpoint, so
    // its zero-shot dev scores are the base run's at step 6.
    let out = eval("runs-start", &id, &["--checkpoint", "start"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("start step 0"), "{}", text(&out));
    let out = eval("runs-start-base", &base_id, &["--checkpoint", "step_6"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = eval("runs-start", &id, &["--checkpoint", "last"]);
    assert!(out.status.success(), "{}", text(&out));
    let start = dialekt_trainer::report::evaluation::read_all(&dir).unwrap();
    let base_scores = dialekt_trainer::report::evaluation::read_all(&base).unwrap();
    assert_eq!(start[0].checkpoint_step, 0);
    let estimates =
        |groups: &[dialekt_core::report::GroupScore]| -> Vec<(String, usize, f64, f64)> {
            groups
                .iter()
                .map(|g| {
                    (
                        g.label.clone(),
                        g.utterances,
                        g.wer.estimate,
                        g.cer.estimate,
                    )
                })
                .collect()
        };
    assert_eq!(
        estimates(&start[0].groups),
        estimates(&base_scores[0].groups),
        "zero-shot != the base model's"
    );
    assert!(start[0].versus_start.is_none());

    // The trained checkpoint is paired with the start, overall first, then per dialect.
    assert_eq!(start[1].checkpoint_step, 12);
    let deltas = start[1].versus_start.as_ref().unwrap();
    assert_eq!(deltas[0].category, "overall");
    let (zero_shot, trained) = (
        start[0].groups[0].wer.estimate,
        start[1].groups[0].wer.estimate,
    );
    assert!(
        (deltas[0].a_wer - zero_shot).abs() < 1e-9,
        "{:?}",
        deltas[0]
    );
    assert!(
        (deltas[0].delta - (trained - zero_shot)).abs() < 1e-9,
        "{:?}",
        deltas[0]
    );
    assert!(deltas.iter().any(|d| d.category == "dialect"), "{deltas:?}");

    // A starting file changed after the run started is named, not silently scored.
    let original = fs_err::read(&exported).unwrap();
    let mut changed = original.clone();
    let last = changed.len() - 20;
    changed[last] ^= 1;
    fs_err::write(&exported, &changed).unwrap();
    let out = eval("runs-start", &id, &["--checkpoint", "start"]);
    fs_err::write(&exported, &original).unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("changed since it started"),
        "{}",
        text(&out)
    );
}
