//! Command-line interface: one subcommand group per concept, each implemented in
//! [`crate::commands`]. This is the only layer that uses `anyhow`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;

/// `trainer --version`: the crate version, the features built in, which decide the
/// backends a config may name (and which `reproduce` gives a rebuilt trainer), and the
/// build's optimisation, which decides how fast a step is.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (features: ",
    env!("DIALEKT_FEATURES"),
    "; ",
    env!("DIALEKT_PROFILE"),
    " profile, opt-level ",
    env!("DIALEKT_OPT_LEVEL"),
    ")"
);

/// Fine-tune CTC speech models on Danish as reproducible, content-addressed experiments.
#[derive(Debug, Parser)]
#[command(name = "trainer", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve an experiment config and compute its content hash.
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Data sets: CoRal preparation and content manifests.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// omniASR checkpoints: inspect, export to the fairseq2 layout.
    #[command(subcommand)]
    Model(commands::model::ModelCommand),
    /// Data-parallel gangs (libtorch c10d): check that one forms and sums correctly.
    #[command(subcommand)]
    Dist(commands::dist::DistCommand),
    /// Train an experiment (or resume it): the main job.
    Run(commands::run::RunArgs),
    /// Decode a split with a run's checkpoint: per-utterance results and CoRal breakdowns.
    Eval(commands::eval::EvalArgs),
    /// Re-run a recorded run and verify it matches (metrics hash chain, weights).
    Reproduce(commands::reproduce::ReproduceArgs),
    /// Submit an experiment, or a sweep over it, as a Slurm or LSF batch job.
    Submit(commands::submit::SubmitArgs),
    /// Transcripts (greedy, or beam search with an n-gram LM) and logits of audio files.
    Transcribe(commands::transcribe::TranscribeArgs),
    /// Transcripts of stored logits (`.npy`), greedy or beam search with an n-gram LM.
    Decode(commands::decode::DecodeArgs),
    /// N-gram language models: build one from text, tune its weights on dev.
    #[command(subcommand)]
    Lm(commands::lm::LmCommand),
    /// The browser report of a run store: build a static folder, or serve it live.
    #[command(subcommand)]
    Report(commands::report::ReportCommand),
    /// Inspect and compare recorded runs.
    #[command(subcommand)]
    Runs(commands::runs::RunsCommand),
    /// Transcript normalisation (CoRal or omniASR style).
    #[command(subcommand)]
    Text(commands::text::TextCommand),
    /// WER/CER (jiwer-exact) by dialect, age and gender, with bootstrap intervals.
    Score(commands::score::ScoreArgs),
}

/// Runs one parsed command line.
///
/// # Errors
/// Whatever the command fails with, with context naming the file or key involved.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config(command) => command.run(),
        Command::Data(command) => command.run(),
        Command::Model(command) => command.run(),
        Command::Dist(command) => command.run(),
        Command::Run(args) => args.run(),
        Command::Eval(args) => args.run(),
        Command::Reproduce(args) => args.run(),
        Command::Submit(args) => args.run(),
        Command::Transcribe(args) => args.run(),
        Command::Decode(args) => args.run(),
        Command::Lm(command) => command.run(),
        Command::Report(command) => command.run(),
        Command::Runs(command) => command.run(),
        Command::Text(command) => command.run(),
        Command::Score(command) => command.run(),
    }
}
