//! The training loop of `trainer run`: resume from the last checkpoint, then step,
//! publish, validate and checkpoint on the experiment's `regime` until `num_steps`.
//!
//! Determinism: the data order is a pure function of `(seed, epoch)` (see
//! [`dialekt_data::plan`]) restored from the reader state; every random draw of step `k`
//! (dropout on the device, LayerDrop decisions here) comes from generators seeded by
//! `(seed, k)` at the start of the step; the optimizer state and the publish window are
//! checkpointed exactly. So a run killed at any point and resumed from its last
//! checkpoint computes the same weights, bit for bit, as one that never stopped (on a
//! backend whose kernels are deterministic, as the CPU ones are).
//!
//! Data-parallel ([`Session::gang`]): every rank runs this loop on its shard of each
//! step's micro-batches (see [`dialekt_data::loader`]); random decisions are drawn per
//! micro-batch from its position in the step, not per rank, so a gang of `n` ranks with
//! `k` micro-batches each computes what one process with `n·k` would. Rank 0 alone
//! writes metrics and checkpoints, and validates; the reader state it checkpoints is
//! every rank's, since all ranks walk the same stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use burn::module::Module as _;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use dialekt_core::ContentHash;
use dialekt_core::config::Experiment;
use dialekt_core::store::RunDir;
use dialekt_data::{DatasetIndex, Loader, Shard, Slot};
use dialekt_model::{ArchConfig, Wav2Vec2Asr};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng as _, SeedableRng as _};

use crate::Error;
use crate::distributed::Collective;
use crate::error::During as _;
use crate::plan::RunPlan;
use crate::train::checkpoint::{self, CheckpointContents, SavedCheckpoint, Scores, TrainerState};
use crate::train::evaluate::evaluate;
use crate::train::freeze::{self, Trainable};
use crate::train::input::{eval_loader, train_loader};
use crate::train::publish::Window;
use crate::train::schedule::TriStageLr;
use crate::train::step::{MicroBatch, StepStats, optimizer_step};
use crate::train::targets::Targets;

/// Everything the loop needs besides the model.
pub struct Session<'a> {
    pub plan: &'a RunPlan,
    pub run: &'a RunDir,
    /// An autodiff device.
    pub device: Device,
    pub targets: Targets,
    pub train: Arc<DatasetIndex>,
    pub dev: Option<Arc<DatasetIndex>>,
    /// Set by Ctrl-C: checkpoint and stop after the current step.
    pub interrupt: Arc<AtomicBool>,
    /// Stop (as if interrupted) after this step; for tests and benchmarks.
    pub stop_after: Option<u64>,
    /// Content hash of the starting weights (the first checkpoint's parent).
    pub origin_sha256: Option<ContentHash>,
    /// The data-parallel gang this process trains in (`None`: alone).
    pub gang: Option<&'a dyn Collective>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("run", &self.run.id)
            .field("arch", self.arch())
            .field("stop_after", &self.stop_after)
            .finish_non_exhaustive()
    }
}

/// How a training session ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Completed { step: u64, dev: Option<Scores> },
    Interrupted { step: u64 },
}

/// Where the loop is: what a checkpoint saves besides the weights.
struct Progress {
    step: u64,
    window: Window,
    parent: Option<ContentHash>,
    last_checkpoint: u64,
}

/// The loop's state besides the model (which each step consumes and returns).
struct Loop {
    optimizer: ModuleOptimizer,
    loader: Loader,
    progress: Progress,
    /// What trains now (changes when `freeze_encoder_for_n_steps` ends).
    trainable: Option<Trainable>,
    /// The attempt's start, and the open publish window's.
    started: Instant,
    window_started: Instant,
}

