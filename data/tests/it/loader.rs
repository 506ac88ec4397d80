//! The loader: deterministic for a seed, resumable from a serialised state, and
//! producing `normalize_audio`-ed, zero-padded batches.

// Helpers outside #[test] fns unwrap too: a failed setup should fail the test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use crate::common::mini_coral;
use dialekt_data::prepare::{PrepareOptions, prepare};
use dialekt_data::{
    Batch, DatasetIndex, Loader, LoaderConfig, PlanConfig, ReaderState, Shard, Slot,
};

/// Small buckets so the 23 demo utterances (2–6 s) form several batches.
fn config(seed: u64) -> LoaderConfig {
    LoaderConfig {
        plan: PlanConfig {
            min_audio_len: 16_000,
            max_audio_len: 160_000,
            max_num_elements: 320_000,
            min_samples_per_char: 160,
            example_shuffle_window: 8,
            batch_shuffle_window: 3,
            shuffle_row_groups: true,
            beta_corpus: 1.0,
            beta_language: 1.0,
        },
        seed,
        epochs: Some(3),
        normalize_audio: true,
        prefetch_batches: 2,
    }
}

fn prepared_demo() -> (tempfile::TempDir, Arc<DatasetIndex>) {
    let out = tempfile::tempdir().unwrap();
    let options = PrepareOptions {
        coral_root: mini_coral(),
        out_root: out.path().to_path_buf(),
        subsets: vec![],
        splits: vec!["train".into()],
        max_rows: None,
        corpus_prefix: "coral".into(),
    };
    prepare(&options, &()).unwrap();
    let index = Arc::new(DatasetIndex::open(out.path(), "train").unwrap());
    (out, index)
}

fn drain(loader: &mut Loader) -> Vec<Batch> {
    std::iter::from_fn(|| loader.next_batch())
        .map(Result::unwrap)
        .collect()
}

fn sources(batches: &[Batch]) -> Vec<Vec<String>> {
    batches.iter().map(|b| b.sources.clone()).collect()
}

