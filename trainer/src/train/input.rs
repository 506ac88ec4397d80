//! The experiment's `dataset` section as loader settings: the training stream (shuffled,
//! endless) and evaluation passes (file order, one epoch), as fairseq2's ASR task builds them.

use std::path::Path;
use std::sync::Arc;

use dialekt_core::config::{BatchingStrategy, Experiment};
use dialekt_data::{DatasetIndex, Loader, LoaderConfig, PlanConfig};

use crate::Error;
use crate::error::During as _;

/// The batching/filter knobs of `dataset.asr_task_config` (training form).
///
/// # Errors
/// Settings dialekt does not implement (`STATIC` batching, `max_num_batches`).
pub fn plan_config(experiment: &Experiment) -> Result<PlanConfig, Error> {
    let task = &experiment.dataset.asr_task_config;
    if task.batching_strategy == BatchingStrategy::Static {
        return Err(Error::config(
            "dataset.asr_task_config.batching_strategy",
            "only LENGTH batching is implemented",
        ));
    }
    if task.max_num_batches.is_some() {
        return Err(Error::config(
            "dataset.asr_task_config.max_num_batches",
            "is not implemented; remove it",
        ));
    }
    let size = |v: u64, key: &str| {
        usize::try_from(v)
            .map_err(|_| Error::config(format!("dataset.asr_task_config.{key}"), "too large"))
    };
    let mix = &experiment.dataset.mixture_parquet_storage_config;
    Ok(PlanConfig {
        min_audio_len: size(task.min_audio_len, "min_audio_len")?,
        max_audio_len: size(task.max_audio_len, "max_audio_len")?,
        max_num_elements: size(task.max_num_elements, "max_num_elements")?,
        min_samples_per_char: size(task.min_samples_per_char, "min_samples_per_char")?,
        example_shuffle_window: size(task.example_shuffle_window, "example_shuffle_window")?,
        batch_shuffle_window: size(task.batch_shuffle_window, "batch_shuffle_window")?,
        shuffle_row_groups: true,
        beta_corpus: mix.beta_corpus.unwrap_or(1.0),
        beta_language: mix.beta_language.unwrap_or(1.0),
    })
}

/// Opens one split of the prepared dataset.
///
/// # Errors
/// A missing split or unreadable parts, naming the dataset root.
pub fn open_split(data_root: &Path, split: &str) -> Result<Arc<DatasetIndex>, Error> {
    let index = DatasetIndex::open(data_root, split)
        .during(|| format!("opening split `{split}` of {}", data_root.display()))?;
    Ok(Arc::new(index))
}

/// The endless, shuffled training stream.
///
/// # Errors
/// Invalid bucketing settings.
pub fn train_loader(experiment: &Experiment, index: Arc<DatasetIndex>) -> Result<Loader, Error> {
    let config = LoaderConfig {
        plan: plan_config(experiment)?,
        seed: experiment.seed,
        epochs: None,
        normalize_audio: experiment.dataset.asr_task_config.normalize_audio,
        prefetch_batches: prefetch(experiment),
    };
    Ok(Loader::new(index, config)?)
}

/// One pass over `index` in file order, with the training filters and buckets
/// (fairseq2 validates with the same pipeline, shuffles off, seed + 1).
///
/// # Errors
/// Invalid bucketing settings.
pub fn eval_loader(experiment: &Experiment, index: Arc<DatasetIndex>) -> Result<Loader, Error> {
    let config = LoaderConfig {
        plan: plan_config(experiment)?.for_evaluation(),
        seed: experiment.seed + 1,
        epochs: Some(1),
        normalize_audio: experiment.dataset.asr_task_config.normalize_audio,
        prefetch_batches: prefetch(experiment),
    };
    Ok(Loader::new(index, config)?)
}

fn prefetch(experiment: &Experiment) -> usize {
    usize::try_from(experiment.dataset.asr_task_config.num_prefetch)
        .unwrap_or(4)
        .max(1)
}
