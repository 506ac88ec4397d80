//! From an experiment's `model` and `tokenizer` sections to a model and tokenizer, and a
//! record of where each came from (the lineage of the starting weights).
//!
//! A model starts from, in this order: `model.path` (a fairseq2 checkpoint), `model.name`
//! (an omniASR asset in the local cache), or `model.arch` alone (a seeded random
//! initialisation). `model.config_overrides` changes the arch's dimensions in fairseq2's
//! field names. Everything is checked before any work starts, so a missing checkpoint is
//! reported at once with where to put it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use burn::module::Module as _;
use burn::tensor::Device;
use dialekt_core::ContentHash;
use dialekt_core::config::{EncoderConfigOverrides, Experiment, ModelSection};
use dialekt_text::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};

use crate::model::asset::{Asset, AssetFile, TOKENIZERS};
use crate::model::checkpoint::{Checkpoint, load};
use crate::model::{ArchConfig, Wav2Vec2Asr};

/// Where a run's starting weights came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelOrigin {
    /// A fairseq2 checkpoint file (an asset or a path), by content.
    Checkpoint {
        /// The asset name, when it was one.
        asset: Option<String>,
        path: PathBuf,
        sha256: ContentHash,
    },
    /// Random initialisation from the run's seed.
    Scratch { seed: u64 },
}

/// A resolved starting point: the checkpoint to load (if any) and the arch.
#[derive(Debug, Clone)]
pub struct ModelPlan {
    pub arch: ArchConfig,
    pub checkpoint: Option<(Option<String>, PathBuf)>,
}

impl ModelPlan {
    /// Resolves `experiment.model` against `project_root`.
    ///
    /// # Errors
    /// No model source, an unknown arch or asset, an asset not in the cache that is not
    /// to be (or could not be) downloaded, naming the URL and the path to put it at; a
    /// missing checkpoint file.
    pub fn resolve(
        experiment: &Experiment,
        project_root: &Path,
        fetch: Fetch,
    ) -> anyhow::Result<Self> {
        let section = &experiment.model;
        let arch = arch(experiment)?;
        let asset = asset(section)?;
        let checkpoint = match (section.path.as_deref(), asset) {
            (Some(path), _) => {
                let path = project_root.join(path);
                if !path.exists() {
                    bail!("model.path: checkpoint {} does not exist", path.display());
                }
                Some((section.name.clone(), path))
            }
            (None, Some(asset)) => {
                Some((Some(asset.name.to_owned()), fetch.get(asset.checkpoint())?))
            }
            (None, None) => None,
        };
        Ok(Self { arch, checkpoint })
    }

    /// Builds the model on `device` (seeded first, so a scratch model is reproducible).
    ///
    /// # Errors
    /// An unreadable checkpoint or one that does not fit the arch.
    pub fn build(&self, device: &Device, seed: u64) -> anyhow::Result<(Wav2Vec2Asr, ModelOrigin)> {
        device.seed(seed);
        let model = Wav2Vec2Asr::new(&self.arch, device)?;
        let Some((asset, path)) = &self.checkpoint else {
            return Ok((
                model.with_deterministic_ids(),
                ModelOrigin::Scratch { seed },
            ));
        };
        let (model, file) = match dialekt_checkpoint(path) {
            // A checkpoint of an earlier dialekt run (burnpack), e.g. a pre-training run.
            Some(file) => (
                model
                    .try_load_file(&file)
                    .with_context(|| format!("loading {}", file.display()))?,
                file,
            ),
            None => {
                let checkpoint = Checkpoint::open(path)?;
                let model = load(model, &checkpoint)
                    .with_context(|| format!("loading {}", path.display()))?;
                (model, path.clone())
            }
        };
        let model = model.with_deterministic_ids();
        let sha256 =
            ContentHash::of_file(&file).with_context(|| format!("hashing {}", file.display()))?;
        Ok((
            model,
            ModelOrigin::Checkpoint {
                asset: asset.clone(),
                path: file,
                sha256,
            },
        ))
    }
}

/// The parameters file when `path` is a dialekt checkpoint (`checkpoints/step_N/` or its
/// `model.bpk`) rather than a fairseq2 `.pt`.
fn dialekt_checkpoint(path: &Path) -> Option<PathBuf> {
    if path.extension().is_some_and(|e| e == "bpk") {
        return Some(path.to_owned());
    }
    let inside = path.join("model.bpk");
    inside.is_file().then_some(inside)
}

/// The asset `model.name` names, if any.
fn asset(section: &ModelSection) -> anyhow::Result<Option<Asset>> {
    section
        .name
        .as_deref()
        .map(|name| {
            Asset::by_name(name).with_context(|| {
                format!(
                    "model.name: unknown asset `{name}` (known: {})",
                    crate::model::asset::ASSETS.map(|a| a.name).join(", ")
                )
            })
        })
        .transpose()
}

