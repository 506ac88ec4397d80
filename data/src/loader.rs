//! The training data loader: planned batches, decoded on a background thread, with a
//! reader state that can be saved in a checkpoint and restored.
//!
//! The state is only `(epoch, batches consumed)` plus fingerprints of the data and
//! configuration: every epoch's plan is a pure function of them (see
//! [`crate::plan`]), so restoring recomputes the plan and skips the consumed
//! batches without reading any audio. The prefetch thread may run ahead; the state
//! counts what the caller has *received*, never what was prefetched.
//!
//! In data-parallel training every rank walks the same batch stream and decodes only its
//! share ([`Shard`]): the batch at position `i` (counted from where the loader started,
//! always a step boundary) belongs to rank `i mod world_size`. So an optimizer step's
//! `world_size × k` batches are exactly those one process with `world_size × k`
//! micro-batches would take, and every rank's reader state is the same.

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use dialekt_core::ContentHash;
use serde::{Deserialize, Serialize};

use crate::batch::{Batch, load_batch};
use crate::bucketing::{BucketSize, omni_bucket_sizes};
use crate::error::Error;
use crate::index::DatasetIndex;
use crate::plan::{PlanConfig, plan_epoch};

/// Everything that decides what the loader yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoaderConfig {
    pub plan: PlanConfig,
    pub seed: u64,
    /// Epochs to run; `None` repeats forever (fairseq2's training reader).
    pub epochs: Option<u64>,
    /// Apply `normalize_audio` (omniASR always does for CTC).
    pub normalize_audio: bool,
    /// Batches decoded ahead of the consumer.
    pub prefetch_batches: usize,
}

impl LoaderConfig {
    /// omniASR ctc-finetune settings with `seed`, infinite epochs.
    #[must_use]
    pub fn omni_ctc_finetune(seed: u64) -> Self {
        Self {
            plan: PlanConfig::omni_ctc_finetune(),
            seed,
            epochs: None,
            normalize_audio: true,
            prefetch_batches: 4,
        }
    }

    /// A hash of the settings that shape the batch sequence (not `prefetch_batches`), in
    /// the canonical JSON encoding every dialekt hash uses (key order and number spelling
    /// cannot change it).
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let shaping = (&self.plan, self.seed, self.normalize_audio);
        let value = serde_json::to_value(shaping).unwrap_or_default();
        ContentHash::of_json("dialekt/loader-config/v1", &value).to_hex()
    }
}

/// Where a loader is in its batch stream; serialisable into a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderState {
    pub epoch: u64,
    /// Batches of `epoch` already handed to the caller.
    pub batches_consumed: usize,
    /// [`DatasetIndex::fingerprint`] of the data the state belongs to.
    pub dataset_fingerprint: String,
    /// [`LoaderConfig::fingerprint`] of the configuration it belongs to.
    pub config_fingerprint: String,
}

/// Which batches of the stream a rank of a data-parallel gang decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub rank: usize,
    pub world_size: usize,
}

impl Shard {
    /// The whole stream (one process).
    pub const ALL: Self = Self {
        rank: 0,
        world_size: 1,
    };

    /// Whether the batch at `position` (counted from the loader's start) is this rank's.
    #[must_use]
    pub fn owns(&self, position: usize) -> bool {
        position % self.world_size.max(1) == self.rank
    }
}

/// One position of the batch stream: a batch of this rank's, or one another rank decodes.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "a batch's header is moved once per batch; its audio is on the heap"
)]
pub enum Slot {
    Mine(Batch),
    Others,
}

/// A planned position as the prefetch thread sends it.
#[derive(Debug)]
enum Planned {
    Loaded(Batch),
    Skipped { epoch: u64, index_in_epoch: usize },
}

/// Streams batches of one split.
#[derive(Debug)]
pub struct Loader {
    index: Arc<DatasetIndex>,
    config: LoaderConfig,
    buckets: Arc<Vec<BucketSize>>,
    state: ReaderState,
    shard: Shard,
    worker: Option<Worker>,
}

