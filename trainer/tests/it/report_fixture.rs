//! Synthetic run stores in the exact on-disk format, for the viewer's browser test and
//! its benchmark: runs with long curves, evaluations across CoRal's ten dialect labels,
//! and (on request) hostile strings in every place a user's text reaches the page.
//!
//! Everything is written through the same functions the trainer uses (the run store,
//! the metrics hash chain, `dialekt_trainer::eval::write_evaluation`), so a report built
//! from a fixture exercises the real reading code.
//!
//! The viewer's benchmark writes its store with the ignored test below:
//! `DIALEKT_FIXTURE_OUT=<dir> [DIALEKT_FIXTURE_RUNS=10 DIALEKT_FIXTURE_STEPS=20000
//! DIALEKT_FIXTURE_UTTERANCES=300] cargo test -p dialekt-trainer --test it
//! report_fixture::write_a_fixture_store -- --ignored`.

use std::collections::BTreeMap;
use std::path::Path;

use dialekt_core::ContentHash;
use dialekt_core::atomic::{write_atomic, write_json_atomic};
use dialekt_core::config::Experiment;
use dialekt_core::lineage::{
    Attempt, AttemptStatus, CodeVersion, Environment, RUN_RECORD_VERSION, Reproduction, RunId,
    RunRecord, Verdict,
};
use dialekt_core::manifest::{FileEntry, Manifest};
use dialekt_core::metrics::ChainHead;
use dialekt_core::store::{METRICS_FILE, METRICS_HEAD_FILE, NewRun, RunStore};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng as _, SeedableRng as _};

use dialekt_trainer::decoding::DecoderRecord;
use dialekt_trainer::eval::{EvaluatedCheckpoint, write_evaluation};
use dialekt_trainer::train::evaluate::{Evaluation, UtteranceResult};

/// What to generate.
#[derive(Debug, Clone)]
pub struct FixtureSpec {
    pub runs: usize,
    pub steps: u64,
    /// Dev validation every this many steps.
    pub validate_every: u64,
    /// Test utterances per run (0: no evaluation).
    pub utterances: usize,
    /// Script tags, quotes and right-to-left text in names, labels and transcripts.
    pub hostile: bool,
}

/// The experiment name of run 0 of a hostile fixture.
pub const HOSTILE_NAME: &str = "<script>window.__pwned=1</script> \"q\" 'a' & مرحبا";
/// A dialect label of a hostile fixture.
pub const HOSTILE_DIALECT: &str = "<img src=x onerror=\"window.__pwned=2\">";
/// A transcript of a hostile fixture.
pub const HOSTILE_TEXT: &str = "<b>fed</b> \"citat\" שלום <script>window.__pwned=3</script>";

/// CoRal's ten dialect labels.
pub const DIALECTS: [&str; 10] = [
    "Nordjysk",
    "Vestjysk",
    "Østjysk",
    "Sønderjysk",
    "Fynsk",
    "Sjællandsk",
    "Københavnsk",
    "Bornholmsk",
    "Non-native",
    "Sydømål",
];

const SENTENCES: [&str; 8] = [
    "jeg bor i en lille by på fyn",
    "det regner meget i dag",
    "vi skal spise rødgrød med fløde",
    "toget til aarhus er forsinket",
    "hun læser en bog om vikinger",
    "han cykler hver morgen til arbejde",
    "børnene leger i haven",
    "der er mange skibe i havnen",
];

/// Writes `spec.runs` runs into the store at `store`; returns their ids.
///
/// # Errors
/// Write errors.
pub fn write_store(store: &Path, spec: &FixtureSpec) -> anyhow::Result<Vec<RunId>> {
    let store = RunStore::new(store);
    (0..spec.runs).map(|r| write_run(&store, spec, r)).collect()
}