#[test]
fn same_seed_same_batches_other_seed_other_order() {
    let (_dir, index) = prepared_demo();
    let a = drain(&mut Loader::new(Arc::clone(&index), config(7)).unwrap());
    let b = drain(&mut Loader::new(Arc::clone(&index), config(7)).unwrap());
    assert_eq!(a, b);
    let c = drain(&mut Loader::new(Arc::clone(&index), config(8)).unwrap());
    assert_ne!(sources(&a), sources(&c));
    // Epochs differ from each other too.
    let epoch = |batches: &[Batch], e| {
        sources(
            &batches
                .iter()
                .filter(|b| b.epoch == e)
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    assert_ne!(epoch(&a, 0), epoch(&a, 1));
}

#[test]
fn every_epoch_yields_each_kept_utterance_once() {
    let (_dir, index) = prepared_demo();
    let cfg = config(3);
    let batches = drain(&mut Loader::new(Arc::clone(&index), cfg.clone()).unwrap());
    let kept = index
        .utterances
        .iter()
        .filter(|u| {
            (16_000..=160_000).contains(&u.audio_size)
                && u.audio_size / u64::from(u.text_chars) >= 160
        })
        .count();
    assert!(kept >= 10, "only {kept} demo utterances pass the filters");
    for epoch in 0..3 {
        let mut seen: Vec<String> = batches
            .iter()
            .filter(|b| b.epoch == epoch)
            .flat_map(|b| b.sources.clone())
            .collect();
        seen.sort();
        let len = seen.len();
        seen.dedup();
        assert_eq!((len, seen.len()), (kept, kept), "epoch {epoch}");
    }
    for batch in &batches {
        assert!(batch.len() * batch.max_len <= cfg.plan.max_num_elements);
    }
}

#[test]
fn a_restored_state_continues_with_the_exact_same_batches() {
    let (_dir, index) = prepared_demo();
    let uninterrupted = drain(&mut Loader::new(Arc::clone(&index), config(11)).unwrap());
    for stop_after in [1, 5, uninterrupted.len() / 2 + 1] {
        let mut first = Loader::new(Arc::clone(&index), config(11)).unwrap();
        let head: Vec<Batch> = (0..stop_after)
            .map(|_| first.next_batch().unwrap().unwrap())
            .collect();
        // The state goes through JSON, as it would through a checkpoint.
        let saved = serde_json::to_string(first.state()).unwrap();
        drop(first);
        let mut resumed = Loader::new(Arc::clone(&index), config(11)).unwrap();
        resumed
            .restore(serde_json::from_str::<ReaderState>(&saved).unwrap())
            .unwrap();
        let tail = drain(&mut resumed);
        let mut all = head;
        all.extend(tail);
        assert_eq!(
            sources(&all),
            sources(&uninterrupted),
            "stopped after {stop_after}"
        );
        assert_eq!(all, uninterrupted);
    }
}

#[test]
fn a_state_from_other_data_or_settings_is_refused() {
    let (_dir, index) = prepared_demo();
    let loader = Loader::new(Arc::clone(&index), config(1)).unwrap();
    let mut state = loader.state().clone();
    let mut other_seed = Loader::new(Arc::clone(&index), config(2)).unwrap();
    assert!(other_seed.restore(state.clone()).is_err());
    state.dataset_fingerprint = "0".repeat(64);
    let mut same = Loader::new(index, config(1)).unwrap();
    assert!(
        same.restore(state)
            .unwrap_err()
            .to_string()
            .contains("dataset fingerprint")
    );
}

#[test]
fn batches_are_normalised_and_zero_padded() {
    let (_dir, index) = prepared_demo();
    let batches = drain(&mut Loader::new(index, config(5)).unwrap());
    for batch in &batches {
        for i in 0..batch.len() {
            let x = batch.utterance(i);
            let n = x.len() as f64;
            let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = x
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            // Unit variance up to layer norm's eps: var / (var + 1e-5) for quiet utterances.
            assert!(
                mean.abs() < 1e-4 && var > 0.99 && var < 1.0 + 1e-4,
                "mean {mean} var {var}"
            );
            let padding =
                &batch.audio[i * batch.max_len + batch.lengths[i]..(i + 1) * batch.max_len];
            assert!(padding.iter().all(|&v| v == 0.0));
        }
        assert!(batch.texts.iter().all(|t| !t.is_empty()));
        assert!(batch.dialect_groups.iter().all(|g| !g.is_empty()));
    }
}

#[test]
fn evaluation_order_is_file_order_without_shuffles() {
    let (dir, _index) = prepared_demo();
    let index = Arc::new(DatasetIndex::open(Path::new(dir.path()), "train").unwrap());
    let mut cfg = config(0);
    cfg.plan = cfg.plan.for_evaluation();
    cfg.epochs = Some(1);
    let a = drain(&mut Loader::new(Arc::clone(&index), cfg.clone()).unwrap());
    cfg.seed = 99;
    let b = drain(&mut Loader::new(index, cfg).unwrap());
    assert_eq!(sources(&a), sources(&b));
}

/// The ranks of a gang, each decoding only its share, together see the one stream a
/// single process sees — every batch once, at the same position — and end in the same
/// reader state.
#[test]
fn ranks_split_the_stream_between_them_and_agree_on_the_state() {
    let (_dir, index) = prepared_demo();
    let whole = drain(&mut Loader::new(Arc::clone(&index), config(5)).unwrap());
    for world_size in [2, 3] {
        let mut seen: Vec<Option<Batch>> = (0..whole.len()).map(|_| None).collect();
        let mut states = Vec::new();
        for rank in 0..world_size {
            let mut loader = Loader::new(Arc::clone(&index), config(5))
                .unwrap()
                .sharded(Shard { rank, world_size });
            let mut position = 0;
            while let Some(slot) = loader.next_slot() {
                match slot.unwrap() {
                    Slot::Mine(batch) => {
                        assert_eq!(position % world_size, rank);
                        assert!(seen[position].replace(batch).is_none());
                    }
                    Slot::Others => assert_ne!(position % world_size, rank),
                }
                position += 1;
            }
            assert_eq!(position, whole.len());
            states.push(loader.state().clone());
        }
        let seen: Vec<Batch> = seen.into_iter().map(Option::unwrap).collect();
        assert_eq!(sources(&seen), sources(&whole));
        assert!(states.windows(2).all(|w| w[0] == w[1]));
    }
}

/// Rewrites every part under `root` with Arrow's generic writer, as pyarrow or any
/// other tool would lay it out (dictionary in first-seen order, its own pages).
fn rewrite_with_arrow(root: &Path) {
    let parts = walk_parquet(root);
    assert!(!parts.is_empty());
    for part in parts {
        let file = std::fs::File::open(&part).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<_> = reader.map(Result::unwrap).collect();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(100))
            .build();
        let out = std::fs::File::create(&part).unwrap();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(out, batches[0].schema(), Some(props)).unwrap();
        for batch in &batches {
            writer.write(batch).unwrap();
        }
        writer.close().unwrap();
    }
}

fn walk_parquet(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk_parquet(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_corpus_laid_out_by_other_tools_loads_the_same_batches() {
    let (ours, index) = prepared_demo();
    let expected = drain(&mut Loader::new(index, config(5)).unwrap());
    rewrite_with_arrow(ours.path());
    let generic = Arc::new(DatasetIndex::open(ours.path(), "train").unwrap());
    let batches = drain(&mut Loader::new(generic, config(5)).unwrap());
    assert_eq!(batches, expected);
}