#[derive(Debug)]
struct Worker {
    receiver: Receiver<Result<Planned, Error>>,
    /// Dropping the sender side of this channel tells the thread to stop.
    stop: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.take();
        // Drain so a thread blocked on a full channel can observe the stop signal.
        while self.receiver.try_recv().is_ok() {}
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Loader {
    /// A loader at the start of epoch 0.
    ///
    /// # Errors
    /// [`Error::Config`] for invalid bucketing arguments.
    pub fn new(index: Arc<DatasetIndex>, config: LoaderConfig) -> Result<Self, Error> {
        let plan = &config.plan;
        let buckets = omni_bucket_sizes(
            plan.max_num_elements,
            plan.max_audio_len,
            plan.min_audio_len,
        )?;
        let state = ReaderState {
            epoch: 0,
            batches_consumed: 0,
            dataset_fingerprint: index.fingerprint.clone(),
            config_fingerprint: config.fingerprint(),
        };
        Ok(Self {
            index,
            config,
            buckets: Arc::new(buckets),
            state,
            shard: Shard::ALL,
            worker: None,
        })
    }

    /// Decodes only `shard`'s batches from now on (see the module docs).
    #[must_use]
    pub fn sharded(mut self, shard: Shard) -> Self {
        self.shard = shard;
        self.worker = None;
        self
    }

    /// The bucket sizes in use.
    #[must_use]
    pub fn buckets(&self) -> &[BucketSize] {
        &self.buckets
    }

    /// The position after the last batch returned by [`Loader::next_batch`].
    #[must_use]
    pub fn state(&self) -> &ReaderState {
        &self.state
    }

    /// Continues from a saved state.
    ///
    /// # Errors
    /// [`Error::StateMismatch`] if the state was saved for other data or settings.
    pub fn restore(&mut self, state: ReaderState) -> Result<(), Error> {
        if state.dataset_fingerprint != self.index.fingerprint {
            return Err(Error::StateMismatch {
                reason: format!(
                    "dataset fingerprint {} != {} ({})",
                    state.dataset_fingerprint,
                    self.index.fingerprint,
                    self.index.root.display()
                ),
            });
        }
        if state.config_fingerprint != self.config.fingerprint() {
            return Err(Error::StateMismatch {
                reason: "loader configuration (filters, buckets, shuffles, seed) changed".into(),
            });
        }
        self.worker = None;
        self.state = state;
        Ok(())
    }

    /// The next batch, or `None` when the configured epochs are done.
    ///
    /// # Errors
    /// Whatever reading or decoding failed with (naming the part file).
    pub fn next_batch(&mut self) -> Option<Result<Batch, Error>> {
        loop {
            match self.next_slot()? {
                Ok(Slot::Mine(batch)) => return Some(Ok(batch)),
                Ok(Slot::Others) => {}
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// The next position of the stream, decoded if it is this rank's; `None` when the
    /// configured epochs are done.
    ///
    /// # Errors
    /// As [`Loader::next_batch`].
    pub fn next_slot(&mut self) -> Option<Result<Slot, Error>> {
        if self.worker.is_none() {
            self.worker = Some(self.spawn_worker());
        }
        let received = self.worker.as_ref()?.receiver.recv().ok()?;
        Some(received.map(|planned| {
            let (epoch, index, slot) = match planned {
                Planned::Loaded(batch) => (batch.epoch, batch.index_in_epoch, Slot::Mine(batch)),
                Planned::Skipped {
                    epoch,
                    index_in_epoch,
                } => (epoch, index_in_epoch, Slot::Others),
            };
            self.state.epoch = epoch;
            self.state.batches_consumed = index + 1;
            slot
        }))
    }

    fn spawn_worker(&self) -> Worker {
        let (sender, receiver) = bounded(self.config.prefetch_batches.max(1));
        let (stop, stopped) = bounded::<()>(0);
        let index = Arc::clone(&self.index);
        let config = self.config.clone();
        let buckets = Arc::clone(&self.buckets);
        let start = self.state.clone();
        let shard = self.shard;
        let handle = std::thread::Builder::new()
            .name("dialekt-prefetch".into())
            .spawn(move || produce(&index, &config, &buckets, &start, shard, &sender, &stopped))
            .ok();
        if handle.is_none() {
            // Spawning failed: report it through the channel on first read.
            let (sender, receiver) = bounded(1);
            let _ = sender.send(Err(Error::Prefetch(
                "could not spawn the prefetch thread".into(),
            )));
            return Worker {
                receiver,
                stop: Some(stop),
                handle: None,
            };
        }
        Worker {
            receiver,
            stop: Some(stop),
            handle,
        }
    }
}

/// The prefetch thread: plans epochs from `start` on and sends the shard's decoded
/// batches (and markers for the others') until the epochs run out, the consumer goes
/// away, or a stop is signalled.
fn produce(
    index: &DatasetIndex,
    config: &LoaderConfig,
    buckets: &[BucketSize],
    start: &ReaderState,
    shard: Shard,
    sender: &Sender<Result<Planned, Error>>,
    stopped: &Receiver<()>,
) {
    let mut epoch = start.epoch;
    let mut skip = start.batches_consumed;
    let mut position = 0usize;
    loop {
        if config.epochs.is_some_and(|n| epoch >= n) {
            return;
        }
        let plan = plan_epoch(index, &config.plan, buckets, config.seed, epoch);
        if plan.is_empty() {
            let _ = sender.send(Err(Error::EmptyDataset {
                split: index.split.clone(),
                root: index.root.clone(),
            }));
            return;
        }
        for (i, members) in plan.iter().enumerate().skip(skip) {
            if stopped.try_recv() == Err(TryRecvError::Disconnected) {
                return;
            }
            let batch = if shard.owns(position) {
                load_batch(index, members, config.normalize_audio, epoch, i).map(Planned::Loaded)
            } else {
                Ok(Planned::Skipped {
                    epoch,
                    index_in_epoch: i,
                })
            };
            position += 1;
            let failed = batch.is_err();
            crossbeam_channel::select! {
                send(sender, batch) -> sent => if sent.is_err() { return },
                recv(stopped) -> _ => return,
            }
            if failed {
                return;
            }
        }
        skip = 0;
        epoch += 1;
    }
}