impl Session<'_> {
    /// Trains `model` (on [`Session::device`]) to `regime.num_steps`, resuming from the
    /// run's last checkpoint if there is one.
    ///
    /// # Errors
    /// Data, model, checkpoint or metrics-log errors, each naming its file; a non-finite
    /// loss, naming the step.
    pub fn train(&self, model: Wav2Vec2Asr) -> Result<Outcome, Error> {
        let regime = &self.experiment().regime;
        let (mut model, mut state) = self.start(model)?;
        let schedule = TriStageLr::from_config(
            &self.experiment().optimizer,
            &self.experiment().lr_scheduler,
            regime.num_steps,
        );
        let bar = progress_bar(regime.num_steps, state.progress.step, self.writes());
        let mut dev = None;
        while state.progress.step < regime.num_steps {
            if self.stop_voted(state.progress.step)? {
                if state.progress.last_checkpoint < state.progress.step && self.writes() {
                    self.checkpoint(&model, &mut state, None)?;
                }
                bar.finish_and_clear();
                return Ok(Outcome::Interrupted {
                    step: state.progress.step,
                });
            }
            let step = state.progress.step + 1;
            model = self.apply_freezing(model, step, &mut state.trainable);
            let lr = schedule.lr_at_step(step);
            let (next, stats) = self.step(model, &mut state, step, lr)?;
            model = next;
            state.progress.step = step;
            state.progress.window.add(&stats, lr);
            show_step(&bar, step, &stats, lr);
            if self.writes() {
                dev = self.after_step(&model, &mut state, step)?;
            }
        }
        bar.finish_and_clear();
        Ok(Outcome::Completed {
            step: state.progress.step,
            dev,
        })
    }

    fn experiment(&self) -> &Experiment {
        &self.plan.experiment
    }

    fn arch(&self) -> &ArchConfig {
        &self.plan.model.arch
    }

    /// Whether this process writes the run's files (rank 0 of a gang, or alone).
    fn writes(&self) -> bool {
        crate::distributed::writes(self.gang)
    }

    fn shard(&self) -> Shard {
        self.gang.map_or(Shard::ALL, |gang| Shard {
            rank: gang.rank(),
            world_size: gang.world_size(),
        })
    }

    /// The loop's starting state: fresh, or restored from the run's last checkpoint.
    fn start(&self, model: Wav2Vec2Asr) -> Result<(Wav2Vec2Asr, Loop), Error> {
        let mut model = model.with_stochastic_layers(true);
        let mut state = Loop {
            optimizer: adamw(self.experiment()),
            loader: train_loader(self.experiment(), Arc::clone(&self.train))?.sharded(self.shard()),
            progress: Progress {
                step: 0,
                window: Window::default(),
                parent: self.origin_sha256,
                last_checkpoint: 0,
            },
            trainable: None,
            started: Instant::now(),
            window_started: Instant::now(),
        };
        if let Some(saved) = checkpoint::latest(&self.run.path)? {
            model = self.resume(model, &mut state, &saved)?;
        }
        Ok((model, state))
    }

    /// Restores weights, optimizer, reader and window from `saved` (verified first), and
    /// cuts the metrics log back to what that checkpoint had seen.
    fn resume(
        &self,
        model: Wav2Vec2Asr,
        state: &mut Loop,
        saved: &SavedCheckpoint,
    ) -> Result<Wav2Vec2Asr, Error> {
        saved.verify()?;
        let trainer = saved.trainer_state()?;
        let model = saved.load_model(model)?;
        let optimizer = adamw(self.experiment());
        state.optimizer = saved.load_optimizer(optimizer)?;
        state
            .loader
            .restore(trainer.reader.clone())
            .during(|| format!("resuming from {}", saved.dir.display()))?;
        let rewound = if self.writes() {
            self.run.rewind_metrics(&trainer.metrics)?
        } else {
            None
        };
        if let Some(discarded) = rewound {
            eprintln!(
                "note: metrics logged after step {} by the interrupted attempt moved to {}",
                trainer.step,
                discarded.display()
            );
        }
        eprintln!(
            "resuming run {} at step {}",
            self.run.id.short(),
            trainer.step
        );
        state.progress = Progress {
            step: trainer.step,
            window: trainer.window,
            parent: Some(saved.record.sha256),
            last_checkpoint: trainer.step,
        };
        Ok(model)
    }

    /// Whether to stop before the next step: Ctrl-C, or `--stop-after` reached. An
    /// interrupt reaches the ranks of a gang at different moments: they vote, and stop
    /// together.
    fn stop_voted(&self, done: u64) -> Result<bool, Error> {
        let stopping =
            self.interrupt.load(Ordering::SeqCst) || self.stop_after.is_some_and(|s| done >= s);
        Ok(match self.gang {
            Some(gang) => gang.any(stopping)?,
            None => stopping,
        })
    }

    /// Freezes what does not train at `step` (only when that changes).
    fn apply_freezing(
        &self,
        model: Wav2Vec2Asr,
        step: u64,
        current: &mut Option<Trainable>,
    ) -> Wav2Vec2Asr {
        let trainer = &self.experiment().trainer;
        let now = Trainable::at_step(step, trainer.freeze_encoder_for_n_steps);
        if *current == Some(now) {
            return model;
        }
        *current = Some(now);
        freeze::apply(model, now, !trainer.freeze_feature_extractor)
    }

    /// What rank 0 does after a step: publish the window, validate, checkpoint, as the
    /// regime says. Returns the dev scores when it validated.
    fn after_step(
        &self,
        model: &Wav2Vec2Asr,
        state: &mut Loop,
        step: u64,
    ) -> Result<Option<Scores>, Error> {
        let regime = &self.experiment().regime;
        let last = step == regime.num_steps;
        if step.is_multiple_of(regime.publish_metrics_every_n_steps) || last {
            let window = std::mem::take(&mut state.progress.window);
            self.run.append_metrics(
                step,
                "train",
                window.values(),
                window.timing(state.window_started.elapsed(), state.started.elapsed()),
            )?;
            state.window_started = Instant::now();
        }
        let validate = step >= regime.validate_after_n_steps
            && step.is_multiple_of(regime.validate_every_n_steps);
        let dev = match &self.dev {
            Some(split) if validate || last => {
                Some(self.validate(model, split, step, state.started.elapsed())?)
            }
            _ => None,
        };
        if step.is_multiple_of(regime.checkpoint_every_n_steps) || last {
            self.checkpoint(model, state, dev)?;
        }
        Ok(dev)
    }

    /// One optimizer step: this rank's micro-batches of the step, each with the random
    /// decisions of its position in the step; then the update.
    fn step(
        &self,
        model: Wav2Vec2Asr,
        state: &mut Loop,
        step: u64,
        lr: f64,
    ) -> Result<(Wav2Vec2Asr, StepStats), Error> {
        let experiment = self.experiment();
        let per_rank = experiment.trainer.grad_accumulation.num_batches;
        let positions = per_rank * self.shard().world_size as u64;
        let training = model.encoder.is_training(&self.device);
        let device_seed = step_seed(experiment.seed, step, STREAM_DEVICE);
        let mut layer_drop_rng =
            ChaCha8Rng::seed_from_u64(step_seed(experiment.seed, step, STREAM_LAYER_DROP));
        let layers = self.arch().num_encoder_layers;
        let mut batches = Vec::new();
        for position in 0..positions {
            // Drawn for every position, whichever rank holds it, in order.
            let layer_drop = if training {
                let uniforms: Vec<f64> = (0..layers)
                    .map(|_| unit_interval(&mut layer_drop_rng))
                    .collect();
                model.encoder.layer_drop_decisions(&uniforms)
            } else {
                Vec::new()
            };
            let slot = state
                .loader
                .next_slot()
                .ok_or(Error::DataEnded)?
                .during(|| "reading training data".to_owned())?;
            if let Slot::Mine(batch) = slot {
                let targets = batch.texts.iter().map(|t| self.targets.ids(t)).collect();
                let mut micro_batch = MicroBatch::new(batch, targets, &self.device);
                micro_batch.layer_drop = layer_drop;
                micro_batch.device_seed = Some(step_seed(device_seed, position, 0));
                batches.push(micro_batch);
            }
        }
        let (model, stats) = optimizer_step(
            model,
            self.arch(),
            &mut state.optimizer,
            &batches,
            lr,
            experiment.trainer.max_grad_norm,
            self.gang,
        )?;
        if !stats.loss_sum.is_finite() || !stats.grad_norm.is_finite() {
            return Err(Error::NonFinite {
                step,
                loss: stats.loss_sum,
                grad_norm: stats.grad_norm,
            });
        }
        Ok((model, stats))
    }

    /// Validates on the dev split and logs a `valid` line; its timing carries the time
    /// since the attempt started, as train lines do, so dev curves have a wall-time axis.
    fn validate(
        &self,
        model: &Wav2Vec2Asr,
        dev: &Arc<DatasetIndex>,
        step: u64,
        since_start: Duration,
    ) -> Result<Scores, Error> {
        let started = Instant::now();
        let inference = model.valid();
        let device = self.device.clone().without_autodiff();
        let mut loader = eval_loader(self.experiment(), Arc::clone(dev))?;
        let evaluation = evaluate(&inference, self.arch(), &self.targets, &mut loader, &device)
            .during(|| "validating on the dev split".to_owned())?;
        let validation = evaluation.validation();
        let timing = std::collections::BTreeMap::from([
            ("window_s".to_owned(), started.elapsed().as_secs_f64()),
            (
                "elapsed_s".to_owned(),
                (since_start + started.elapsed()).as_secs_f64(),
            ),
        ]);
        self.run
            .append_metrics(step, "valid", validation.metric_values(), timing)?;
        Ok(validation.scores)
    }

    /// Saves everything a bit-identical resume needs, then prunes as the regime keeps.
    fn checkpoint(
        &self,
        model: &Wav2Vec2Asr,
        state: &mut Loop,
        dev: Option<Scores>,
    ) -> Result<(), Error> {
        let progress = &mut state.progress;
        let trainer = TrainerState {
            step: progress.step,
            reader: state.loader.state().clone(),
            metrics: self.run.metrics_position()?,
            window: progress.window.clone(),
        };
        let saved = checkpoint::save(
            &self.run.path,
            &CheckpointContents {
                model,
                optimizer: &state.optimizer,
                state: &trainer,
                parent_sha256: progress.parent,
                dev,
            },
        )?;
        progress.parent = Some(saved.record.sha256);
        progress.last_checkpoint = progress.step;
        let regime = &self.experiment().regime;
        checkpoint::prune(
            &self.run.path,
            regime.keep_last_n_checkpoints,
            regime.keep_best_n_checkpoints,
            &regime.score_metric,
        )?;
        Ok(())
    }
}

