//! `trainer lm tune`: CoRal's decoder weights are not universal (alpha 0.5, beta 1.5 were
//! tuned for its models): a small grid of alpha (LM weight) and beta (word bonus) is
//! searched on a split (dev), sharing one forward pass per batch between every grid point,
//! and the grid and the best pair are written next to the run's evaluations.

use std::path::{Path, PathBuf};

use dialekt_core::atomic::write_json_atomic;
use dialekt_core::store::RunDir;
use dialekt_text::decode::{BeamConfig, Decoder, LanguageModel, LmConfig, Vocabulary};
use dialekt_text::lm;
use serde::Serialize;

use super::report::coral_wer;
use super::{CheckpointOnSplit, ChosenCheckpoint};
use crate::Error;
use crate::decoding::Transcriber;
use crate::train::evaluate::evaluate_with;

/// The search.
#[derive(Debug, Clone)]
pub struct TuneOptions {
    pub lm: PathBuf,
    pub split: String,
    /// `best`, `last` or `step_N`.
    pub checkpoint: String,
    pub alphas: Vec<f64>,
    pub betas: Vec<f64>,
    pub beam: usize,
    /// Where the result goes (default: `eval/lm-tune-<split>-<lm hash>.json` of the run).
    pub out: Option<PathBuf>,
}

/// One grid point's CoRal-normalised WER (%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridPoint {
    pub alpha: f64,
    pub beta: f64,
    pub wer: f64,
}

/// What `trainer lm tune` writes.
#[derive(Debug, Clone, Serialize)]
pub struct Tuned {
    pub lm: PathBuf,
    pub lm_sha256: String,
    pub split: String,
    pub checkpoint_step: u64,
    pub beam: usize,
    pub greedy_wer: f64,
    pub grid: Vec<GridPoint>,
    /// The lowest WER (ties: the smaller alpha, then the smaller beta: the weaker LM).
    pub best: GridPoint,
    #[serde(skip)]
    pub written: PathBuf,
}

/// Runs the search on `run` (whose config paths are relative to `root`).
///
/// # Errors
/// A run without the checkpoint or split, an unreadable LM, grid values out of range
/// (naming the parameter), write errors.
pub fn tune_lm(run: &RunDir, root: &Path, options: &TuneOptions) -> Result<Tuned, Error> {
    let chosen = ChosenCheckpoint::choose(run, root, &options.checkpoint)?;
    let vocabulary = Vocabulary::from_tokenizer(&chosen.tokenizer)?;
    let (model_lm, _) = lm::load(&options.lm, Some(&lm::default_cache_path(&options.lm)))?;
    let points: Vec<(f64, f64)> = options
        .alphas
        .iter()
        .flat_map(|&alpha| options.betas.iter().map(move |&beta| (alpha, beta)))
        .collect();
    let scorers = points
        .iter()
        .map(|&(alpha, beta)| {
            let config = LmConfig {
                alpha,
                beta,
                ..LmConfig::default()
            };
            LanguageModel::new(&model_lm, None, config)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let beam = BeamConfig {
        beam_width: options.beam,
        ..BeamConfig::default()
    };
    let decoders = scorers
        .iter()
        .map(|scorer| Decoder::new(&vocabulary, Some(scorer), beam))
        .collect::<Result<Vec<_>, _>>()?;
    let transcribers: Vec<Transcriber<'_>> = std::iter::once(Transcriber::Greedy)
        .chain(decoders.iter().map(Transcriber::Beam))
        .collect();

    let CheckpointOnSplit {
        plan,
        saved,
        targets,
        device,
        model,
        index,
        mut loader,
    } = chosen.on_split(&options.split)?;
    eprintln!(
        "tuning the LM weights of run {} (step {}) on {} utterances of `{}`: {} grid points, beam {}",
        run.id.short(),
        saved.step(),
        index.utterances.len(),
        options.split,
        points.len(),
        options.beam
    );
    let arch = &plan.model.arch;
    let evaluations = evaluate_with(&model, arch, &targets, &mut loader, &device, &transcribers)?;
    let greedy_wer = evaluations.first().map_or(f64::NAN, coral_wer);
    let grid: Vec<GridPoint> = points
        .iter()
        .zip(&evaluations[1..])
        .map(|(&(alpha, beta), evaluation)| GridPoint {
            alpha,
            beta,
            wer: coral_wer(evaluation),
        })
        .collect();
    let best = grid
        .iter()
        .copied()
        .min_by(|a, b| {
            a.wer
                .total_cmp(&b.wer)
                .then(a.alpha.total_cmp(&b.alpha))
                .then(a.beta.total_cmp(&b.beta))
        })
        .ok_or_else(|| Error::config("--alphas", "the grid is empty"))?;
    let lm_sha256 = model_lm.source_sha256_hex();
    let written = options.out.clone().unwrap_or_else(|| {
        run.path.join("eval").join(format!(
            "lm-tune-{}-{}.json",
            options.split,
            lm_sha256.get(..8).unwrap_or(&lm_sha256)
        ))
    });
    let tuned = Tuned {
        lm: options.lm.clone(),
        lm_sha256,
        split: options.split.clone(),
        checkpoint_step: saved.step(),
        beam: options.beam,
        greedy_wer,
        grid,
        best,
        written,
    };
    write_json_atomic(&tuned.written, &tuned)?;
    Ok(tuned)
}