fn write_run(store: &RunStore, spec: &FixtureSpec, r: usize) -> anyhow::Result<RunId> {
    let mut experiment = Experiment {
        seed: r as u64,
        ..Experiment::default()
    };
    experiment.regime.num_steps = spec.steps;
    // A real difference between runs for the compare view's config diff.
    experiment.optimizer.config.lr = 5e-5 * (1.0 + r as f64);
    let name = if spec.hostile && r == 0 {
        HOSTILE_NAME.to_owned()
    } else {
        format!("danish-lr{}", r + 1)
    };
    experiment.name = Some(name.clone());
    let manifest = manifest(r);
    let record = record(&experiment, &manifest, &name, r);
    let (run, _) = store.create(&NewRun {
        record: &record,
        experiment: &experiment,
        manifest: &manifest,
        patch: b"",
    })?;
    write_metrics(
        &run.file(METRICS_FILE),
        &run.file(METRICS_HEAD_FILE),
        spec,
        r,
    )?;
    if spec.utterances > 0 {
        let evaluation = evaluation(spec, r);
        write_evaluation(
            &run,
            &EvaluatedCheckpoint {
                split: "test",
                step: spec.steps,
                sha256: &ContentHash::of_bytes(format!("checkpoint {r}").as_bytes()).to_string(),
                decoder: &DecoderRecord::Greedy,
            },
            &evaluation,
            200,
        )?;
    }
    Ok(run.id)
}

fn manifest(r: usize) -> Manifest {
    let part = |split: &str, rows: u64| FileEntry {
        path: format!("version=0/corpus=coral/split={split}/language=dan_Latn/part-0.parquet"),
        size: rows * 40_000,
        sha256: ContentHash::of_bytes(format!("{split} {rows} {}", r % 2).as_bytes()),
        parquet_rows: Some(rows),
    };
    Manifest::from_entries(vec![
        part("train", 5_000),
        part("dev", 400),
        part("test", 600),
    ])
}

fn record(experiment: &Experiment, manifest: &Manifest, name: &str, r: usize) -> RunRecord {
    let code = CodeVersion {
        commit: Some(
            ContentHash::of_bytes(format!("commit {r}").as_bytes()).to_hex()[..40].to_owned(),
        ),
        dirty: r % 3 == 2,
        patch_sha256: None,
    };
    let environment = Environment {
        rustc: "rustc 1.95.0".into(),
        target: "x86_64-unknown-linux-gnu".into(),
        cargo_lock_sha256: ContentHash::of_bytes(b"Cargo.lock"),
        backend: "tch".into(),
        backend_version: "libtorch 2.9.0".into(),
        world_size: 1,
        cpu_model: "fixture cpu".into(),
        gpu_model: None,
        threads: 2,
        os: "linux".into(),
    };
    let run_id = RunId::derive(
        &experiment.content_hash(),
        &manifest.root,
        &code.content_hash(),
        &environment.lock_hash(),
        experiment.seed,
    );
    let started_at = format!("2026-11-{:02}T{:02}:00:00Z", 1 + r % 28, r % 24);
    let reproductions = if r == 0 {
        vec![Reproduction {
            at: "2026-11-24T12:00:00Z".into(),
            scratch: "runs/.reproductions/fixture-1".into(),
            steps: Some(20),
            from_checkpoint: None,
            lines_compared: 21,
            verdict: Verdict::BitIdentical,
            allowed_differences: Vec::new(),
            rebuilt_code: None,
            environment: environment.clone(),
        }]
    } else {
        Vec::new()
    };
    RunRecord {
        version: RUN_RECORD_VERSION,
        run_id,
        experiment: name.to_owned(),
        config_sha256: experiment.content_hash(),
        config_sources: Vec::new(),
        overrides: Vec::new(),
        data_root: manifest.root,
        code,
        environment_lock_sha256: environment.lock_hash(),
        seed: experiment.seed,
        parent_run: None,
        parent_checkpoint_sha256: None,
        attempts: vec![Attempt {
            number: 1,
            started_at,
            ended_at: Some("2026-11-24T13:00:00Z".into()),
            status: AttemptStatus::Completed,
            environment,
            job: None,
            note: None,
        }],
        reproductions,
    }
}

