//! The experiment config against the seed document's YAML, and hash invariance.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use dialekt_core::config::{Dtype, Experiment, Override, StorageMode, resolve_file};
use dialekt_core::error::{Error, Origin};
use proptest::prelude::*;
use proptest::test_runner::TestRng;

const SEED_DANISH: &str = include_str!("../fixtures/seed-ctc-finetune-danish.yaml");
const SEED_UPSTREAM: &str = include_str!("../fixtures/seed-ctc-finetune-upstream.yaml");

fn resolve_text(text: &str, overrides: &[&str]) -> Result<Experiment, Error> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("experiment.yaml");
    dialekt_core::atomic::write_atomic(&path, text.as_bytes()).unwrap();
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    resolve_file(&path, &overrides, dir.path()).map(|r| r.experiment)
}

#[test]
fn the_seed_adapted_config_parses_verbatim() {
    let e = resolve_text(SEED_DANISH, &[]).unwrap();
    assert_eq!(e.model.name.as_deref(), Some("omniASR_CTC_300M"));
    assert_eq!(e.dataset.name.as_deref(), Some("coral_v2_danish"));
    assert_eq!(e.dataset.storage_mode, StorageMode::MixtureParquet);
    let task = &e.dataset.asr_task_config;
    assert_eq!(
        (
            task.min_audio_len,
            task.max_audio_len,
            task.max_num_elements
        ),
        (32_000, 480_000, 3_840_000)
    );
    assert_eq!(
        (task.batch_shuffle_window, task.example_shuffle_window),
        (1, 1)
    );
    assert!(task.normalize_audio);
    let mix = &e.dataset.mixture_parquet_storage_config;
    assert_eq!(
        mix.dataset_summary_path.as_deref(),
        Some("data/parquet/language_distribution_0.tsv")
    );
    assert_eq!((mix.beta_corpus, mix.beta_language), (Some(0.5), Some(0.5)));
    assert!(mix.fragment_loading.cache);
    assert_eq!(e.tokenizer.name, "omniASR_tokenizer_v1");
    assert!((e.optimizer.config.lr - 1e-5).abs() < 1e-20);
    assert_eq!(e.trainer.freeze_encoder_for_n_steps, 0);
    assert_eq!(e.trainer.mixed_precision.dtype, Dtype::BFloat16);
    assert_eq!(e.trainer.grad_accumulation.num_batches, 8);
    assert_eq!(e.regime.num_steps, 5_000);
    assert_eq!(e.regime.validate_every_n_steps, 500);
    assert_eq!(e.regime.publish_metrics_every_n_steps, 100);
    // Upstream defaults that the YAML leaves alone are materialised.
    assert_eq!(e.optimizer.config.betas, [0.9, 0.98]);
    assert_eq!(e.lr_scheduler.config.stage_ratio, [0.1, 0.4, 0.5]);
    assert_eq!(e.seed, 2);
    assert_eq!(e.regime.checkpoint_every_n_steps, 500);
}

#[test]
fn the_seed_upstream_config_parses_verbatim() {
    let e = resolve_text(SEED_UPSTREAM, &[]).unwrap();
    assert_eq!(e.dataset.asr_task_config.max_num_elements, 960_000);
    assert!((e.optimizer.config.lr - 5e-5).abs() < 1e-20);
    assert_eq!(e.regime.num_steps, 20_000);
}