/// The model's dimensions: `model.arch` (or the asset's arch) with
/// `model.config_overrides` applied. Needs no file.
///
/// # Errors
/// No model source, an unknown arch or asset, inconsistent overrides.
pub fn arch(experiment: &Experiment) -> anyhow::Result<ArchConfig> {
    let section = &experiment.model;
    let asset = asset(section)?;
    let arch_name = section
        .arch
        .as_deref()
        .or(asset.map(|a| a.arch))
        .context(
            "model: set `name` (an asset such as omniASR_CTC_300M) or `arch` (a preset such as 300m: with `path` to load a checkpoint, alone for a random initialisation)",
        )?;
    with_overrides(
        ArchConfig::preset(arch_name).context("model.arch")?,
        section,
    )
}

/// The preset with `model.config_overrides` applied.
fn with_overrides(mut arch: ArchConfig, section: &ModelSection) -> anyhow::Result<ArchConfig> {
    let o = &section.config_overrides;
    let usize_of = |v: u64| usize::try_from(v).context("model.config_overrides: value too large");
    if let Some(v) = o.target_vocab_size {
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
    } = &o.encoder_config;
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
            .collect::<anyhow::Result<_>>()?;
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
    arch.validate().context("model.config_overrides")?;
    Ok(arch)
}

/// Where the tokenizer came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerOrigin {
    pub name: String,
    pub path: PathBuf,
    pub sha256: ContentHash,
}

/// Reads the tokenizer `experiment.tokenizer` names: `path` if set, else the asset's
/// file from the model cache (downloaded first under [`Fetch::Download`]).
///
/// # Errors
/// A missing file (naming where it is expected and where it comes from) or a malformed one.
pub fn tokenizer(
    experiment: &Experiment,
    project_root: &Path,
    fetch: Fetch,
) -> anyhow::Result<(Tokenizer, TokenizerOrigin)> {
    let section = &experiment.tokenizer;
    let path = match section.path.as_deref() {
        Some(path) => {
            let path = project_root.join(path);
            if !path.is_file() {
                bail!(
                    "tokenizer.path: {} does not exist (a SentencePiece model)",
                    path.display()
                );
            }
            path
        }
        None => {
            let card = AssetFile::tokenizer(&section.name).with_context(|| {
                format!(
                    "tokenizer.name: unknown tokenizer `{}` (known: {}); or set tokenizer.path to a SentencePiece model",
                    section.name,
                    TOKENIZERS.map(|t| t.name).join(", ")
                )
            })?;
            fetch.get(card)?
        }
    };
    let tokenizer = Tokenizer::from_file(&path)
        .with_context(|| format!("reading tokenizer {}", path.display()))?;
    let sha256 =
        ContentHash::of_file(&path).with_context(|| format!("hashing {}", path.display()))?;
    Ok((
        tokenizer,
        TokenizerOrigin {
            name: section.name.clone(),
            path,
            sha256,
        },
    ))
}

/// What to do about an asset file no cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Download it (with a progress bar), unless `DIALEKT_OFFLINE` forbids it.
    Download,
    /// Report it, with where it comes from and where it goes: the pre-flight check
    /// uses this while other inputs are still missing, so nothing large is downloaded
    /// for a run that cannot start anyway.
    CacheOnly,
}

impl Fetch {
    fn get(self, file: AssetFile) -> Result<PathBuf, crate::model::ModelError> {
        match self {
            Self::Download => file.fetch(),
            Self::CacheOnly => file.resolve(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_change_only_what_they_name() {
        let mut experiment = Experiment::default();
        experiment.model.arch = Some("300m".into());
        experiment.model.config_overrides.target_vocab_size = Some(34);
        experiment
            .model
            .config_overrides
            .encoder_config
            .num_encoder_layers = Some(2);
        let plan = ModelPlan::resolve(&experiment, Path::new("."), Fetch::CacheOnly).unwrap();
        let preset = ArchConfig::preset("300m").unwrap();
        assert_eq!(plan.arch.target_vocab_size, 34);
        assert_eq!(plan.arch.num_encoder_layers, 2);
        assert_eq!(plan.arch.model_dim, preset.model_dim);
        assert!(plan.checkpoint.is_none());
    }

    #[test]
    fn a_model_needs_a_source() {
        let err = ModelPlan::resolve(&Experiment::default(), Path::new("."), Fetch::CacheOnly)
            .unwrap_err()
            .to_string();
        assert!(err.contains("model: set `name`"), "{err}");
    }

    #[test]
    fn inconsistent_overrides_name_the_key() {
        let mut experiment = Experiment::default();
        experiment.model.arch = Some("300m".into());
        experiment
            .model
            .config_overrides
            .encoder_config
            .num_encoder_attn_heads = Some(7);
        let err = format!(
            "{:#}",
            ModelPlan::resolve(&experiment, Path::new("."), Fetch::CacheOnly).unwrap_err()
        );
        assert!(err.contains("model.config_overrides"), "{err}");
    }

    #[test]
    fn a_missing_tokenizer_says_where_to_put_it() {
        let experiment = Experiment::default();
        let err = tokenizer(&experiment, Path::new("."), Fetch::CacheOnly)
            .unwrap_err()
            .to_string();
        assert!(err.contains("omniASR_tokenizer.model"), "{err}");
    }
}
