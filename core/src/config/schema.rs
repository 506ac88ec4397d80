//! The resolved experiment: every section of the omnilingual-asr recipe config
//! (`workflows/recipes/wav2vec2/asr/default_config.py` and the fairseq2 sections it
//! uses), plus dialekt's own keys (`seed`, `output`, `backend`, `include`, ...).
//!
//! Every `Default` below is the upstream dataclass default, so a YAML that sets only a
//! few keys means exactly what it means to fairseq2's `ConfigMerger`. Field names are
//! fairseq2's; doc comments quote its meaning. Unknown keys are rejected
//! (`deny_unknown_fields`), so a typo never silently becomes a default.

use serde::{Deserialize, Serialize};

/// One experiment, fully resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Experiment {
    /// Display name (defaults to the experiment file's stem). Not hashed.
    pub name: Option<String>,
    /// Free text for people. Not hashed.
    pub description: Option<String>,
    /// Fragments from `configs/` merged under this file, in order. Their content is
    /// hashed through the merge; the list itself is not.
    pub include: Vec<String>,
    /// Seed of every random number generator (fairseq2's `common.seed`).
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub seed: u64,
    /// Run store directory. Where results go does not change what they are: not hashed.
    pub output: String,
    pub backend: BackendSection,
    pub model: ModelSection,
    pub dataset: DatasetSection,
    pub tokenizer: TokenizerSection,
    pub optimizer: OptimizerSection,
    pub lr_scheduler: LrSchedulerSection,
    pub trainer: TrainerSection,
    pub regime: RegimeSection,
}

impl Default for Experiment {
    fn default() -> Self {
        Self {
            name: None,
            description: None,
            include: Vec::new(),
            seed: 2,
            output: "runs".to_owned(),
            backend: BackendSection::default(),
            model: ModelSection::default(),
            dataset: DatasetSection::default(),
            tokenizer: TokenizerSection::default(),
            optimizer: OptimizerSection::default(),
            lr_scheduler: LrSchedulerSection::default(),
            trainer: TrainerSection::default(),
            regime: RegimeSection::default(),
        }
    }
}

/// Which Burn backend runs the model, and on which device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackendSection {
    pub name: BackendName,
    pub device: DeviceSpec,
}

impl Default for BackendSection {
    fn default() -> Self {
        Self {
            name: BackendName::Tch,
            device: DeviceSpec::Auto,
        }
    }
}

/// `backend.device` as written: `auto`, `cpu`, `cuda` or `cuda:N`. Typed here so that a
/// bad value is a config error at its file, line and column, and written back as the same
/// string, so the config hash does not see the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceSpec {
    /// A CUDA GPU if the machine has an NVIDIA driver (and the backend can use it), else
    /// the CPU.
    Auto,
    Cpu,
    /// The process's own GPU: `cuda:LOCAL_RANK` in a data-parallel gang, else GPU 0.
    Cuda,
    /// One GPU, pinned.
    CudaIndex(usize),
}

impl std::str::FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Self::CudaIndex)
                .ok_or_else(|| {
                    format!("unknown device `{s}`: expected `auto`, `cpu`, `cuda` or `cuda:N`")
                }),
        }
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<DeviceSpec> for String {
    fn from(spec: DeviceSpec) -> Self {
        spec.to_string()
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda => f.write_str("cuda"),
            Self::CudaIndex(i) => write!(f, "cuda:{i}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendName {
    /// libtorch through `burn-tch` (the default: CPU here, CUDA on GPUs).
    Tch,
    /// Burn's pure-Rust CPU backend, for machines without libtorch.
    Flex,
    /// CubeCL CUDA.
    Cuda,
}

impl BackendName {
    /// Every backend, in the order `--backend` lists them.
    pub const ALL: [Self; 3] = [Self::Tch, Self::Flex, Self::Cuda];

    /// The name configs and `--backend` use.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tch => "tch",
            Self::Flex => "flex",
            Self::Cuda => "cuda",
        }
    }
}

impl std::str::FromStr for BackendName {
    type Err = String;

