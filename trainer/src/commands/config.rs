//! `trainer config resolve|hash`: what an experiment means, and its identity.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use dialekt_core::config::{Override, Resolved, resolve_file};
use dialekt_core::lineage::project_root;

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
    /// Reads and resolves the experiment.
    ///
    /// # Errors
    /// The config error, naming file:line:column or the override at fault.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        self.resolve_with_root().map(|(resolved, _)| resolved)
    }

    /// Reads and resolves the experiment; also returns the project root its paths are
    /// relative to.
    ///
    /// # Errors
    /// The config error, naming file:line:column or the override at fault.
    pub fn resolve_with_root(&self) -> anyhow::Result<(Resolved, PathBuf)> {
        let overrides = self
            .overrides
            .iter()
            .map(|text| Override::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let dir = self
            .experiment
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let root = project_root(dir);
        let resolved = resolve_file(&self.experiment, &overrides, &root)?;
        Ok((resolved, root))
    }
}

impl ConfigCommand {
    /// # Errors
    /// Config errors and stdout write failures.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mut out = std::io::stdout().lock();
        match self {
            Self::Resolve { input, json } => {
                let resolved = input.resolve()?;
                let text = if json {
                    serde_json::to_string_pretty(&resolved.experiment.to_json())? + "\n"
                } else {
                    resolved.experiment.to_yaml()
                };
                out.write_all(text.as_bytes())
                    .context("writing to stdout")?;
            }
            Self::Hash { input } => {
                let resolved = input.resolve()?;
                writeln!(out, "{}", resolved.experiment.content_hash())
                    .context("writing to stdout")?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
