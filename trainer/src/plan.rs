//! The resolved run plan: what an experiment means for this process, built once from the
//! hashed [`Experiment`] (ripgrep's low-args → high-args step). The config is what a run
//! *is*; the plan is what every command and the training driver *use*: the typed backend
//! and device, the data root and split names, the model's dimensions and where its weights
//! come from, the tokenizer, the precision. Nothing downstream re-derives these.
//!
//! Building a plan reads no data and downloads nothing, so a plan is cheap and every
//! problem it can see (no `dataset.path`, an unknown asset or tokenizer, inconsistent
//! dimensions) is reported before anything slow starts.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use dialekt_core::config::{
    BackendName, DeviceSpec, Dtype, EncoderConfigOverrides, Experiment, MixedPrecisionMode,
    ModelSection, Override, Resolved, resolve_file,
};
use dialekt_core::lineage::project_root;
use dialekt_model::ArchConfig;
use dialekt_model::backend::{self, Accelerator};

use crate::Error;
use crate::assets::{ASSETS, Asset, AssetFile, TOKENIZERS};

/// An experiment as a user names it: a YAML file and `--set key=value` overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentSource {
    pub path: PathBuf,
    pub overrides: Vec<String>,
}

impl ExperimentSource {
    /// The project the experiment belongs to: the git work tree around its file (paths in
    /// the experiment are stored relative to it).
    #[must_use]
    pub fn project_root(&self) -> PathBuf {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        project_root(dir)
    }

    /// Reads, merges, defaults and validates the experiment.
    ///
    /// # Errors
    /// The config error, naming file:line:column or the override at fault.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let overrides = self
            .overrides
            .iter()
            .map(|text| Override::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(resolve_file(&self.path, &overrides, &self.project_root())?)
    }
}

/// Everything a run of an experiment uses, resolved and typed.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The hashed config the plan was built from.
    pub experiment: Experiment,
    pub project_root: PathBuf,
    pub backend: BackendName,
    pub device: DeviceSpec,
    /// `dataset.path` as written (project-relative), for messages and commands to type.
    pub dataset_path: String,
    /// `dataset.path` resolved: the prepared data.
    pub data_root: PathBuf,
    pub train_split: String,
    pub valid_split: Option<String>,
    pub model: ModelSpec,
    pub tokenizer: TokenizerSpec,
    pub precision: Precision,
}

impl RunPlan {
    /// The plan of `experiment` (already resolved and validated), whose paths are
    /// relative to `project_root`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key: no `dataset.path`, no model source, an unknown
    /// arch, asset or tokenizer, inconsistent `model.config_overrides`.
    pub fn new(experiment: Experiment, project_root: PathBuf) -> Result<Self, Error> {
        let dataset = &experiment.dataset;
        let dataset_path = dataset.path.clone().ok_or_else(|| {
            Error::config(
                "dataset.path",
                "is not set: point it at data prepared by `trainer data prepare`",
            )
        })?;
        Ok(Self {
            backend: experiment.backend.name,
            device: experiment.backend.device,
            data_root: project_root.join(&dataset_path),
            dataset_path,
            // fairseq2's default train split; the valid split's default is the schema's.
            train_split: dataset
                .train_split
                .clone()
                .unwrap_or_else(|| "train".into()),
            valid_split: dataset.valid_split.clone(),
            model: ModelSpec::new(&experiment.model)?,
            tokenizer: TokenizerSpec::new(&experiment, &project_root)?,
            precision: Precision::of(&experiment),
            experiment,
            project_root,
        })
    }

    /// Resolves `source` and plans it.
    ///
    /// # Errors
    /// As [`ExperimentSource::resolve`] and [`RunPlan::new`].
    pub fn from_source(source: &ExperimentSource) -> Result<(Self, Resolved), Error> {
        let resolved = source.resolve()?;
        let plan = Self::new(resolved.experiment.clone(), source.project_root())?;
        Ok((plan, resolved))
    }

    /// Whether `dataset.path` holds prepared data (what training reads).
    ///
    /// # Errors
    /// [`Error::Config`] on `dataset.path`, with the command that prepares it.
    pub fn check_data(&self) -> Result<(), Error> {
        if self.data_root.join("version=0").is_dir() {
            return Ok(());
        }
        Err(self.unprepared(format!("no prepared data in {}", self.data_root.display())))
    }

    /// Whether `dataset.path` exists (what a run's manifest hashes).
    ///
    /// # Errors
    /// [`Error::Config`] on `dataset.path`, with the command that prepares it.
    pub fn check_data_dir(&self) -> Result<(), Error> {
        if self.data_root.is_dir() {
            return Ok(());
        }
        Err(self.unprepared(format!("{} does not exist", self.data_root.display())))
    }

    fn unprepared(&self, problem: String) -> Error {
        Error::config(
            "dataset.path",
            format!(
                "{problem}: prepare CoRal into it with `trainer data prepare --coral <dir of CoRal parquet shards> --out {}`",
                self.dataset_path
            ),
        )
    }

