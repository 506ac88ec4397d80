//! fairseq2 checkpoints in and out.
//!
//! In: the released omniASR file (`{"model": state_dict, "fs2": True}`) or a fine-tuned
//! fairseq2 checkpoint (`.../model/pp_00/tp_00/sdp_00.pt`, a bare state dict), read with the
//! pure-Rust `pytorch-reader` (no libtorch, no Python). Every tensor the arch needs must be
//! there with its exact shape, and nothing else may be: a silent partial load is the worst
//! failure a fine-tuning run can have.
//!
//! Out: [`export`] writes the same layouts back, so omnilingual-asr loads what we trained.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use pytorch_reader::{DType, PytorchError, PytorchReader};

use super::config::ArchConfig;
use super::pickle::{Layout, NamedTensor, write_checkpoint};
use super::weights::{Transform, expected_tensors, fairseq2_key, infer_arch};
use super::{ModelError, Wav2Vec2Asr};

/// Where fairseq2's checkpoint manager puts the model inside a `step_N` directory.
pub const FAIRSEQ2_MODEL_FILE: &str = "model/pp_00/tp_00/sdp_00.pt";

/// An opened checkpoint: tensor metadata only; data is read tensor by tensor on load.
#[derive(Debug)]
pub struct Checkpoint {
    pub path: PathBuf,
    pub layout: Layout,
    tensors: BTreeMap<String, pytorch_reader::Tensor>,
}

impl Checkpoint {
    /// Opens a `.pt` file, or a fairseq2 `step_N` directory (its [`FAIRSEQ2_MODEL_FILE`]).
    ///
    /// # Errors
    /// [`ModelError::OpenCheckpoint`] when the file is missing, truncated or not a torch file.
    pub fn open(path: &Path) -> Result<Self, ModelError> {
        let file = if path.is_dir() {
            path.join(FAIRSEQ2_MODEL_FILE)
        } else {
            path.to_owned()
        };
        let open_err = |source| ModelError::OpenCheckpoint {
            path: file.clone(),
            source,
        };
        let (reader, layout) = match PytorchReader::with_top_level_key(&file, "model") {
            Ok(reader) => (reader, Layout::Released),
            Err(PytorchError::KeyNotFound(_)) => (
                PytorchReader::new(&file).map_err(open_err)?,
                Layout::StateDict,
            ),
            Err(e) => return Err(open_err(e)),
        };
        let tensors = reader
            .into_tensors()
            .into_iter()
            // DDP-wrapped state dicts prefix every key (fairseq2 interop strips it too).
            .map(|(k, t)| {
                (
                    k.strip_prefix("module.").map_or(k.clone(), str::to_owned),
                    t,
                )
            })
            .collect();
        Ok(Self {
            path: file,
            layout,
            tensors,
        })
    }

    /// Every tensor's torch shape, by key.
    pub fn shapes(&self) -> BTreeMap<String, Vec<usize>> {
        self.tensors
            .iter()
            .map(|(k, t)| (k.clone(), t.shape().to_vec()))
            .collect()
    }

    /// Every tensor's dtype name, by key.
    pub fn dtypes(&self) -> BTreeMap<String, String> {
        self.tensors
            .iter()
            .map(|(k, t)| (k.clone(), format!("{:?}", t.dtype()).to_lowercase()))
            .collect()
    }

    /// The arch the shapes determine, with what had to be assumed (see [`infer_arch`]).
    ///
    /// # Errors
    /// [`ModelError::InferArch`].
    pub fn infer_arch(&self) -> Result<(ArchConfig, Vec<String>), ModelError> {
        infer_arch(&self.shapes())
    }

    /// Reads `key` as float32 values, checking it has the torch shape `expected`.
    ///
    /// # Errors
    /// As [`Self::read_data`].
    pub fn read_f32(&self, key: &str, expected: &[usize]) -> Result<Vec<f32>, ModelError> {
        let data = self.read_data(key, expected)?;
        // read_data only produces f32 data, so this conversion cannot fail.
        Ok(data
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default())
    }

    /// Reads `key` as float32 tensor data of torch shape `expected`.
    ///
    /// # Errors
    /// Missing tensor, wrong shape, unsupported dtype or unreadable (truncated) data, each
    /// naming the tensor, the shapes and the file.
    pub fn read_data(&self, key: &str, expected: &[usize]) -> Result<TensorData, ModelError> {
        let Some(tensor) = self.tensors.get(key) else {
            return Err(ModelError::MissingTensor {
                key: key.to_owned(),
                expected: expected.to_vec(),
                path: self.path.clone(),
            });
        };
        if tensor.shape() != expected {
            return Err(ModelError::ShapeMismatch {
                key: key.to_owned(),
                expected: expected.to_vec(),
                found: tensor.shape().to_vec(),
                path: self.path.clone(),
            });
        }
        let bytes = tensor.read().map_err(|source| ModelError::ReadTensor {
            key: key.to_owned(),
            shape: expected.to_vec(),
            path: self.path.clone(),
            source,
        })?;
        let shape = expected.to_vec();
        let values: Vec<f32> = match tensor.dtype() {
            // The common case: hand the bytes over without a per-element loop.
            DType::F32 => {
                return Ok(TensorData::from_bytes_vec(
                    bytes,
                    shape,
                    burn::tensor::DType::F32,
                ));
            }
            #[allow(clippy::cast_possible_truncation)] // checkpoint values are f32-representable
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|c| {
                    f64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
            DType::BF16 => bytes
                .chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(u16::from_ne_bytes([c[0], c[1]])) << 16))
                .collect(),
            other => {
                return Err(ModelError::UnsupportedDtype {
                    key: key.to_owned(),
                    shape: expected.to_vec(),
                    dtype: format!("{other:?}"),
                    path: self.path.clone(),
                });
            }
        };
        Ok(TensorData::new(values, shape))
    }
}

