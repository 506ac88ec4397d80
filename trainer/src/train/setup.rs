//! From a [`RunPlan`]'s model and tokenizer to loaded ones, and a record of where each came
//! from (the lineage of the starting weights). [`Inputs::check`] runs before anything slow:
//! a missing checkpoint, tokenizer or dataset is reported at once, all of them together,
//! each with where to put it or how to make it.

use std::path::{Path, PathBuf};

use burn::module::Module as _;
use burn::tensor::Device;
use dialekt_core::ContentHash;
use dialekt_model::checkpoint::{Checkpoint, load};
use dialekt_model::{ArchConfig, Wav2Vec2Asr};
use dialekt_text::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::assets::{AssetError, AssetFile};
use crate::plan::{RunPlan, TokenizerFile, TokenizerSpec, Weights};

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

/// A located starting point: the checkpoint file to load (if any) and the arch.
#[derive(Debug, Clone)]
pub struct ModelPlan {
    pub arch: ArchConfig,
    pub checkpoint: Option<(Option<String>, PathBuf)>,
}

impl ModelPlan {
    /// Finds the plan's starting weights on disk (downloading a released model first under
    /// [`Fetch::Download`]).
    ///
    /// # Errors
    /// A `model.path` that does not exist; an asset not in the cache that is not to be (or
    /// could not be) downloaded, naming the URL and the path to put it at.
    pub fn locate(plan: &RunPlan, fetch: Fetch) -> Result<Self, Error> {
        let checkpoint = match &plan.model.weights {
            Weights::File { asset, path } => {
                let path = plan.project_root.join(path);
                if !path.exists() {
                    return Err(Error::config(
                        "model.path",
                        format!("checkpoint {} does not exist", path.display()),
                    ));
                }
                Some((asset.clone(), path))
            }
            Weights::Asset(asset) => {
                Some((Some(asset.name.to_owned()), fetch.get(asset.checkpoint())?))
            }
            Weights::Scratch => None,
        };
        Ok(Self {
            arch: plan.model.arch.clone(),
            checkpoint,
        })
    }

    /// The file the starting weights are read from (and hashed by in lineage): a fairseq2
    /// `.pt`, or the `model.bpk` of a dialekt checkpoint. Empty for a scratch start.
    #[must_use]
    pub fn weights_file(&self) -> PathBuf {
        self.checkpoint
            .as_ref()
            .map_or_else(PathBuf::new, |(_, path)| {
                dialekt_checkpoint(path).unwrap_or_else(|| path.clone())
            })
    }

    /// Builds the model on `device` (seeded first, so a scratch model is reproducible).
    ///
    /// # Errors
    /// An unreadable checkpoint or one that does not fit the arch, naming the file.
    pub fn build(&self, device: &Device, seed: u64) -> Result<(Wav2Vec2Asr, ModelOrigin), Error> {
        device.seed(seed);
        let model = Wav2Vec2Asr::new(&self.arch, device)?;
        let Some((asset, path)) = &self.checkpoint else {
            return Ok((
                model.with_deterministic_ids(),
                ModelOrigin::Scratch { seed },
            ));
        };
        let file = self.weights_file();
        let model = if file == *path {
            load(model, &Checkpoint::open(path)?)?
        } else {
            // A checkpoint of an earlier dialekt run (burnpack), e.g. a pre-training run.
            model
                .try_load_file(&file)
                .map_err(|source| Error::record("loading", &file, source))?
        };
        let model = model.with_deterministic_ids();
        let sha256 = ContentHash::of_file(&file)?;
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
pub(crate) fn dialekt_checkpoint(path: &Path) -> Option<PathBuf> {
    if path.extension().is_some_and(|e| e == "bpk") {
        return Some(path.to_owned());
    }
    let inside = path.join("model.bpk");
    inside.is_file().then_some(inside)
}

/// Where the tokenizer came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerOrigin {
    pub name: String,
    pub path: PathBuf,
    pub sha256: ContentHash,
}

/// Reads the plan's tokenizer (the asset's file downloaded first under
/// [`Fetch::Download`]).
///
/// # Errors
/// A missing file (naming where it is expected and where it comes from) or a malformed one.
pub fn tokenizer(
    spec: &TokenizerSpec,
    fetch: Fetch,
) -> Result<(Tokenizer, TokenizerOrigin), Error> {
    let path = match &spec.file {
        TokenizerFile::Path(path) => {
            if !path.is_file() {
                return Err(Error::config(
                    "tokenizer.path",
                    format!("{} does not exist (a SentencePiece model)", path.display()),
                ));
            }
            path.clone()
        }
        TokenizerFile::Asset(card) => fetch.get(*card)?,
    };
    let tokenizer = Tokenizer::from_file(&path).map_err(|source| Error::Tokenizer {
        path: path.clone(),
        source,
    })?;
    let sha256 = ContentHash::of_file(&path)?;
    Ok((
        tokenizer,
        TokenizerOrigin {
            name: spec.name.clone(),
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
    fn get(self, file: AssetFile) -> Result<PathBuf, AssetError> {
        match self {
            Self::Download => file.fetch(),
            Self::CacheOnly => file.resolve(),
        }
    }
}

/// What a run starts from, checked to exist and to fit together.
#[derive(Debug)]
pub struct Inputs {
    pub model: ModelPlan,
    pub tokenizer: Tokenizer,
    pub tokenizer_origin: TokenizerOrigin,
}

impl Inputs {
    /// Checks that the prepared data, the starting weights and the tokenizer exist and
    /// that the tokenizer fits the model's head; every missing piece is reported at once,
    /// each with how to get it. Weights and tokenizer are downloaded only for a run that
    /// can then start.
    ///
    /// # Errors
    /// [`Error::MissingInputs`] listing what is missing, or [`Error::VocabMismatch`].
    pub fn check(plan: &RunPlan) -> Result<Self, Error> {
        let mut missing = Vec::new();
        if let Err(problem) = plan.check_data() {
            missing.push(problem.to_string());
        }
        let fetch = if missing.is_empty() {
            Fetch::Download
        } else {
            Fetch::CacheOnly
        };
        let model = ModelPlan::locate(plan, fetch)
            .map_err(|e| missing.push(e.to_string()))
            .ok();
        let tokenizer = tokenizer(&plan.tokenizer, fetch)
            .map_err(|e| missing.push(crate::error::chain(&e)))
            .ok();
        let (Some(model), Some((tokenizer, tokenizer_origin)), true) =
            (model, tokenizer, missing.is_empty())
        else {
            return Err(Error::MissingInputs(missing));
        };
        if tokenizer.vocab_size() != model.arch.target_vocab_size {
            return Err(Error::VocabMismatch {
                tokenizer: tokenizer_origin.path,
                pieces: tokenizer.vocab_size(),
                head: model.arch.target_vocab_size,
            });
        }
        Ok(Self {
            model,
            tokenizer,
            tokenizer_origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use dialekt_core::config::Experiment;

    use super::*;

    #[test]
    fn a_missing_tokenizer_says_where_to_put_it() {
        let mut experiment = Experiment::default();
        experiment.dataset.path = Some("data".into());
        experiment.model.arch = Some("300m".into());
        let plan = RunPlan::new(experiment, PathBuf::from(".")).unwrap();
        let err = tokenizer(&plan.tokenizer, Fetch::CacheOnly)
            .unwrap_err()
            .to_string();
        assert!(err.contains("omniASR_tokenizer.model"), "{err}");
    }
}