    /// The device to compute on: `backend.device` resolved on this machine; a rank of a
    /// gang (`local_rank`) takes its own GPU (see [`Accelerator::choose`]). Inference
    /// devices have no autodiff: call `.autodiff()` to train.
    ///
    /// # Errors
    /// A backend not compiled in, or a device it cannot use (naming `backend`).
    pub fn inference_device(&self, local_rank: Option<usize>) -> Result<Device, Error> {
        let accelerator = Accelerator::choose(
            self.device,
            self.backend,
            backend::nvidia_driver_present(),
            local_rank,
        );
        backend::device(self.backend, accelerator).map_err(|e| Error::config("backend", e))
    }
}

/// The model a run starts from: its dimensions and where its weights come from.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// `model.arch` (or the asset's) with `model.config_overrides` applied.
    pub arch: ArchConfig,
    pub weights: Weights,
}

/// Where the starting weights come from, in the order the config is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Weights {
    /// `model.path`: a fairseq2 `.pt`, or a dialekt checkpoint (`step_N/` or its
    /// `model.bpk`); `asset` is `model.name` when both are set.
    File {
        asset: Option<String>,
        path: PathBuf,
    },
    /// `model.name` alone: a released asset, from a cache or downloaded.
    Asset(Asset),
    /// `model.arch` alone: a random initialisation seeded by the run's seed.
    Scratch,
}

impl ModelSpec {
    /// # Errors
    /// [`Error::Config`] naming `model`, `model.name`, `model.arch` or
    /// `model.config_overrides`.
    fn new(section: &ModelSection) -> Result<Self, Error> {
        let asset = section
            .name
            .as_deref()
            .map(|name| {
                Asset::by_name(name).ok_or_else(|| {
                    let known = ASSETS.map(|a| a.name).join(", ");
                    Error::config(
                        "model.name",
                        format!("unknown asset `{name}` (known: {known})"),
                    )
                })
            })
            .transpose()?;
        let arch_name = section.arch.as_deref().or(asset.map(|a| a.arch)).ok_or_else(|| {
            Error::config(
                "model",
                "set `name` (an asset such as omniASR_CTC_300M) or `arch` (a preset such as 300m: with `path` to load a checkpoint, alone for a random initialisation)",
            )
        })?;
        let preset = ArchConfig::preset(arch_name).map_err(|e| Error::config("model.arch", e))?;
        let arch = with_overrides(preset, section)?;
        let weights = match (section.path.as_deref(), asset) {
            (Some(path), _) => Weights::File {
                asset: section.name.clone(),
                path: PathBuf::from(path),
            },
            (None, Some(asset)) => Weights::Asset(asset),
            (None, None) => Weights::Scratch,
        };
        Ok(Self { arch, weights })
    }
}

/// The preset with `model.config_overrides` applied.
fn with_overrides(mut arch: ArchConfig, section: &ModelSection) -> Result<ArchConfig, Error> {
    let usize_of = |v: u64| {
        usize::try_from(v).map_err(|_| Error::config("model.config_overrides", "value too large"))
    };
    if let Some(v) = section.config_overrides.target_vocab_size {
        arch.target_vocab_size = usize_of(v)?;
    }
    let EncoderConfigOverrides {
        model_dim,
        feature_dim,
        feature_extractor_layer_descs,
        pos_conv_kernel_size,
        num_pos_conv_groups,
        num_encoder_layers,
        num_encoder_attn_heads,
        ffn_inner_dim,
        first_pass_dropout_p,
        ffn_inner_dropout_p,
        layer_drop_p,
    } = &section.config_overrides.encoder_config;
    for (slot, value) in [
        (&mut arch.model_dim, model_dim),
        (&mut arch.feature_dim, feature_dim),
        (&mut arch.pos_conv_kernel_size, pos_conv_kernel_size),
        (&mut arch.num_pos_conv_groups, num_pos_conv_groups),
        (&mut arch.num_encoder_layers, num_encoder_layers),
        (&mut arch.num_encoder_attn_heads, num_encoder_attn_heads),
        (&mut arch.ffn_inner_dim, ffn_inner_dim),
    ] {
        if let Some(v) = value {
            *slot = usize_of(*v)?;
        }
    }
    if let Some(descs) = feature_extractor_layer_descs {
        arch.feature_extractor_layer_descs = descs
            .iter()
            .map(|&[d, k, s]| Ok((usize_of(d)?, usize_of(k)?, usize_of(s)?)))
            .collect::<Result<_, Error>>()?;
    }
    for (slot, value) in [
        (&mut arch.first_pass_dropout_p, first_pass_dropout_p),
        (&mut arch.ffn_inner_dropout_p, ffn_inner_dropout_p),
        (&mut arch.layer_drop_p, layer_drop_p),
    ] {
        if let Some(v) = value {
            *slot = *v;
        }
    }
    arch.validate()
        .map_err(|e| Error::config("model.config_overrides", e))?;
    Ok(arch)
}