    /// A config's name, or `libtorch` for `tch`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "libtorch" => Ok(Self::Tch),
            _ => Self::ALL
                .into_iter()
                .find(|b| b.as_str() == s)
                .ok_or_else(|| format!("unknown backend `{s}` (known: tch, flex, cuda)")),
        }
    }
}

impl std::fmt::Display for BackendName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// fairseq2 `ModelSection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSection {
    /// Asset name, e.g. `omniASR_CTC_300M`.
    pub name: Option<String>,
    pub family: String,
    /// Architecture preset (`300m`, `1b`, ...) when building without an asset.
    pub arch: Option<String>,
    /// Local checkpoint, overriding the asset's location: a fairseq2 `.pt`, or a dialekt
    /// run's `checkpoints/step_N` (to continue from an earlier run).
    pub path: Option<String>,
    /// Changes to the arch's dimensions, in fairseq2's `Wav2Vec2AsrConfig` field names
    /// (fairseq2's `model.config_overrides`). Without `name` or `path` the model starts
    /// from a seeded random initialisation.
    #[serde(skip_serializing_if = "ModelConfigOverrides::is_empty")]
    pub config_overrides: ModelConfigOverrides,
}

impl Default for ModelSection {
    fn default() -> Self {
        Self {
            name: None,
            family: "wav2vec2_asr".to_owned(),
            arch: None,
            path: None,
            config_overrides: ModelConfigOverrides::default(),
        }
    }
}

/// fairseq2 `Wav2Vec2AsrConfig` fields an experiment may override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfigOverrides {
    #[serde(
        deserialize_with = "super::number::opt_u64_yaml11",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_vocab_size: Option<u64>,
    #[serde(skip_serializing_if = "EncoderConfigOverrides::is_empty")]
    pub encoder_config: EncoderConfigOverrides,
}

impl ModelConfigOverrides {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// fairseq2 `Wav2Vec2EncoderConfig` fields an experiment may override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(clippy::struct_field_names)]
pub struct EncoderConfigOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_dim: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_dim: Option<u64>,
    /// `[output_dim, kernel_size, stride]` per conv layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_extractor_layer_descs: Option<Vec<[u64; 3]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pos_conv_kernel_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_pos_conv_groups: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_encoder_layers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_encoder_attn_heads: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ffn_inner_dim: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_pass_dropout_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ffn_inner_dropout_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_drop_p: Option<f64>,
}

impl EncoderConfigOverrides {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// omnilingual-asr `Wav2Vec2AsrDatasetSection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetSection {
    /// Asset name of the dataset (e.g. `coral_v2_danish`).
    pub name: Option<String>,
    /// Root of the prepared Parquet dataset (dialekt's stand-in for a fairseq2 asset card).
    pub path: Option<String>,
    pub train_split: Option<String>,
    /// Validation split(s), comma-separated without spaces.
    pub valid_split: Option<String>,
    pub storage_mode: StorageMode,
    pub task_mode: TaskMode,
    pub mixture_parquet_storage_config: MixtureParquetStorageConfig,
    pub asr_task_config: AsrTaskConfig,
    /// How transcripts become training targets (dialekt; omniASR normalises at data
    /// preparation, dialekt's prepared data keeps CoRal's text as written).
    pub text_normalization: TextNormalization,
}

/// The transcript normaliser applied before tokenising targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextNormalization {
    /// omnilingual-asr's data-prep `text_normalize(text, "da")` (what its tokenizers saw).
    Omniasr,
    /// CoRal's evaluation normaliser (numerals spelled out, punctuation dropped).
    Coral,
    /// The text as stored.
    None,
}

