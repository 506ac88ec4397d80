//! `trainer model ...`: look inside and convert omniASR checkpoints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};

use burn::module::Module as _;
use burn::tensor::Device;

use crate::assets::asset::{ASSETS, Asset, AssetFile, TOKENIZERS, resolve_model};
use crate::train::setup::dialekt_checkpoint;
use dialekt_model::backend::{self, Accelerator, BackendName};
use dialekt_model::checkpoint::{Checkpoint, export, load_model};
use dialekt_model::pickle::Layout;
use dialekt_model::weights::expected_tensors;
use dialekt_model::{ArchConfig, Wav2Vec2Asr};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Show a checkpoint's arch, tensors, parameter count and dtypes (reads no tensor data).
    Inspect(InspectArgs),
    /// Load a checkpoint and write it back in a fairseq2 layout (verifies every tensor).
    Export(ExportArgs),
    /// Download released assets (checkpoint and tokenizer) into the model cache, e.g. on
    /// a login node before jobs run on offline compute nodes. Resumes a broken download.
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Asset names (`omniASR_CTC_300M`, ...) or tokenizer names (`omniASR_tokenizer`).
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A `.pt` file, a fairseq2 `step_N` directory, or an asset name (`omniASR_CTC_300M`).
    pub checkpoint: String,
    /// Arch preset (`300m`, `1b_v2`, ...) or YAML/JSON file; inferred from the shapes otherwise.
    #[arg(long)]
    pub arch: Option<String>,
    /// List every tensor with its shape and dtype.
    #[arg(long)]
    pub tensors: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Checkpoint to read: a `.pt`, a fairseq2 `step_N` directory, an asset name, or a
    /// dialekt run's `checkpoints/step_N` (its arch read from the run's `origin.json`).
    pub checkpoint: String,
    /// Where to write the `.pt` file.
    pub output: PathBuf,
    #[arg(long)]
    pub arch: Option<String>,
    /// `released` = `{"model": ..., "fs2": True}` (asset cards); `state-dict` = `sdp_00.pt`.
    #[arg(long, value_enum, default_value_t = ExportLayout::Released)]
    pub layout: ExportLayout,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportLayout {
    Released,
    StateDict,
}

impl ModelCommand {
    /// # Errors
    /// Unreadable or mismatched checkpoints, with the file and tensor named.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Inspect(args) => args.run(),
            Self::Export(args) => args.run(),
            Self::Fetch(args) => args.run(),
        }
    }
}