/// The tokenizer a run uses: `tokenizer.path`, or the file of the card `tokenizer.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerSpec {
    /// `tokenizer.name` (recorded in `origin.json`).
    pub name: String,
    pub file: TokenizerFile,
}

/// Where the tokenizer's SentencePiece model is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerFile {
    /// `tokenizer.path`, resolved.
    Path(PathBuf),
    /// A released tokenizer, from a cache or downloaded.
    Asset(AssetFile),
}

impl TokenizerSpec {
    /// # Errors
    /// [`Error::Config`] on `tokenizer.name` for an unknown card without a `path`.
    fn new(experiment: &Experiment, project_root: &Path) -> Result<Self, Error> {
        let section = &experiment.tokenizer;
        let file = match section.path.as_deref() {
            Some(path) => TokenizerFile::Path(project_root.join(path)),
            None => TokenizerFile::Asset(AssetFile::tokenizer(&section.name).ok_or_else(|| {
                Error::config(
                    "tokenizer.name",
                    format!(
                        "unknown tokenizer `{}` (known: {}); or set tokenizer.path to a SentencePiece model",
                        section.name,
                        TOKENIZERS.map(|t| t.name).join(", ")
                    ),
                )
            })?),
        };
        Ok(Self {
            name: section.name.clone(),
            file,
        })
    }
}

/// `trainer.mixed_precision`: what the experiment asks to compute in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precision {
    pub mode: MixedPrecisionMode,
    pub dtype: Dtype,
}

impl Precision {
    fn of(experiment: &Experiment) -> Self {
        let mp = &experiment.trainer.mixed_precision;
        Self {
            mode: mp.mode,
            dtype: mp.dtype,
        }
    }

    /// The dtype matmul-class ops are asked to compute in: `dtype`, unless mixed
    /// precision is off.
    #[must_use]
    pub fn requested_compute(self) -> Dtype {
        if self.mode == MixedPrecisionMode::Off {
            Dtype::Float32
        } else {
            self.dtype
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment() -> Experiment {
        let mut experiment = Experiment::default();
        experiment.dataset.path = Some("data/demo".into());
        experiment.model.arch = Some("300m".into());
        experiment
    }

    fn plan(experiment: Experiment) -> Result<RunPlan, Error> {
        RunPlan::new(experiment, PathBuf::from("/project"))
    }

    #[test]
    fn overrides_change_only_what_they_name() {
        let mut experiment = experiment();
        experiment.model.config_overrides.target_vocab_size = Some(34);
        experiment
            .model
            .config_overrides
            .encoder_config
            .num_encoder_layers = Some(2);
        let plan = plan(experiment).unwrap();
        let preset = ArchConfig::preset("300m").unwrap();
        assert_eq!(plan.model.arch.target_vocab_size, 34);
        assert_eq!(plan.model.arch.num_encoder_layers, 2);
        assert_eq!(plan.model.arch.model_dim, preset.model_dim);
        assert_eq!(plan.model.weights, Weights::Scratch);
    }

    #[test]
    fn a_model_needs_a_source() {
        let mut experiment = experiment();
        experiment.model.arch = None;
        let err = plan(experiment).unwrap_err().to_string();
        assert!(err.contains("model: set `name`"), "{err}");
    }

    #[test]
    fn inconsistent_overrides_name_the_key() {
        let mut experiment = experiment();
        experiment
            .model
            .config_overrides
            .encoder_config
            .num_encoder_attn_heads = Some(7);
        let err = format!("{}", plan(experiment).unwrap_err());
        assert!(err.contains("model.config_overrides"), "{err}");
    }

    #[test]
    fn the_plan_resolves_paths_and_splits_once() {
        let plan = plan(experiment()).unwrap();
        assert_eq!(plan.data_root, Path::new("/project/data/demo"));
        assert_eq!(plan.train_split, "train");
        assert_eq!(plan.valid_split.as_deref(), Some("dev"));
        assert_eq!(plan.backend, BackendName::Tch);
        assert_eq!(plan.device, DeviceSpec::Auto);
        assert!(matches!(
            plan.tokenizer.file,
            TokenizerFile::Asset(file) if file.name == "omniASR_tokenizer"
        ));
    }

    #[test]
    fn a_missing_dataset_path_is_named_once() {
        let mut experiment = experiment();
        experiment.dataset.path = None;
        let err = plan(experiment).unwrap_err().to_string();
        assert!(err.starts_with("dataset.path: is not set"), "{err}");
    }

    #[test]
    fn unknown_assets_and_tokenizers_name_their_key() {
        let mut experiment = experiment();
        experiment.model.name = Some("omniASR_CTC_9T".into());
        let err = plan(experiment).unwrap_err().to_string();
        assert!(err.starts_with("model.name: unknown asset"), "{err}");
        let mut experiment = self::experiment();
        experiment.tokenizer.name = "nope".into();
        let err = plan(experiment).unwrap_err().to_string();
        assert!(
            err.starts_with("tokenizer.name: unknown tokenizer `nope`"),
            "{err}"
        );
    }
}