impl Default for DatasetSection {
    fn default() -> Self {
        Self {
            name: None,
            path: None,
            train_split: Some("train".to_owned()),
            valid_split: Some("dev".to_owned()),
            storage_mode: StorageMode::Manifest,
            task_mode: TaskMode::Asr,
            mixture_parquet_storage_config: MixtureParquetStorageConfig::default(),
            asr_task_config: AsrTaskConfig::default(),
            text_normalization: TextNormalization::Omniasr,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageMode {
    Manifest,
    MixtureParquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskMode {
    Asr,
}

/// omnilingual-asr `MixtureParquetStorageConfig` (the keys a recipe YAML sets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MixtureParquetStorageConfig {
    /// `language_distribution_0.tsv`: hours per (corpus, language), for mixture weights.
    pub dataset_summary_path: Option<String>,
    #[serde(deserialize_with = "super::number::opt_f64_yaml11")]
    pub beta_corpus: Option<f64>,
    #[serde(deserialize_with = "super::number::opt_f64_yaml11")]
    pub beta_language: Option<f64>,
    pub fragment_loading: FragmentLoading,
    /// Seed of the weighted sampling between partitions.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub sampling_seed: u64,
}

impl Default for MixtureParquetStorageConfig {
    fn default() -> Self {
        Self {
            dataset_summary_path: None,
            beta_corpus: None,
            beta_language: None,
            fragment_loading: FragmentLoading::default(),
            sampling_seed: 261,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FragmentLoading {
    /// Memory-map loaded row groups (a memory saver; no effect on results).
    pub cache: bool,
}

impl Default for FragmentLoading {
    fn default() -> Self {
        Self { cache: true }
    }
}

/// omnilingual-asr `AsrTaskConfig` (lengths in samples at 16 kHz).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AsrTaskConfig {
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub min_audio_len: u64,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub max_audio_len: u64,
    pub batching_strategy: BatchingStrategy,
    /// Examples per batch for `STATIC` batching.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub batch_size: u64,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub num_seqs_multiple_of: u64,
    /// Padded samples per batch for `LENGTH` batching.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub max_num_elements: u64,
    #[serde(deserialize_with = "super::number::opt_u64_yaml11")]
    pub max_bucket_size: Option<u64>,
    pub drop_remainder: bool,
    #[serde(deserialize_with = "super::number::opt_u64_yaml11")]
    pub filter_long_text_threshold: Option<u64>,
    pub remove_unknown: bool,
    /// Drop "fast speech": fewer than this many samples per transcript character.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub min_samples_per_char: u64,
    /// Per-utterance zero-mean/unit-variance normalisation of the waveform.
    pub normalize_audio: bool,
    /// Sliding-window example shuffle before bucketing; `1` = off.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub example_shuffle_window: u64,
    /// Sliding-window shuffle of formed batches; `1` = off.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub batch_shuffle_window: u64,
    #[serde(deserialize_with = "super::number::opt_u64_yaml11")]
    pub max_num_batches: Option<u64>,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub num_prefetch: u64,
}

impl Default for AsrTaskConfig {
    fn default() -> Self {
        Self {
            min_audio_len: 1,
            max_audio_len: 800_000,
            batching_strategy: BatchingStrategy::Length,
            batch_size: 8,
            num_seqs_multiple_of: 8,
            max_num_elements: 3_200_000,
            max_bucket_size: None,
            drop_remainder: false,
            filter_long_text_threshold: None,
            remove_unknown: false,
            min_samples_per_char: 160,
            normalize_audio: false,
            // Upstream's dataclass default is 0, which its own assertion rejects; 0 is
            // kept so that resolving an upstream YAML is faithful, and `validate` reports it.
            example_shuffle_window: 0,
            batch_shuffle_window: 1000,
            max_num_batches: None,
            num_prefetch: 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchingStrategy {
    Length,
    Static,
}

/// fairseq2 `TokenizerSection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenizerSection {
    pub name: String,
    /// Local SentencePiece `.model` file, overriding the asset's location.
    pub path: Option<String>,
}

impl Default for TokenizerSection {
    fn default() -> Self {
        Self {
            name: "omniASR_tokenizer".to_owned(),
            path: None,
        }
    }
}

/// fairseq2 `OptimizerSection` with `AdamWConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizerSection {
    pub name: String,
    pub config: AdamWConfig,
}

impl Default for OptimizerSection {
    fn default() -> Self {
        Self {
            name: "adamw".to_owned(),
            config: AdamWConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamWConfig {
    #[serde(deserialize_with = "super::number::f64_yaml11")]
    pub lr: f64,
    pub betas: [f64; 2],
    #[serde(deserialize_with = "super::number::f64_yaml11")]
    pub eps: f64,
    #[serde(deserialize_with = "super::number::f64_yaml11")]
    pub weight_decay: f64,
    pub amsgrad: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            lr: 5e-5,
            betas: [0.9, 0.98],
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
        }
    }
}

/// fairseq2 `LRSchedulerSection` with `TriStageLRConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LrSchedulerSection {
    pub name: String,
    pub config: TriStageLrConfig,
}

impl Default for LrSchedulerSection {
    fn default() -> Self {
        Self {
            name: "tri-stage".to_owned(),
            config: TriStageLrConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TriStageLrConfig {
    /// Fractions of `regime.num_steps` spent warming up, holding and decaying.
    pub stage_ratio: [f64; 3],
    #[serde(deserialize_with = "super::number::f64_yaml11")]
    pub start_lr_scale: f64,
    #[serde(deserialize_with = "super::number::f64_yaml11")]
    pub final_lr_scale: f64,
}

impl Default for TriStageLrConfig {
    fn default() -> Self {
        Self {
            stage_ratio: [0.1, 0.4, 0.5],
            start_lr_scale: 0.01,
            final_lr_scale: 0.05,
        }
    }
}

/// omnilingual-asr `Wav2Vec2AsrTrainerSection` (fairseq2 `TrainerSection`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainerSection {
    /// Only the final projection trains for steps `1..=n`.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub freeze_encoder_for_n_steps: u64,
    pub mixed_precision: MixedPrecisionConfig,
    pub grad_accumulation: GradAccumulationConfig,
    /// `None`: no clipping; the gradient norm is still computed and logged.
    #[serde(deserialize_with = "super::number::opt_f64_yaml11")]
    pub max_grad_norm: Option<f64>,
    /// The conv feature extractor never trains upstream; dialekt's from-scratch demo
    /// turns this off.
    pub freeze_feature_extractor: bool,
}

impl Default for TrainerSection {
    fn default() -> Self {
        Self {
            freeze_encoder_for_n_steps: 10_000,
            mixed_precision: MixedPrecisionConfig::default(),
            grad_accumulation: GradAccumulationConfig::default(),
            max_grad_norm: None,
            freeze_feature_extractor: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MixedPrecisionConfig {
    pub mode: MixedPrecisionMode,
    pub dtype: Dtype,
}

impl Default for MixedPrecisionConfig {
    fn default() -> Self {
        Self {
            mode: MixedPrecisionMode::Static,
            dtype: Dtype::BFloat16,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MixedPrecisionMode {
    Off,
    Static,
    Dynamic,
}

/// A torch dtype, spelled as fairseq2 configs spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dtype {
    #[serde(rename = "torch.float32")]
    Float32,
    #[serde(rename = "torch.bfloat16")]
    BFloat16,
    #[serde(rename = "torch.float16")]
    Float16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradAccumulationConfig {
    /// Micro-batches per optimizer step.
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub num_batches: u64,
}

impl Default for GradAccumulationConfig {
    fn default() -> Self {
        Self { num_batches: 4 }
    }
}

/// fairseq2 `RegimeSection` with omnilingual-asr's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegimeSection {
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub num_steps: u64,
    /// Metric that ranks checkpoints (`wer`: lower is better).
    pub score_metric: String,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub validate_after_n_steps: u64,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub validate_every_n_steps: u64,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub checkpoint_every_n_steps: u64,
    #[serde(deserialize_with = "super::number::u64_yaml11")]
    pub publish_metrics_every_n_steps: u64,
    #[serde(deserialize_with = "super::number::opt_u64_yaml11")]
    pub keep_last_n_checkpoints: Option<u64>,
    #[serde(deserialize_with = "super::number::opt_u64_yaml11")]
    pub keep_best_n_checkpoints: Option<u64>,
}

impl Default for RegimeSection {
    fn default() -> Self {
        Self {
            num_steps: 20_000,
            score_metric: "wer".to_owned(),
            validate_after_n_steps: 10_000,
            validate_every_n_steps: 1_000,
            checkpoint_every_n_steps: 5_000,
            publish_metrics_every_n_steps: 100,
            keep_last_n_checkpoints: None,
            keep_best_n_checkpoints: None,
        }
    }
}
