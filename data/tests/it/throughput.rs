//! Loader throughput, for `bench/data/bench_prepare.sh`. Ignored by default and never
//! asserts on time: it prints audio-seconds delivered per wall-second per core.
//!
//!     DIALEKT_BENCH_DATA=<prepared dir> cargo test -p dialekt-data --release --test it throughput -- --ignored --nocapture

// Helpers outside #[test] fns unwrap too: a failed setup should fail the test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use dialekt_data::prepare::{PrepareOptions, prepare};
use dialekt_data::{DatasetIndex, Loader, LoaderConfig, PlanConfig};

#[test]
#[ignore = "benchmark; run explicitly"]
fn loader_throughput() {
    let demo_out = tempfile::tempdir().unwrap();
    let root = match std::env::var_os("DIALEKT_BENCH_DATA") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            let options = PrepareOptions {
                coral_root: crate::common::mini_coral(),
                out_root: demo_out.path().to_path_buf(),
                subsets: vec![],
                splits: vec![],
                max_rows: None,
                corpus_prefix: "coral".into(),
            };
            prepare(&options, &()).unwrap();
            demo_out.path().to_path_buf()
        }
    };
    let index = Arc::new(DatasetIndex::open(&root, "train").unwrap());
    let config = LoaderConfig {
        plan: PlanConfig {
            min_audio_len: 16_000,
            ..PlanConfig::omni_ctc_finetune()
        },
        seed: 2,
        epochs: Some(3),
        normalize_audio: true,
        prefetch_batches: 4,
    };
    let mut loader = Loader::new(index, config).unwrap();
    let start = Instant::now();
    let (mut batches, mut audio_secs) = (0usize, 0.0f64);
    while let Some(batch) = loader.next_batch() {
        audio_secs += batch.unwrap().audio_secs();
        batches += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    eprintln!(
        "loader: {batches} batches, {audio_secs:.0} audio-s in {secs:.2} s = {:.0} audio-s/s = {:.0} audio-s/s/core ({cores} cores)",
        audio_secs / secs,
        audio_secs / secs / cores
    );
}
