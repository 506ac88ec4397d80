//! `trainer config resolve|hash`: what an experiment means, and its identity.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::plan::ExperimentSource;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved experiment: every default materialised, fragments merged,
    /// overrides applied, paths made project-relative.
    Resolve {
        #[command(flatten)]
        input: ExperimentArgs,
        /// Print JSON instead of YAML.
        #[arg(long)]
        json: bool,
    },
    /// Print the config hash (SHA-256 of the canonical resolved config).
    Hash {
        #[command(flatten)]
        input: ExperimentArgs,
    },
}

/// An experiment file and command-line overrides; shared by every command that reads one.
#[derive(Debug, Clone, Args)]
pub struct ExperimentArgs {
    /// Experiment YAML (e.g. experiments/danish.yaml).
    pub experiment: PathBuf,
    /// Override one key, e.g. `--set optimizer.config.lr=1e-5` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

impl ExperimentArgs {
    /// The experiment as the library takes it.
    #[must_use]
    pub fn source(&self) -> ExperimentSource {
        ExperimentSource {
            path: self.experiment.clone(),
            overrides: self.overrides.clone(),
        }
    }
}

impl ConfigCommand {
    /// # Errors
    /// Config errors and stdout write failures.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mut out = std::io::stdout().lock();
        match self {
            Self::Resolve { input, json } => {
                let resolved = input.source().resolve()?;
                let text = if json {
                    serde_json::to_string_pretty(&resolved.experiment.to_json())? + "\n"
                } else {
                    resolved.experiment.to_yaml()
                };
                out.write_all(text.as_bytes())
                    .context("writing to stdout")?;
            }
            Self::Hash { input } => {
                let resolved = input.source().resolve()?;
                writeln!(out, "{}", resolved.experiment.content_hash())
                    .context("writing to stdout")?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
