//! `trainer lm build|tune`: the n-gram language model CoRal decodes with, made from text
//! or a prepared split's transcripts, and its weights tuned on dev.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use dialekt_data::DatasetIndex;
use dialekt_text::lm::corpus;
use dialekt_text::lm::estimate::{EstimateConfig, estimate};

use crate::eval::tune::{TuneOptions, tune_lm};

#[derive(Debug, Subcommand)]
pub enum LmCommand {
    /// Estimate an n-gram LM (modified Kneser–Ney, KenLM lmplz's semantics, no pruning)
    /// from text normalised as CoRal does, and write it as ARPA.
    Build(BuildArgs),
    /// Grid-search the LM weight (alpha) and word bonus (beta) on a split (dev) with a
    /// run's checkpoint, and write the grid and the best pair.
    Tune(TuneArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Text files, one sentence per line.
    #[arg(long, value_name = "FILE")]
    pub text: Vec<PathBuf>,
    /// A prepared dataset (`trainer data prepare`'s output) whose `--split` transcripts
    /// are used too.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "train", requires = "data")]
    pub split: String,
    /// N-gram order.
    #[arg(long, default_value_t = 3)]
    pub order: usize,
    /// lmplz's --discount_fallback (D1 0.5, D2 1, D3+ 1.5 where the closed-form discounts
    /// fail, as they do on small or repetitive text).
    #[arg(long)]
    pub discount_fallback: bool,
    #[arg(long, value_name = "ARPA")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    /// A run id (or unique prefix) in `--store`.
    pub run: String,
    #[arg(long, value_name = "ARPA")]
    pub lm: PathBuf,
    #[arg(long, default_value = "dev")]
    pub split: String,
    /// `best`, `last` or `step_N`.
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    #[arg(long, default_value = "runs")]
    pub store: PathBuf,
    /// LM weights to try.
    #[arg(long, value_delimiter = ',', default_values_t = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5])]
    pub alphas: Vec<f64>,
    /// Word bonuses to try.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, default_values_t = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0])]
    pub betas: Vec<f64>,
    /// Beam width of the search.
    #[arg(long, default_value_t = 100)]
    pub beam: usize,
    /// Where the grid goes (default: the run's `eval/lm-tune-<split>-<lm hash>.json`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl LmCommand {
    /// # Errors
    /// Unreadable text or data, too little text to estimate from, a run without
    /// checkpoints, bad grid values.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Build(args) => args.run(),
            Self::Tune(args) => args.run(),
        }
    }
}

impl BuildArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let mut lines = Vec::new();
        for file in &self.text {
            let text = fs_err::read_to_string(file)?;
            lines.extend(text.lines().map(str::to_owned));
        }
        if let Some(data) = &self.data {
            let index = DatasetIndex::open(data, &self.split)
                .with_context(|| format!("opening split `{}` of {}", self.split, data.display()))?;
            lines.extend(index.transcripts()?);
        }
        let sentences = corpus::prepare(&lines, true);
        if sentences.is_empty() {
            bail!("no text: give --text files or --data with a prepared dataset");
        }
        let config = EstimateConfig {
            order: self.order,
            discount_fallback: self.discount_fallback.then_some([0.5, 1.0, 1.5]),
        };
        let model = estimate(&sentences, &config).with_context(|| {
            format!(
                "estimating a {}-gram LM from {} sentences (small or repetitive text: try --discount-fallback)",
                self.order,
                sentences.len()
            )
        })?;
        model.write_arpa_file(&self.out)?;
        let counts: Vec<String> = model
            .orders
            .iter()
            .enumerate()
            .map(|(i, grams)| format!("{} {}-grams", grams.len(), i + 1))
            .collect();
        writeln!(
            std::io::stdout().lock(),
            "wrote {} ({}; {} sentences, {} words)",
            self.out.display(),
            counts.join(", "),
            sentences.len(),
            model.tokens
        )?;
        Ok(ExitCode::SUCCESS)
    }
}

impl TuneArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        if self.alphas.is_empty() || self.betas.is_empty() {
            bail!("--alphas and --betas need at least one value each");
        }
        let options = TuneOptions {
            lm: self.lm,
            split: self.split,
            checkpoint: self.checkpoint,
            alphas: self.alphas,
            betas: self.betas,
            beam: self.beam,
            out: self.out,
        };
        let run = dialekt_core::store::RunStore::new(&self.store).resolve(&self.run)?;
        let root = crate::recording::store_project_root(&self.store);
        let tuned = tune_lm(&run, &root, &options)?;
        let mut out = std::io::stdout().lock();
        for point in &tuned.grid {
            writeln!(
                out,
                "alpha {:<5} beta {:<5} WER {:.2} %",
                point.alpha, point.beta, point.wer
            )?;
        }
        writeln!(
            out,
            "best: alpha {} beta {} (WER {:.2} % on `{}`; greedy {:.2} %), written to {}",
            tuned.best.alpha,
            tuned.best.beta,
            tuned.best.wer,
            tuned.split,
            tuned.greedy_wer,
            tuned.written.display()
        )?;
        writeln!(
            out,
            "  evaluate with it: trainer eval {} --split test --decoder beam --lm {} --alpha {} --beta {}",
            run.id.short(),
            tuned.lm.display(),
            tuned.best.alpha,
            tuned.best.beta
        )?;
        Ok(ExitCode::SUCCESS)
    }
}
