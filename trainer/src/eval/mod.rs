//! Evaluating a run's checkpoint on a split (`trainer eval`, `trainer run --eval`): decode
//! it, score it the way CoRal does, and store the result under
//! `runs/<id>/eval/<split>-step_<N>[-<decoder>]/` (greedy decoding has no suffix; a beam
//! search names its beam, LM hash and weights, see [`crate::decoding`]):
//!
//! - `utterances.parquet` ([`utterances`]): one row per utterance: stored text, reference,
//!   hypothesis, speaker metadata, and word/character hits, substitutions, deletions,
//!   insertions (after CoRal normalisation);
//! - `report.json` ([`report`]): fairseq2's validation metrics on the split, and the CoRal
//!   breakdown by dialect, age group and gender (and their combinations) with bootstrap
//!   confidence intervals, both CoRal-normalised (comparable with published CoRal numbers)
//!   and raw;
//! - `report.txt`: the same tables for people.
//!
//! [`tune`] grid-searches an LM's weights on dev for `trainer lm tune`.

pub mod report;
pub mod tune;
pub mod utterances;

use std::path::Path;
use std::sync::Arc;

use burn::module::Module as _;
use burn::tensor::Device;
use dialekt_core::ContentHash;
use dialekt_core::store::RunDir;
use dialekt_data::{DatasetIndex, Loader};
use dialekt_model::Wav2Vec2Asr;
use dialekt_text::tokenizer::Tokenizer;

pub use report::{EvaluatedCheckpoint, write_evaluation};

use crate::Error;
use crate::decoding::{DecoderChoice, DecoderRecord, PreparedDecoder, Transcriber};
use crate::plan::RunPlan;
use crate::train::checkpoint::{self, SavedCheckpoint};
use crate::train::evaluate::evaluate_with;
use crate::train::input::{eval_loader, open_split};
use crate::train::setup::{self, Fetch, ModelPlan};
use crate::train::targets::Targets;

/// What an evaluation pass does.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub split: String,
    /// `best` (by the run's score metric on dev), `last`, `step_N` or `start` (the
    /// weights the run started from: a zero-shot evaluation, stored as step 0).
    pub checkpoint: String,
    /// Bootstrap resamples for the confidence intervals; 0 turns them off.
    pub bootstrap: usize,
    pub decoder: DecoderChoice,
}

impl EvalOptions {
    /// The best checkpoint on `split`, with 1000 bootstrap resamples.
    #[must_use]
    pub fn for_split(split: &str) -> Self {
        Self {
            split: split.to_owned(),
            checkpoint: "best".to_owned(),
            bootstrap: 1000,
            decoder: DecoderChoice::Greedy,
        }
    }
}

/// Decodes `options.split` with a checkpoint of `run` (whose config paths are relative to
/// `root`), writes the results, and returns the text of `report.txt` with where it went.
///
/// # Errors
/// A missing checkpoint or split, unreadable files, write errors (named).
pub fn evaluate_run(run: &RunDir, root: &Path, options: &EvalOptions) -> Result<String, Error> {
    let chosen = ChosenCheckpoint::choose(run, root, &options.checkpoint)?;
    // The LM is loaded and checked before the model: a bad one fails in seconds.
    let decoder = PreparedDecoder::load(&options.decoder, &chosen.tokenizer)?;
    let CheckpointOnSplit {
        plan,
        saved,
        targets,
        device,
        model,
        index,
        mut loader,
    } = chosen.on_split(&options.split)?;
    let arch = &plan.model.arch;
    let record = decoder
        .as_ref()
        .map_or(DecoderRecord::Greedy, |d| d.record().clone());
    eprintln!(
        "evaluating run {} ({} step {}) on {} utterances of `{}`, decoded {}",
        run.id.short(),
        options.checkpoint,
        saved.step(),
        index.utterances.len(),
        options.split,
        record.label()
    );
    let mut decode = |transcriber: Transcriber<'_>| {
        evaluate_with(&model, arch, &targets, &mut loader, &device, &[transcriber])
    };
    let mut evaluations = match &decoder {
        None => decode(Transcriber::Greedy)?,
        Some(decoder) => decoder.with_decoder(|d| decode(Transcriber::Beam(d)))??,
    };
    let evaluation = evaluations.pop().unwrap_or_default();
    write_evaluation(
        run,
        &EvaluatedCheckpoint {
            split: &options.split,
            step: saved.step(),
            sha256: &saved.sha256().to_string(),
            decoder: &record,
        },
        &evaluation,
        options.bootstrap,
    )
}

/// A run's checkpoint chosen and verified, with its plan and tokenizer: what every
/// decoding of a split needs before the (slower) model and data are loaded.
pub(crate) struct ChosenCheckpoint {
    pub plan: RunPlan,
    pub saved: Weights,
    pub tokenizer: Tokenizer,
}

/// The parameters an evaluation decodes with.
pub(crate) enum Weights {
    /// A checkpoint the run saved.
    Saved(SavedCheckpoint),
    /// The run's starting point (`--checkpoint start`): the pretrained model it fine-tunes,
    /// before any update — its zero-shot evaluation, stored as step 0.
    Start {
        model: ModelPlan,
        sha256: ContentHash,
    },
}

