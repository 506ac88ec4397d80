//! Planning an epoch: which utterances form which batch, in which order.
//!
//! Follows omniASR's processing order (`asr_task.py::apply_processing_pipeline`) on
//! metadata only: row-group shuffle (fairseq2 shuffles fragments globally) →
//! length filter → example shuffle window → empty-text and fast-speech filter →
//! `bucket_by_length` → batch shuffle window. A plan is a pure function of the
//! index, the configuration, the seed and the epoch number, which is what makes a
//! resumed run see exactly the batches an uninterrupted one would: the reader state
//! only has to say "epoch e, batch b".

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};

use crate::bucketing::{BucketSize, LengthBucketer};
use crate::index::{DatasetIndex, UtteranceRef};
use crate::mixing::partition_weights;
use crate::shuffle::window_shuffle;

/// The knobs that decide the batches (omniASR's `AsrTaskConfig` names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// Keep utterances with `min_audio_len <= audio_size <= max_audio_len` (samples).
    pub min_audio_len: usize,
    pub max_audio_len: usize,
    /// Padded samples per batch (`batch_size × bucket length`).
    pub max_num_elements: usize,
    /// Drop utterances with fewer samples per character (faster than 100 chars/s at 160).
    pub min_samples_per_char: usize,
    /// Sliding window for example shuffling; 1 = off, 0 = whole epoch.
    pub example_shuffle_window: usize,
    /// Sliding window for batch shuffling; 1 = off, 0 = whole epoch.
    pub batch_shuffle_window: usize,
    /// Shuffle row groups (training); off for evaluation (file order).
    pub shuffle_row_groups: bool,
    /// Mixing exponents for corpora and languages (irrelevant with one partition).
    pub beta_corpus: f64,
    pub beta_language: f64,
}

impl PlanConfig {
    /// omniASR's `ctc-finetune.yaml` training settings.
    #[must_use]
    pub fn omni_ctc_finetune() -> Self {
        Self {
            min_audio_len: 32_000,
            max_audio_len: 960_000,
            max_num_elements: 960_000,
            min_samples_per_char: 160,
            example_shuffle_window: 1,
            batch_shuffle_window: 1,
            shuffle_row_groups: true,
            beta_corpus: 1.0,
            beta_language: 1.0,
        }
    }

    /// The same filters and buckets with every shuffle off, as fairseq2 validates.
    #[must_use]
    pub fn for_evaluation(&self) -> Self {
        Self {
            example_shuffle_window: 1,
            batch_shuffle_window: 1,
            shuffle_row_groups: false,
            ..self.clone()
        }
    }
}

/// Seeds for the independent random streams of one epoch, derived with SplitMix64
/// so that neighbouring seeds and epochs give unrelated streams.
fn stream_seed(seed: u64, epoch: u64, stream: u64) -> u64 {
    let mut z = seed
        .wrapping_add(epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(stream.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const STREAM_ROW_GROUPS: u64 = 1;
const STREAM_EXAMPLES: u64 = 2;
const STREAM_BATCHES: u64 = 3;
const STREAM_MIXING: u64 = 4;

/// The batches of one epoch, as indices into [`DatasetIndex::utterances`].
#[must_use]
pub fn plan_epoch(
    index: &DatasetIndex,
    config: &PlanConfig,
    buckets: &[BucketSize],
    seed: u64,
    epoch: u64,
) -> Vec<Vec<usize>> {
    let stream = mixed_stream(index, config, seed, epoch);
    let stream = window_shuffle(
        stream,
        config.example_shuffle_window,
        stream_seed(seed, epoch, STREAM_EXAMPLES),
    );
    let mut bucketer = LengthBucketer::new(buckets.to_vec(), config.min_audio_len);
    let mut batches = Vec::new();
    for i in stream {
        let utterance = &index.utterances[i];
        if !passes_text_filters(utterance, config) {
            continue;
        }
        let len = usize::try_from(utterance.audio_size).unwrap_or(usize::MAX);
        if let Some(batch) = bucketer.push(i, len) {
            batches.push(batch);
        }
    }
    batches.extend(bucketer.finish());
    window_shuffle(
        batches,
        config.batch_shuffle_window,
        stream_seed(seed, epoch, STREAM_BATCHES),
    )
}

/// Empty text and the fast-speech filter (`audio_len / chars < min_samples_per_char`).
fn passes_text_filters(utterance: &UtteranceRef, config: &PlanConfig) -> bool {
    utterance.text_chars > 0
        && utterance.audio_size / u64::from(utterance.text_chars)
            >= config.min_samples_per_char as u64
}

fn passes_length_filter(utterance: &UtteranceRef, config: &PlanConfig) -> bool {
    (config.min_audio_len as u64..=config.max_audio_len as u64).contains(&utterance.audio_size)
}

/// One partition's utterances in (row-group-shuffled) streaming order, length-filtered.
fn partition_stream(
    index: &DatasetIndex,
    config: &PlanConfig,
    members: &[usize],
    seed: u64,
) -> Vec<usize> {
    // Group by row group, keeping first-appearance (file) order.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut last = None;
    for &i in members {
        let u = &index.utterances[i];
        let key = (u.part, u.row_group);
        if last != Some(key) {
            groups.push(Vec::new());
            last = Some(key);
        }
        if let Some(group) = groups.last_mut() {
            group.push(i);
        }
    }
    if config.shuffle_row_groups {
        groups = window_shuffle(groups, 0, seed);
    }
    groups
        .into_iter()
        .flatten()
        .filter(|&i| passes_length_filter(&index.utterances[i], config))
        .collect()
}

/// With one partition, its stream; with several, omniASR's weighted example-level
/// sampling between them (each partition restarting its own order when exhausted
/// within the epoch). The epoch has as many examples as all partitions together.
fn mixed_stream(index: &DatasetIndex, config: &PlanConfig, seed: u64, epoch: u64) -> Vec<usize> {
    let mut partitions: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, u) in index.utterances.iter().enumerate() {
        let part = &index.parts[u.part as usize];
        partitions
            .entry((part.corpus.clone(), part.language.clone()))
            .or_default()
            .push(i);
    }
    let row_group_seed = stream_seed(seed, epoch, STREAM_ROW_GROUPS);
    if partitions.len() <= 1 {
        let members: Vec<usize> = partitions.into_values().flatten().collect();
        return partition_stream(index, config, &members, row_group_seed);
    }
    let hours: BTreeMap<(String, String), f64> = partitions
        .iter()
        .map(|(key, members)| {
            let samples: u64 = members
                .iter()
                .map(|&i| index.utterances[i].audio_size)
                .sum();
            (key.clone(), samples as f64 / 16_000.0 / 3600.0)
        })
        .collect();
    let weights = partition_weights(&hours, config.beta_corpus, config.beta_language);
    let streams: Vec<Vec<usize>> = partitions
        .values()
        .enumerate()
        .map(|(p, members)| {
            partition_stream(index, config, members, row_group_seed ^ (p as u64 + 1))
        })
        .collect();
    let cumulative: Vec<f64> = weights
        .values()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect();
    let total: usize = streams.iter().map(Vec::len).sum();
    let mut cursors = vec![0usize; streams.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(seed, epoch, STREAM_MIXING));
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let p = cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(streams.len() - 1);
        let stream = &streams[p];
        if stream.is_empty() {
            if streams.iter().all(Vec::is_empty) {
                break;
            }
            continue;
        }
        out.push(stream[cursors[p] % stream.len()]);
        cursors[p] += 1;
    }
    out
}
