//! Decoding with an n-gram LM through the binary: `trainer lm build` on a prepared split,
//! `trainer eval --decoder beam --lm` beside the greedy evaluation of the same checkpoint
//! (both recorded, by decoder), `trainer lm tune`, `trainer decode` on stored logits, and
//! the bad inputs each names.

use dialekt_text::tokenizer::Tokenizer;

use super::*;
use crate::support::text;

/// Peaked log-probabilities spelling `sentence` with the demo tokenizer: each piece on one
/// frame, a blank frame after each (so repeated letters survive CTC's collapse).
fn spelled_logits(tokenizer: &Tokenizer, sentence: &str) -> (Vec<usize>, Vec<f32>) {
    let vocab = tokenizer.vocab_size();
    let mut data = Vec::new();
    let mut frames = 0;
    for id in tokenizer.encode(sentence) {
        for peak in [id as usize, 0] {
            data.extend((0..vocab).map(|v| if v == peak { 0.0 } else { -12.0 }));
            frames += 1;
        }
    }
    (vec![frames, vocab], data)
}

#[test]
fn decode_reads_stored_logits_greedy_and_beam_alike_and_names_bad_flags() {
    let work = tempfile::tempdir().unwrap();
    let model = project().join("demo_char.model");
    let tokenizer = Tokenizer::from_file(&model).unwrap();
    let logits = work.path().join("logits");
    fs_err::create_dir_all(&logits).unwrap();
    for (name, sentence) in [("a", "hej med dig"), ("b", "god morgen")] {
        let (shape, data) = spelled_logits(&tokenizer, sentence);
        dialekt_model::npy::write_f32(&logits.join(format!("{name}.npy")), &shape, &data).unwrap();
    }
    let decode = |extra: &[&str]| {
        let mut args = vec![
            "decode",
            "--logits",
            logits.to_str().unwrap(),
            "--tokenizer",
            model.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        command(&args).output().unwrap()
    };
    let expected = "a\thej med dig\nb\tgod morgen\n";
    for flags in [&[][..], &["--decoder", "greedy"], &["--beam", "4"]] {
        let out = decode(flags);
        assert!(out.status.success(), "{flags:?}: {}", text(&out));
        assert_eq!(stdout(&out), expected, "{flags:?}");
    }

    for (flags, names) in [
        (&["--beam", "0"][..], "--beam 0"),
        (&["--alpha", "0.5"], "--alpha weighs a language model"),
        (
            &["--decoder", "greedy", "--beam", "8"],
            "--beam needs --decoder beam",
        ),
        (&["--beam-prune-logp", "2"], "--beam-prune-logp 2"),
    ] {
        let out = decode(flags);
        assert!(!out.status.success(), "{flags:?} was accepted");
        assert!(text(&out).contains(names), "{flags:?}: {}", text(&out));
    }

    // An LM none of whose words the tokenizer can spell would fuse nothing.
    let greek = work.path().join("greek.arpa");
    fs_err::write(
        &greek,
        "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t<unk>\n0\t<s>\n-0.5\t</s>\n-0.5\tαβγ\n\n\\end\\\n",
    )
    .unwrap();
    let out = decode(&["--lm", greek.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("greek.arpa"), "{}", text(&out));

    // A malformed ARPA names its line.
    let broken = work.path().join("broken.arpa");
    fs_err::write(
        &broken,
        "\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\t<unk>\nnot-a-number\thej\n\n\\end\\\n",
    )
    .unwrap();
    let out = decode(&["--lm", broken.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("broken.arpa") && text(&out).contains("line 6"),
        "{}",
        text(&out)
    );

    let missing = work.path().join("none.npy");
    let out = command(&[
        "decode",
        "--logits",
        missing.to_str().unwrap(),
        "--tokenizer",
        model.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("none.npy"), "{}", text(&out));
}

#[test]
fn an_lm_built_from_the_train_split_decodes_beside_greedy_and_is_tuned_on_dev() {
    let trained = run("runs-decoding", &[]);
    assert!(trained.status.success(), "{}", text(&trained));
    let dir = run_dir("runs-decoding");
    let id = dir.file_name().unwrap().to_string_lossy()[..12].to_owned();

    let built = command(&[
        "lm",
        "build",
        "--data",
        "data",
        "--split",
        "train",
        "--discount-fallback",
        "--out",
        "decoding-lm.arpa",
    ])
    .output()
    .unwrap();
    assert!(built.status.success(), "{}", text(&built));
    assert!(stdout(&built).contains("3-grams"), "{}", stdout(&built));
    let arpa = fs_err::read_to_string(project().join("decoding-lm.arpa")).unwrap();
    assert!(arpa.starts_with("\\data\\\nngram 1="), "{arpa}");
    assert!(arpa.contains("\\3-grams:"), "{arpa}");

    let eval = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            &id,
            "--store",
            "runs-decoding",
            "--split",
            "test",
            "--checkpoint",
            "last",
            "--bootstrap",
            "50",
        ];
        args.extend_from_slice(extra);
        let out = command(&args).output().unwrap();
        assert!(out.status.success(), "{extra:?}: {}", text(&out));
        stdout(&out)
    };
    eval(&[]);
    let printed = eval(&[
        "--decoder",
        "beam",
        "--lm",
        "decoding-lm.arpa",
        "--alpha",
        "0.5",
        "--beta",
        "1.5",
        "--beam",
        "16",
    ]);
    assert!(printed.contains("3-gram LM"), "{printed}");

    // Both evaluations of the checkpoint, side by side, each naming its decoder.
    let mut evaluations: Vec<String> = fs_err::read_dir(dir.join("eval"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("test-"))
        .collect();
    evaluations.sort();
    assert_eq!(evaluations.len(), 2, "{evaluations:?}");
    assert_eq!(evaluations[0], "test-step_12");
    assert!(
        evaluations[1].starts_with("test-step_12-beam16-lm")
            && evaluations[1].ends_with("-a0.5-b1.5"),
        "{evaluations:?}"
    );
    let report = |name: &str| -> serde_json::Value {
        let json = fs_err::read_to_string(dir.join("eval").join(name).join("report.json")).unwrap();
        serde_json::from_str(&json).unwrap()
    };
    assert_eq!(report(&evaluations[0])["decoder"]["kind"], "greedy");
    let beam = report(&evaluations[1]);
    assert_eq!(beam["decoder"]["kind"], "beam", "{beam}");
    assert_eq!(beam["decoder"]["beam_width"], 16);
    let lm = &beam["decoder"]["lm"];
    assert_eq!(lm["order"], 3);
    assert_eq!(
        lm["sha256"].as_str().unwrap(),
        ContentHash::of_file(&project().join("decoding-lm.arpa"))
            .unwrap()
            .to_string()
    );

    // The report pairs the LM evaluation with the greedy one of its checkpoint.
    let reports = dialekt_trainer::report::evaluation::read_all(&dir).unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].decoder, "greedy");
    assert!(reports[0].versus_greedy.is_none());
    assert!(
        reports[1].decoder.contains("3-gram LM"),
        "{}",
        reports[1].decoder
    );
    let deltas = reports[1].versus_greedy.as_ref().unwrap();
    let overall = &deltas[0];
    assert_eq!(overall.category, "overall");
    let greedy_wer = reports[0].groups[0].wer.estimate;
    let beam_wer = reports[1].groups[0].wer.estimate;
    assert!(
        (overall.a_wer - greedy_wer).abs() < 1e-9,
        "{overall:?} vs {greedy_wer}"
    );
    assert!(
        (overall.delta - (beam_wer - greedy_wer)).abs() < 1e-9,
        "{overall:?} vs greedy {greedy_wer}, beam {beam_wer}: {:?}",
        reports[1].groups[0]
    );
    assert!(deltas.iter().any(|d| d.category == "dialect"), "{deltas:?}");

    let tuned = command(&[
        "lm",
        "tune",
        &id,
        "--store",
        "runs-decoding",
        "--lm",
        "decoding-lm.arpa",
        "--checkpoint",
        "last",
        "--alphas",
        "0,0.5",
        "--betas",
        "0,1.5",
        "--beam",
        "8",
    ])
    .output()
    .unwrap();
    assert!(tuned.status.success(), "{}", text(&tuned));
    let printed = stdout(&tuned);
    assert_eq!(printed.matches("WER").count(), 4 + 1, "{printed}");
    let written = fs_err::read_dir(dir.join("eval"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("lm-tune-dev-")
        })
        .unwrap();
    let grid: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(grid["grid"].as_array().unwrap().len(), 4, "{grid}");
}