impl Weights {
    /// The training step the weights are from (0 for the starting point).
    #[must_use]
    pub fn step(&self) -> u64 {
        match self {
            Self::Saved(saved) => saved.record.step,
            Self::Start { .. } => 0,
        }
    }

    /// Their identity in lineage: a checkpoint's hash, or the starting file's SHA-256.
    #[must_use]
    pub fn sha256(&self) -> ContentHash {
        match self {
            Self::Saved(saved) => saved.record.sha256,
            Self::Start { sha256, .. } => *sha256,
        }
    }

    fn load(&self, plan: &RunPlan, device: &Device) -> Result<Wav2Vec2Asr, Error> {
        match self {
            Self::Saved(saved) => saved.load_model(Wav2Vec2Asr::new(&plan.model.arch, device)?),
            Self::Start { model, .. } => Ok(model.build(device, plan.experiment.seed)?.0),
        }
    }
}

/// A chosen checkpoint's model on the inference device, and the split it decodes.
pub(crate) struct CheckpointOnSplit {
    pub plan: RunPlan,
    pub saved: Weights,
    pub targets: Targets,
    pub device: Device,
    pub model: Wav2Vec2Asr,
    pub index: Arc<DatasetIndex>,
    pub loader: Loader,
}

impl ChosenCheckpoint {
    /// The checkpoint `which` (`best`, `last`, `step_N`) of `run`, whose config paths are
    /// relative to `root`, verified against its record.
    ///
    /// # Errors
    /// No such checkpoint, a tampered one, a tokenizer that cannot be read or fetched.
    pub fn choose(run: &RunDir, root: &Path, which: &str) -> Result<Self, Error> {
        let plan = RunPlan::new(run.experiment()?, root.to_owned())?;
        let saved = if which == START {
            start_weights(run, &plan)?
        } else {
            let saved = pick_checkpoint(run, &plan, which)?;
            saved.verify()?;
            Weights::Saved(saved)
        };
        let (tokenizer, _) = setup::tokenizer(&plan.tokenizer, Fetch::Download)?;
        Ok(Self {
            plan,
            saved,
            tokenizer,
        })
    }

    /// Loads the model and opens `split` for decoding.
    ///
    /// # Errors
    /// An unusable device, unreadable weights, a missing split.
    pub fn on_split(self, split: &str) -> Result<CheckpointOnSplit, Error> {
        let Self {
            plan,
            saved,
            tokenizer,
        } = self;
        let device = plan.inference_device(None)?;
        let model = saved.load(&plan, &device)?.valid();
        let index = open_split(&plan.data_root, split)?;
        let loader = eval_loader(&plan.experiment, Arc::clone(&index))?;
        let targets = Targets {
            tokenizer,
            normalization: plan.experiment.dataset.text_normalization,
        };
        Ok(CheckpointOnSplit {
            plan,
            saved,
            targets,
            device,
            model,
            index,
            loader,
        })
    }
}

/// `--checkpoint start`: the weights a run started from.
pub const START: &str = "start";

/// The run's starting weights, located as training located them and checked against the
/// hash its record holds, so a zero-shot score is of the model the run really fine-tuned.
fn start_weights(run: &RunDir, plan: &RunPlan) -> Result<Weights, Error> {
    let model = ModelPlan::locate(plan, Fetch::Download)?;
    let Some((_, path)) = &model.checkpoint else {
        return Err(Error::config(
            "--checkpoint",
            format!(
                "run {} starts from a random initialisation (seed {}): it has no starting model to evaluate",
                run.id.short(),
                plan.experiment.seed
            ),
        ));
    };
    let file = model.weights_file();
    let sha256 = ContentHash::of_file(&file)?;
    match run.record()?.parent_checkpoint_sha256 {
        Some(recorded) if recorded != sha256 => Err(Error::Tampered(format!(
            "{}: the starting checkpoint of run {} changed since it started (sha256 {sha256} != {recorded})",
            path.display(),
            run.id.short()
        ))),
        Some(_) => Ok(Weights::Start { model, sha256 }),
        None => Err(Error::NotFound(format!(
            "run {} has not started yet, so its starting weights are not recorded (`trainer run` it first)",
            run.id.short()
        ))),
    }
}

/// The checkpoint `which` names: `last`, `best` (the last one when no checkpoint has dev
/// scores) or `step_N`.
fn pick_checkpoint(run: &RunDir, plan: &RunPlan, which: &str) -> Result<SavedCheckpoint, Error> {
    let found = match which {
        "last" => checkpoint::latest(&run.path)?,
        "best" => match checkpoint::best(&run.path, &plan.experiment.regime.score_metric)? {
            Some(best) => Some(best),
            None => checkpoint::latest(&run.path)?,
        },
        step => {
            let wanted: u64 = step
                .strip_prefix("step_")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    Error::config(
                        "--checkpoint",
                        format!("{step}: expected last, best, start or step_N"),
                    )
                })?;
            checkpoint::list(&run.path)?
                .into_iter()
                .find(|c| c.record.step == wanted)
        }
    };
    found.ok_or_else(|| {
        Error::NotFound(format!(
            "run {} has no `{which}` checkpoint in {} (has it trained? `trainer runs show {}`)",
            run.id.short(),
            run.path.join(checkpoint::CHECKPOINTS_DIR).display(),
            run.id.short()
        ))
    })
}