impl FetchArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let files = self
            .names
            .iter()
            .map(
                |name| match (Asset::by_name(name), AssetFile::tokenizer(name)) {
                    (Some(asset), _) => Ok(vec![asset.checkpoint(), asset.tokenizer()]),
                    (None, Some(tokenizer)) => Ok(vec![tokenizer]),
                    (None, None) => anyhow::bail!(
                        "unknown asset `{name}` (known: {}, {})",
                        ASSETS.map(|a| a.name).join(", "),
                        TOKENIZERS.map(|t| t.name).join(", ")
                    ),
                },
            )
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut out = std::io::stdout().lock();
        for file in files.into_iter().flatten() {
            let path = file.fetch()?;
            writeln!(out, "{}\t{}", file.name, path.display())?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl InspectArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let (path, asset) = resolve_model(&self.checkpoint)?;
        let checkpoint = Checkpoint::open(&path)?;
        let shapes = checkpoint.shapes();
        let dtypes = checkpoint.dtypes();
        let (arch, assumed) = match (self.arch.as_deref(), asset) {
            (Some(arch), _) => (ArchConfig::from_name_or_file(arch)?, Vec::new()),
            (None, Some(asset)) => (ArchConfig::preset(asset.arch)?, Vec::new()),
            (None, None) => checkpoint
                .infer_arch()
                .context("inferring the arch; pass --arch")?,
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "checkpoint: {}", checkpoint.path.display())?;
        writeln!(out, "layout:     {:?}", checkpoint.layout)?;
        let stored: u64 = shapes
            .values()
            .map(|s| s.iter().product::<usize>() as u64)
            .sum();
        writeln!(out, "tensors:    {} ({stored} values)", shapes.len())?;
        let mut by_dtype = std::collections::BTreeMap::<&str, usize>::new();
        for dtype in dtypes.values() {
            *by_dtype.entry(dtype).or_default() += 1;
        }
        writeln!(out, "dtypes:     {by_dtype:?}")?;
        writeln!(out, "arch:       {}", serde_json::to_string(&arch)?)?;
        for a in &assumed {
            writeln!(out, "assumed:    {a}")?;
        }
        writeln!(out, "parameters: {} (from the arch)", arch.param_count())?;
        let expected = expected_tensors(&arch);
        let missing = expected
            .iter()
            .filter(|(k, _)| !shapes.contains_key(k))
            .count();
        let mismatched = expected
            .iter()
            .filter(|(k, s)| shapes.get(k).is_some_and(|found| found != s))
            .count();
        let unexpected = shapes
            .keys()
            .filter(|k| !expected.iter().any(|(e, _)| e == *k))
            .count();
        let verdict = if missing + mismatched + unexpected == 0 {
            "ok"
        } else {
            "MISMATCH"
        };
        writeln!(
            out,
            "matches arch: {verdict} ({} expected, {missing} missing, {mismatched} wrong shape, {unexpected} unexpected)",
            expected.len()
        )?;
        if self.tensors {
            for (key, shape) in &shapes {
                let dtype = dtypes.get(key).map_or("?", String::as_str);
                writeln!(out, "  {key}\t{shape:?}\t{dtype}")?;
            }
        }
        Ok(if verdict == "ok" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

impl ExportArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let (path, asset) = resolve_model(&self.checkpoint)?;
        let arch = match (self.arch.as_deref(), asset) {
            (Some(arch), _) => Some(ArchConfig::from_name_or_file(arch)?),
            (None, Some(asset)) => Some(ArchConfig::preset(asset.arch)?),
            (None, None) => None,
        };
        // Pure-Rust CPU is enough to move tensors; prefer it so export needs no libtorch.
        let backend = if backend::is_compiled(BackendName::Flex) {
            BackendName::Flex
        } else {
            backend::default_compiled()
        };
        let device = backend::device(backend, Accelerator::Cpu)?;
        let (model, arch) = match dialekt_checkpoint(&path) {
            Some(file) => load_dialekt_checkpoint(&file, arch, &device)?,
            None => {
                let loaded = load_model(&path, arch, &device)?;
                (loaded.model, loaded.arch)
            }
        };
        let layout = match self.layout {
            ExportLayout::Released => Layout::Released,
            ExportLayout::StateDict => Layout::StateDict,
        };
        export(&model, &arch, &self.output, layout)?;
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "wrote {} ({} parameters)",
            self.output.display(),
            arch.param_count()
        )?;
        Ok(ExitCode::SUCCESS)
    }
}

/// A dialekt run's checkpoint (`runs/<id>/checkpoints/step_N/model.bpk`), e.g. a
/// pre-training run's, with the arch its run recorded in `origin.json` unless `--arch`
/// names one.
fn load_dialekt_checkpoint(
    file: &Path,
    arch: Option<ArchConfig>,
    device: &Device,
) -> anyhow::Result<(Wav2Vec2Asr, ArchConfig)> {
    let arch = match arch {
        Some(arch) => arch,
        None => {
            // model.bpk → step_N → checkpoints → the run directory.
            let origin = file
                .ancestors()
                .nth(3)
                .map(|run| run.join("origin.json"))
                .filter(|origin| origin.is_file())
                .with_context(|| {
                    format!(
                        "{}: no origin.json of its run to read the arch from; pass --arch",
                        file.display()
                    )
                })?;
            let recorded: RecordedArch = serde_json::from_slice(&fs_err::read(&origin)?)
                .with_context(|| format!("{}: no `arch` in it", origin.display()))?;
            recorded.arch
        }
    };
    let model = Wav2Vec2Asr::new(&arch, device)?
        .try_load_file(file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok((model, arch))
}

/// The part of a run's `origin.json` export needs.
#[derive(serde::Deserialize)]
struct RecordedArch {
    arch: ArchConfig,
}