#[test]
fn a_typo_names_file_line_column_and_the_closest_key() {
    let typo = SEED_DANISH.replace("    max_num_elements:", "    max_num_elemnts:");
    let err = resolve_text(&typo, &[]).unwrap_err();
    match err {
        Error::UnknownKey {
            origin: Origin::File { path, line, column },
            section,
            key,
            suggestion,
        } => {
            assert!(path.ends_with("experiment.yaml"));
            let expected_line = typo
                .lines()
                .position(|l| l.contains("max_num_elemnts"))
                .unwrap()
                + 1;
            assert_eq!((line, column), (expected_line, 5));
            assert_eq!(section, "dataset.asr_task_config");
            assert_eq!(key, "max_num_elemnts");
            assert_eq!(suggestion.as_deref(), Some("max_num_elements"));
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn overrides_apply_after_files_and_change_the_hash() {
    let base = resolve_text(SEED_DANISH, &[]).unwrap();
    let tuned = resolve_text(
        SEED_DANISH,
        &["optimizer.config.lr=5e-6", "regime.num_steps=3_000"],
    )
    .unwrap();
    assert!((tuned.optimizer.config.lr - 5e-6).abs() < 1e-20);
    assert_eq!(tuned.regime.num_steps, 3_000);
    assert_ne!(base.content_hash(), tuned.content_hash());
    // Labels are not part of what a run computes.
    let renamed = resolve_text(
        SEED_DANISH,
        &["name=other", "description=hello", "output=elsewhere"],
    )
    .unwrap();
    assert_eq!(base.content_hash(), renamed.content_hash());
}

#[test]
fn semantic_problems_are_all_listed_with_the_file() {
    let err = resolve_text(
        "regime:\n  num_steps: 0\noptimizer:\n  config:\n    lr: -1\n",
        &[],
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("experiment.yaml: invalid experiment"),
        "{text}"
    );
    assert!(text.contains("regime.num_steps"), "{text}");
    assert!(text.contains("optimizer.config.lr"), "{text}");
}

#[test]
fn fragments_compose_in_order_and_paths_become_project_relative() {
    let root = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        dialekt_core::atomic::write_atomic(&root.path().join(rel), text.as_bytes()).unwrap()
    };
    write(
        "configs/model/tiny.yaml",
        "model:\n  arch: tiny\n  path: ../../checkpoints/tiny.pt\n",
    );
    write(
        "configs/recipe/short.yaml",
        "regime:\n  num_steps: 10\n  validate_every_n_steps: 5\n  publish_metrics_every_n_steps: 5\n",
    );
    write(
        "experiments/demo.yaml",
        "include:\n  - ../configs/model/tiny.yaml\n  - ../configs/recipe/short.yaml\nregime:\n  num_steps: 20\ndataset:\n  path: ../data/demo\n  asr_task_config:\n    example_shuffle_window: 1\n",
    );
    let resolved =
        resolve_file(&root.path().join("experiments/demo.yaml"), &[], root.path()).unwrap();
    let e = &resolved.experiment;
    assert_eq!(e.model.arch.as_deref(), Some("tiny"));
    assert_eq!(e.model.path.as_deref(), Some("checkpoints/tiny.pt"));
    assert_eq!(e.dataset.path.as_deref(), Some("data/demo"));
    assert_eq!(e.regime.num_steps, 20, "the including file wins");
    assert_eq!(e.regime.validate_every_n_steps, 5);
    assert_eq!(
        e.include,
        ["configs/model/tiny.yaml", "configs/recipe/short.yaml"]
    );
    let sources: Vec<&str> = resolved.sources.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        sources,
        [
            "configs/model/tiny.yaml",
            "configs/recipe/short.yaml",
            "experiments/demo.yaml"
        ]
    );
}

#[test]
fn include_cycles_are_reported() {
    let root = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        dialekt_core::atomic::write_atomic(&root.path().join(rel), text.as_bytes()).unwrap()
    };
    write("a.yaml", "include: [b.yaml]\n");
    write("b.yaml", "include: [a.yaml]\n");
    let err = resolve_file(&root.path().join("a.yaml"), &[], root.path()).unwrap_err();
    assert!(matches!(err, Error::IncludeCycle { .. }), "{err}");
}

#[test]
fn a_missing_include_names_the_file() {
    let root = tempfile::tempdir().unwrap();
    dialekt_core::atomic::write_atomic(&root.path().join("a.yaml"), b"include: [nope.yaml]\n")
        .unwrap();
    let err = resolve_file(&root.path().join("a.yaml"), &[], root.path()).unwrap_err();
    assert!(err.to_string().contains("nope.yaml"), "{err}");
}

// ---- hash invariance -------------------------------------------------------------