/// The progress bar's line after a step.
fn show_step(bar: &ProgressBar, step: u64, stats: &StepStats, lr: f64) {
    bar.set_position(step);
    bar.set_message(format!(
        "loss {:.2} bits/utt  lr {lr:.2e}",
        stats.loss_sum / stats.utterances.max(1) as f64 / std::f64::consts::LN_2
    ));
}

/// AdamW as the experiment configures it (torch's update rule; see the parity test).
fn adamw(experiment: &Experiment) -> ModuleOptimizer {
    let c = &experiment.optimizer.config;
    #[allow(clippy::cast_possible_truncation)] // burn keeps these in f32
    AdamWConfig::new()
        .with_beta_1(c.betas[0] as f32)
        .with_beta_2(c.betas[1] as f32)
        .with_epsilon(c.eps as f32)
        .with_weight_decay(c.weight_decay as f32)
        .with_amsgrad(c.amsgrad)
        .init()
}

const STREAM_DEVICE: u64 = 1;
const STREAM_LAYER_DROP: u64 = 2;

/// A seed for one random stream of one step (SplitMix64 of the three, so neighbouring
/// steps and seeds give unrelated streams).
#[must_use]
pub fn step_seed(seed: u64, step: u64, stream: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(step.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(stream);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in `[0, 1)` with 53 random bits.
fn unit_interval(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn progress_bar(num_steps: u64, start: u64, shown: bool) -> ProgressBar {
    let target = if shown {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(num_steps), target);
    let style =
        ProgressStyle::with_template("step {pos}/{len} [{bar:30}] {msg}  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_position(start);
    bar.reset_eta();
    bar
}