/// A model loaded from a checkpoint, with the arch it was built for.
#[derive(Debug)]
pub struct LoadedModel {
    pub model: Wav2Vec2Asr,
    pub arch: ArchConfig,
    /// What the arch inference had to assume (empty when the arch was given).
    pub assumed: Vec<String>,
    pub checkpoint: PathBuf,
}

/// Opens `path` and loads it into a new model on `device`; `arch` `None` infers it from the
/// tensor shapes.
///
/// # Errors
/// Any [`ModelError`] from opening, inferring or loading.
pub fn load_model(
    path: &Path,
    arch: Option<ArchConfig>,
    device: &Device,
) -> Result<LoadedModel, ModelError> {
    let checkpoint = Checkpoint::open(path)?;
    let (arch, assumed) = match arch {
        Some(arch) => (arch, Vec::new()),
        None => checkpoint.infer_arch()?,
    };
    let model = load(Wav2Vec2Asr::new(&arch, device)?, &checkpoint)?;
    Ok(LoadedModel {
        model,
        arch,
        assumed,
        checkpoint: checkpoint.path,
    })
}

/// Replaces every parameter of `model` by the checkpoint's tensor (strict: all keys, exact
/// shapes, no leftovers).
///
/// # Errors
/// The first missing/mismatched/unreadable tensor, or [`ModelError::UnexpectedTensors`].
pub fn load(model: Wav2Vec2Asr, checkpoint: &Checkpoint) -> Result<Wav2Vec2Asr, ModelError> {
    let mut loader = Loader {
        checkpoint,
        path: Vec::new(),
        parents: Vec::new(),
        used: BTreeSet::new(),
        error: None,
    };
    let model = model.map(&mut loader);
    if let Some(error) = loader.error {
        return Err(error);
    }
    let unused: Vec<&String> = checkpoint
        .tensors
        .keys()
        .filter(|k| !loader.used.contains(*k))
        .collect();
    if let Some(first) = unused.first() {
        return Err(ModelError::UnexpectedTensors {
            count: unused.len(),
            first: (*first).clone(),
            path: checkpoint.path.clone(),
        });
    }
    Ok(model)
}

/// Walks the module tree, swapping each parameter for its checkpoint tensor.
struct Loader<'a> {
    checkpoint: &'a Checkpoint,
    path: Vec<String>,
    /// Container type of the module owning `path[i]` (`Struct:Linear`, `Vec`, ...).
    parents: Vec<String>,
    used: BTreeSet<String>,
    error: Option<ModelError>,
}

impl Loader<'_> {
    fn tensor<const D: usize>(
        &mut self,
        param: &Param<Tensor<D>>,
    ) -> Result<Tensor<D>, ModelError> {
        let parent = self.parents.last().map_or("", String::as_str);
        let (key, transform) = fairseq2_key(&self.path, parent);
        let mut shape = param.lazy_shape().dims::<D>().to_vec();
        if transform == Transform::Transpose {
            shape.reverse();
        }
        let data = self.checkpoint.read_data(&key, &shape)?;
        self.used.insert(key);
        let tensor = Tensor::<D>::from_data(data, &param.lazy_device());
        Ok(match transform {
            Transform::Identity => tensor,
            Transform::Transpose => tensor.swap_dims(0, 1),
        })
    }
}

impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_owned());
        self.parents.push(container_type.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.parents.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        match self.tensor(&param) {
            Ok(tensor) => {
                let id = param.id;
                param.transform_for_load(tensor, id)
            }
            Err(e) => {
                self.error = Some(e);
                param
            }
        }
    }
}

/// Every parameter as `(fairseq2 key, torch shape, values)`, in fairseq2's key order.
pub fn named_tensors(model: &Wav2Vec2Asr, arch: &ArchConfig) -> Vec<NamedTensor> {
    let mut collector = Collector {
        path: Vec::new(),
        parents: Vec::new(),
        tensors: Vec::new(),
    };
    model.visit(&mut collector);
    let order: BTreeMap<String, usize> = expected_tensors(arch)
        .into_iter()
        .enumerate()
        .map(|(i, (k, _))| (k, i))
        .collect();
    let mut tensors = collector.tensors;
    tensors.sort_by_key(|t| order.get(&t.key).copied().unwrap_or(usize::MAX));
    tensors
}

/// Writes `model` as a fairseq2 checkpoint: `Layout::Released` is what omnilingual-asr's
/// asset cards point at; `Layout::StateDict` is fairseq2's `sdp_00.pt`.
///
/// # Errors
/// [`ModelError::Write`] naming `path`.
pub fn export(
    model: &Wav2Vec2Asr,
    arch: &ArchConfig,
    path: &Path,
    layout: Layout,
) -> Result<(), ModelError> {
    write_checkpoint(path, &named_tensors(model, arch), layout)
}

struct Collector {
    path: Vec<String>,
    parents: Vec<String>,
    tensors: Vec<NamedTensor>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_owned());
        self.parents.push(container_type.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.parents.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let parent = self.parents.last().map_or("", String::as_str);
        let (key, transform) = fairseq2_key(&self.path, parent);
        let tensor = param.val();
        let tensor = match transform {
            Transform::Identity => tensor,
            Transform::Transpose => tensor.swap_dims(0, 1),
        };
        let shape = tensor.dims().to_vec();
        // A float tensor converts to f32 whatever its dtype; an error here is a burn bug.
        let values = tensor
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        self.tensors.push(NamedTensor { key, shape, values });
    }
}