/// A YAML emitter with random key order, indentation, comments, blank lines and
/// number spellings: every output means the same experiment.
fn emit(value: &serde_json::Value, indent: usize, rng: &mut TestRng, out: &mut String) {
    let pad = " ".repeat(indent);
    let serde_json::Value::Object(map) = value else {
        unreachable!()
    };
    let mut entries: Vec<_> = map.iter().collect();
    // Fisher–Yates with the proptest RNG.
    for i in (1..entries.len()).rev() {
        let j = rng.random_range(0..=i);
        entries.swap(i, j);
    }
    for (key, item) in entries {
        if rng.random_bool(0.2) {
            out.push_str(&format!("{pad}# a comment about {key}\n"));
        }
        if rng.random_bool(0.1) {
            out.push('\n');
        }
        match item {
            serde_json::Value::Object(inner) if !inner.is_empty() => {
                out.push_str(&format!(
                    "{pad}{key}:{}\n",
                    if rng.random_bool(0.2) {
                        "   # section"
                    } else {
                        ""
                    }
                ));
                let step = if rng.random_bool(0.5) { 2 } else { 4 };
                emit(item, indent + step, rng, out);
            }
            scalar => out.push_str(&format!("{pad}{key}: {}\n", spell(scalar, rng))),
        }
    }
}

fn spell(value: &serde_json::Value, rng: &mut TestRng) -> String {
    match value {
        serde_json::Value::Number(n) if n.is_u64() => {
            let digits = n.to_string();
            if digits.len() > 3 && rng.random_bool(0.5) {
                // 960000 → 960_000
                let mut grouped = String::new();
                for (i, c) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 {
                        grouped.push('_');
                    }
                    grouped.push(c);
                }
                grouped
            } else {
                digits
            }
        }
        serde_json::Value::Number(n) => {
            let x = n.as_f64().unwrap();
            match rng.random_range(0..3) {
                0 => format!("{x:e}"),
                1 => format!("{x:E}"),
                _ => format!("{x}"),
            }
        }
        serde_json::Value::String(s) if rng.random_bool(0.5) => format!("\"{s}\""),
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| spell(i, rng)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string().trim_matches('"').to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn hash_ignores_key_order_comments_whitespace_and_number_spelling(seed in any::<u64>()) {
        let reference = resolve_text(SEED_DANISH, &[]).unwrap();
        let mut value = reference.hashed_value();
        // Drop nulls: an absent key and an explicit null mean the same.
        strip_nulls(&mut value);
        let mut rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed));
        let mut text = String::new();
        emit(&value, 0, &mut rng, &mut text);
        let reparsed = resolve_text(&text, &[]).unwrap();
        prop_assert_eq!(reparsed.content_hash(), reference.content_hash(), "{}", text);
    }

    #[test]
    fn different_learning_rates_hash_differently(a in 1u32..100_000, b in 1u32..100_000) {
        prop_assume!(a != b);
        let ha = resolve_text(SEED_DANISH, &[&format!("optimizer.config.lr={a}e-9")]).unwrap().content_hash();
        let hb = resolve_text(SEED_DANISH, &[&format!("optimizer.config.lr={b}e-9")]).unwrap().content_hash();
        prop_assert_ne!(ha, hb);
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}

fn strip_nulls(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

#[test]
fn spelled_numbers_really_vary() {
    // Guard against the property test silently emitting one spelling only.
    let mut rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(1));
    let spellings: std::collections::BTreeSet<String> = (0..50)
        .map(|_| spell(&serde_json::json!(0.00001), &mut rng))
        .collect();
    assert!(spellings.len() >= 2, "{spellings:?}");
}

#[test]
fn experiments_danish_is_the_seed_adapted_config() {
    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ours = resolve_file(&project.join("experiments/danish.yaml"), &[], &project).unwrap();
    // The seed block, as if it sat at the project root, with the dataset location added.
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    dialekt_core::atomic::write_atomic(&seed, SEED_DANISH.as_bytes()).unwrap();
    let overrides = [Override::parse("dataset.path=data/parquet").unwrap()];
    let reference = resolve_file(&seed, &overrides, dir.path()).unwrap();
    assert_eq!(
        ours.experiment.hashed_value(),
        reference.experiment.hashed_value()
    );
    assert_eq!(
        ours.experiment.content_hash(),
        reference.experiment.content_hash()
    );
}
