//! Bucketing parity with fairseq2 and its invariants.
//!
//! `fixtures/bucket_sizes.json` was produced by fairseq2 0.6's own
//! `create_bucket_sizes` (`tools/reference/data/bucket_sizes.py`).

// Helpers outside #[test] fns unwrap too: a failed setup should fail the test.
#![allow(clippy::unwrap_used)]

use dialekt_data::bucketing::{BucketSize, LengthBucketer, omni_bucket_sizes};
use proptest::prelude::*;

#[derive(serde::Deserialize)]
struct Fixture {
    configs: std::collections::BTreeMap<String, Config>,
}

#[derive(serde::Deserialize)]
struct Config {
    max_num_elements: usize,
    max_audio_len: usize,
    min_audio_len: usize,
    buckets: Vec<(usize, usize)>,
}

#[test]
fn bucket_sizes_equal_fairseq2_for_upstream_and_adapted_configs() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bucket_sizes.json");
    let fixture: Fixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(fixture.configs.len(), 2);
    for (name, config) in &fixture.configs {
        let ours: Vec<(usize, usize)> = omni_bucket_sizes(
            config.max_num_elements,
            config.max_audio_len,
            config.min_audio_len,
        )
        .unwrap()
        .into_iter()
        .map(|b| (b.batch_size, b.max_len))
        .collect();
        assert_eq!(ours, config.buckets, "config {name}");
    }
    assert_eq!(fixture.configs["upstream"].buckets.len(), 30);
    assert_eq!(fixture.configs["adapted"].buckets.len(), 113);
}

fn bucket_everything(sizes: &[BucketSize], min_len: usize, lengths: &[usize]) -> Vec<Vec<usize>> {
    let mut bucketer = LengthBucketer::new(sizes.to_vec(), min_len);
    let mut batches = Vec::new();
    for (i, &len) in lengths.iter().enumerate() {
        batches.extend(bucketer.push(i, len));
    }
    batches.extend(bucketer.finish());
    batches
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_utterance_in_range_is_batched_exactly_once(
        lengths in prop::collection::vec(0usize..1_000_000, 0..600),
        adapted in any::<bool>(),
    ) {
        let (max_elements, max_len, min_len) =
            if adapted { (3_840_000, 480_000, 32_000) } else { (960_000, 960_000, 32_000) };
        let sizes = omni_bucket_sizes(max_elements, max_len, min_len).unwrap();
        let batches = bucket_everything(&sizes, min_len, &lengths);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        let expected: Vec<usize> =
            (0..lengths.len()).filter(|&i| (min_len..=max_len).contains(&lengths[i])).collect();
        prop_assert_eq!(seen, expected);
        for batch in &batches {
            prop_assert!(!batch.is_empty());
            let longest = batch.iter().map(|&i| lengths[i]).max().unwrap();
            // The padded batch never exceeds max_num_elements samples.
            prop_assert!(batch.len() * longest <= max_elements,
                "{} x {} > {}", batch.len(), longest, max_elements);
        }
    }
}