/// Train lines every step (loss, lr, grad norm, batch size and timing) and dev lines
/// every `validate_every` steps (loss, WER, UER, WER per dialect), through the hash chain.
fn write_metrics(log: &Path, head_file: &Path, spec: &FixtureSpec, r: usize) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(r as u64);
    let mut head = ChainHead::default();
    let mut text = String::new();
    let speed = 1.0 + 0.3 * r as f64;
    for step in 1..=spec.steps {
        let progress = step as f64 / spec.steps.max(1) as f64;
        let noise = f64::from(rng.next_u32()) / f64::from(u32::MAX) - 0.5;
        let loss = 200.0 * (-4.0 * progress * speed).exp() + 5.0 + 3.0 * noise;
        let values = BTreeMap::from([
            ("ctc_loss".to_owned(), loss),
            (
                "lr".to_owned(),
                5e-5 * (1.0 + r as f64) * (1.0 - progress).max(0.05),
            ),
            (
                "grad_norm".to_owned(),
                2.0 + noise + 8.0 * (-10.0 * progress).exp(),
            ),
            ("num_examples".to_owned(), 8.0 + (step % 5) as f64),
        ]);
        let timing = BTreeMap::from([
            ("elapsed_s".to_owned(), step as f64 * 0.35),
            ("audio_secs_per_s".to_owned(), 80.0 + 10.0 * noise),
        ]);
        let (_, line) = head.append(step, "train", values, timing);
        text.push_str(&line);
        text.push('\n');
        if step % spec.validate_every.max(1) == 0 {
            let wer = 100.0 * (-3.0 * progress * speed).exp() + 15.0;
            let mut values = BTreeMap::from([
                ("ctc_loss".to_owned(), loss * 1.1),
                ("wer".to_owned(), wer),
                ("uer".to_owned(), wer * 0.45),
            ]);
            for (d, dialect) in DIALECTS.iter().enumerate() {
                values.insert(format!("wer/dialect={dialect}"), wer + d as f64);
            }
            let timing = BTreeMap::from([("elapsed_s".to_owned(), step as f64 * 0.35)]);
            let (_, line) = head.append(step, "valid", values, timing);
            text.push_str(&line);
            text.push('\n');
        }
    }
    write_atomic(log, text.as_bytes())?;
    write_json_atomic(head_file, &head)?;
    Ok(())
}

/// `spec.utterances` test utterances across the dialects, ten speakers, with run `r`'s
/// hypotheses dropping or changing words at a run-specific rate.
fn evaluation(spec: &FixtureSpec, r: usize) -> Evaluation {
    let mut rng = ChaCha8Rng::seed_from_u64(1_000 + r as u64);
    let error_rate = 0.08 + 0.06 * r as f64;
    let utterances = (0..spec.utterances)
        .map(|u| {
            let dialect = if spec.hostile && u % 10 == 9 {
                HOSTILE_DIALECT
            } else {
                DIALECTS[u % DIALECTS.len()]
            };
            let text = if spec.hostile && u == 0 {
                HOSTILE_TEXT.to_owned()
            } else {
                SENTENCES[u % SENTENCES.len()].to_owned()
            };
            // Dialects further down the list are harder, so bars differ.
            let rate = error_rate * (1.0 + (u % DIALECTS.len()) as f64 / 5.0);
            let hypothesis: Vec<String> = text
                .split_whitespace()
                .filter_map(|word| {
                    let draw = f64::from(rng.next_u32()) / f64::from(u32::MAX);
                    if draw < rate / 2.0 {
                        None
                    } else if draw < rate {
                        Some(format!("{word}e"))
                    } else {
                        Some(word.to_owned())
                    }
                })
                .collect();
            UtteranceResult {
                reference: text.clone(),
                hypothesis: hypothesis.join(" "),
                stored_text: text,
                reference_ids: Vec::new(),
                hypothesis_ids: Vec::new(),
                source: format!("utt-{u:05}"),
                speaker: Some(format!("spk-{}", u % 23)),
                dialect_group: dialect.to_owned(),
                age: Some(20 + (u % 6) as i64 * 10),
                gender: Some(if u % 2 == 0 { "female" } else { "male" }.to_owned()),
            }
        })
        .collect();
    Evaluation {
        loss_sum: 0.0,
        utterances,
    }
}

/// Writes the store `bench/viewer/run.sh` times the viewer on (see the module's doc).
#[test]
#[ignore = "writes a fixture store for bench/viewer/run.sh"]
fn write_a_fixture_store() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let out = std::env::var_os("DIALEKT_FIXTURE_OUT").expect("set DIALEKT_FIXTURE_OUT");
    let spec = FixtureSpec {
        runs: usize::try_from(var("DIALEKT_FIXTURE_RUNS", 10)).unwrap(),
        steps: var("DIALEKT_FIXTURE_STEPS", 20_000),
        validate_every: var("DIALEKT_FIXTURE_VALIDATE_EVERY", 100),
        utterances: usize::try_from(var("DIALEKT_FIXTURE_UTTERANCES", 300)).unwrap(),
        hostile: false,
    };
    let ids = write_store(Path::new(&out), &spec).unwrap();
    assert_eq!(ids.len(), spec.runs);
}
