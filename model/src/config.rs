//! Model dimensions, in fairseq2's own field names, and omniASR's released arch presets.
//!
//! The field names are those of fairseq2's `Wav2Vec2EncoderConfig` / `Wav2Vec2AsrConfig`
//! (`fairseq2/models/wav2vec2/config.py`), so a dimension file written for fairseq2 reads here
//! unchanged. Everything omniASR fixes for all sizes (pre-LN, conv positional encoder, LayerNorm
//! in every feature-extractor layer, conv bias, no masking, attention/residual dropout 0) is not
//! configurable: it is the architecture, not a dimension.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ModelError;

/// omniASR v1 tokenizer (`omniASR_tokenizer_v1`) vocabulary size.
pub const VOCAB_V1: usize = 9812;
/// omniASR v2 tokenizer (`omniASR_tokenizer_written_v2`) vocabulary size.
pub const VOCAB_V2: usize = 10288;

/// One feature-extractor conv layer: `(output_dim, kernel_size, stride)`, as fairseq2 writes it.
pub type LayerDesc = (usize, usize, usize);

/// The dimensions of an omniASR wav2vec2 CTC model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchConfig {
    /// Transformer width (`model_dim`).
    pub model_dim: usize,
    /// Width of the extracted features (`feature_dim`); the last conv layer's output dim.
    pub feature_dim: usize,
    /// The conv feature extractor (`feature_extractor_layer_descs`).
    pub feature_extractor_layer_descs: Vec<LayerDesc>,
    /// Positional conv kernel (`pos_conv_kernel_size`, 128 in every release).
    pub pos_conv_kernel_size: usize,
    /// Positional conv groups (`num_pos_conv_groups`, 16 in every release).
    pub num_pos_conv_groups: usize,
    /// Transformer layers (`num_encoder_layers`).
    pub num_encoder_layers: usize,
    /// Attention heads (`num_encoder_attn_heads`).
    pub num_encoder_attn_heads: usize,
    /// FFN inner width (`ffn_inner_dim`).
    pub ffn_inner_dim: usize,
    /// CTC head size (`target_vocab_size`); index 0 is the blank.
    pub target_vocab_size: usize,
    /// Dropout on the projected features (`first_pass_dropout_p`; 0.0 for 300m, 0.1 above).
    #[serde(default)]
    pub first_pass_dropout_p: f64,
    /// Dropout inside the FFN, after the GELU (`ffn_inner_dropout_p`).
    #[serde(default = "default_dropout")]
    pub ffn_inner_dropout_p: f64,
    /// LayerDrop: probability of skipping a whole layer for the whole batch (`layer_drop_p`).
    #[serde(default = "default_dropout")]
    pub layer_drop_p: f64,
}

fn default_dropout() -> f64 {
    0.1
}

/// The released presets: `(name, model_dim, layers, ffn_inner_dim, first_pass_dropout_p)`.
/// omniASR `models/wav2vec2_asr/config.py` + `wav2vec2_ssl/config.py`; all have 16 heads.
const PRESETS: [(&str, usize, usize, usize, f64); 4] = [
    ("300m", 1024, 24, 4096, 0.0),
    ("1b", 1280, 48, 5120, 0.1),
    ("3b", 2048, 60, 8192, 0.1),
    ("7b", 2048, 128, 8192, 0.1),
];

impl ArchConfig {
    /// An omniASR arch by fairseq2 name: `300m`, `1b`, `3b`, `7b`, or the same with `_v2`
    /// (the v2 tokenizer's 10,288-entry head).
    ///
    /// # Errors
    /// [`ModelError::UnknownArch`] for any other name.
    pub fn preset(name: &str) -> Result<Self, ModelError> {
        let (base, vocab) = match name.strip_suffix("_v2") {
            Some(base) => (base, VOCAB_V2),
            None => (name, VOCAB_V1),
        };
        let (_, model_dim, layers, ffn, first_pass) = PRESETS
            .iter()
            .find(|p| p.0 == base)
            .ok_or_else(|| ModelError::UnknownArch {
                name: name.to_owned(),
                known: Self::preset_names().join(", "),
            })?;
        Ok(Self {
            model_dim: *model_dim,
            feature_dim: 512,
            feature_extractor_layer_descs: standard_feature_extractor(512),
            pos_conv_kernel_size: 128,
            num_pos_conv_groups: 16,
            num_encoder_layers: *layers,
            num_encoder_attn_heads: 16,
            ffn_inner_dim: *ffn,
            target_vocab_size: vocab,
            first_pass_dropout_p: *first_pass,
            ffn_inner_dropout_p: 0.1,
            layer_drop_p: 0.1,
        })
    }

    /// Every name [`Self::preset`] accepts.
    pub fn preset_names() -> Vec<String> {
        PRESETS
            .iter()
            .flat_map(|p| [p.0.to_owned(), format!("{}_v2", p.0)])
            .collect()
    }

    /// A preset name, or a YAML/JSON file of dimensions in fairseq2's field names.
    ///
    /// # Errors
    /// Unknown preset, unreadable or malformed file, or inconsistent dimensions.
    pub fn from_name_or_file(arch: &str) -> Result<Self, ModelError> {
        let path = Path::new(arch);
        if !path.is_file() {
            return Self::preset(arch);
        }
        let text = fs_err::read_to_string(path).map_err(|source| ModelError::ReadArch {
            path: path.to_owned(),
            source,
        })?;
        let parse_error = |message: String| ModelError::ParseArch {
            path: path.to_owned(),
            message,
        };
        let config: Self = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| parse_error(e.to_string()))?
        } else {
            yaml_serde::from_str(&text).map_err(|e| parse_error(e.to_string()))?
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the dimensions fit together (heads divide the width, groups divide it, ...).
    ///
    /// # Errors
    /// [`ModelError::InvalidArch`] naming the first inconsistency.
    pub fn validate(&self) -> Result<(), ModelError> {
        let fail = |m: String| Err(ModelError::InvalidArch(m));
        let Some(last) = self.feature_extractor_layer_descs.last() else {
            return fail("feature_extractor_layer_descs is empty".into());
        };
        if last.0 != self.feature_dim {
            return fail(format!(
                "feature_dim {} differs from the last feature extractor layer's output {}",
                self.feature_dim, last.0
            ));
        }
        if self
            .feature_extractor_layer_descs
            .iter()
            .any(|&(dim, kernel, stride)| dim == 0 || kernel == 0 || stride == 0)
        {
            return fail("feature extractor layers need non-zero dim, kernel and stride".into());
        }
        if self.num_encoder_attn_heads == 0
            || !self.model_dim.is_multiple_of(self.num_encoder_attn_heads)
        {
            return fail(format!(
                "model_dim {} is not divisible by num_encoder_attn_heads {}",
                self.model_dim, self.num_encoder_attn_heads
            ));
        }
        if self.num_pos_conv_groups == 0 || !self.model_dim.is_multiple_of(self.num_pos_conv_groups)
        {
            return fail(format!(
                "model_dim {} is not divisible by num_pos_conv_groups {}",
                self.model_dim, self.num_pos_conv_groups
            ));
        }
        if self.pos_conv_kernel_size == 0 || self.ffn_inner_dim == 0 || self.target_vocab_size == 0
        {
            return fail(
                "pos_conv_kernel_size, ffn_inner_dim and target_vocab_size must be > 0".into(),
            );
        }
        for (name, p) in [
            ("first_pass_dropout_p", self.first_pass_dropout_p),
            ("ffn_inner_dropout_p", self.ffn_inner_dropout_p),
            ("layer_drop_p", self.layer_drop_p),
        ] {
            if !(0.0..1.0).contains(&p) {
                return fail(format!("{name} must be in [0, 1), is {p}"));
            }
        }
        Ok(())
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.model_dim / self.num_encoder_attn_heads
    }

    /// Output frames for a waveform of `samples` samples: fairseq2's per-layer
    /// `floor((len - kernel) / stride + 1)` (`Wav2Vec2FeatureExtractor._contract_seq_lens`).
    /// `None` when the waveform is shorter than the receptive field.
    pub fn frame_length(&self, samples: usize) -> Option<usize> {
        let mut len = samples;
        for &(_, kernel, stride) in &self.feature_extractor_layer_descs {
            if len < kernel {
                return None;
            }
            len = (len - kernel) / stride + 1;
        }
        Some(len)
    }

    /// Trainable parameters, computed from the dimensions alone (nothing is allocated).
    pub fn param_count(&self) -> u64 {
        self.param_breakdown().iter().map(|(_, n)| n).sum()
    }

    /// Parameters per component, in module order (the numbers of research §1.5).
    pub fn param_breakdown(&self) -> Vec<(&'static str, u64)> {
        let u = |x: usize| x as u64;
        let mut input_dim = 1;
        let mut feature_extractor = 0;
        for &(dim, kernel, _) in &self.feature_extractor_layer_descs {
            // conv weight + bias + LayerNorm weight and bias
            feature_extractor += u(dim * input_dim * kernel + 3 * dim);
            input_dim = dim;
        }
        let (d, f, v, k) = (
            u(self.model_dim),
            u(self.ffn_inner_dim),
            u(self.target_vocab_size),
            u(self.pos_conv_kernel_size),
        );
        let layer = 4 * d + 4 * (d * d + d) + (d * f + f) + (f * d + d);
        vec![
            ("feature_extractor", feature_extractor),
            ("post_extract_layer_norm", 2 * u(self.feature_dim)),
            ("model_dim_proj", u(self.feature_dim) * d + d),
            (
                "pos_encoder",
                d * (d / u(self.num_pos_conv_groups)) * k + k + d,
            ),
            ("encoder.layers", u(self.num_encoder_layers) * layer),
            ("encoder.layer_norm", 2 * d),
            ("final_proj", d * v + v),
        ]
    }
}

/// wav2vec2's waveform encoder: `(dim, 10, 5)`, 4 × `(dim, 3, 2)`, 2 × `(dim, 2, 2)`;
/// total stride 320 (20 ms at 16 kHz), receptive field 400 samples.
pub fn standard_feature_extractor(dim: usize) -> Vec<LayerDesc> {
    let mut descs = vec![(dim, 10, 5)];
    descs.extend([(dim, 3, 2); 4]);
    descs.extend([(dim, 2, 2); 2]);
    descs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_param_counts_match_the_readme() {
        // omnilingual-asr README table; research omnilingual.md §1.5.
        let expected = [
            ("300m", 325_494_996),
            ("1b", 975_065_300),
            ("3b", 3_080_423_636),
            ("7b", 6_504_786_132),
            ("300m_v2", 325_982_896),
        ];
        for (name, count) in expected {
            assert_eq!(
                ArchConfig::preset(name).unwrap().param_count(),
                count,
                "{name}"
            );
        }
    }

    #[test]
    fn breakdown_of_300m_matches_research() {
        let b = ArchConfig::preset("300m").unwrap().param_breakdown();
        let get = |n: &str| b.iter().find(|(k, _)| *k == n).unwrap().1;
        assert_eq!(get("feature_extractor"), 4_210_176);
        assert_eq!(get("pos_encoder"), 8_389_760);
        assert_eq!(get("encoder.layers"), 24 * 12_596_224);
        assert_eq!(get("final_proj"), 10_057_300);
    }

    #[test]
    fn frame_lengths_follow_the_floor_formula() {
        let arch = ArchConfig::preset("300m").unwrap();
        assert_eq!(arch.frame_length(399), None);
        assert_eq!(arch.frame_length(400), Some(1));
        assert_eq!(arch.frame_length(16_000), Some(49));
        assert_eq!(arch.frame_length(64_000), Some(199));
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let err = ArchConfig::preset("500m").unwrap_err().to_string();
        assert!(err.contains("300m_v2") && err.contains("7b"), "{err}");
    }

    #[test]
    fn dimension_file_uses_fairseq2_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("arch.yaml");
        let text = "model_dim: 32\nfeature_dim: 16\nfeature_extractor_layer_descs: [[16, 10, 5], [16, 3, 2]]\npos_conv_kernel_size: 16\nnum_pos_conv_groups: 4\nnum_encoder_layers: 2\nnum_encoder_attn_heads: 4\nffn_inner_dim: 64\ntarget_vocab_size: 12\n";
        fs_err::write(&path, text).unwrap();
        let arch = ArchConfig::from_name_or_file(path.to_str().unwrap()).unwrap();
        assert_eq!(arch.feature_extractor_layer_descs[1], (16, 3, 2));
        assert!((arch.layer_drop_p - 0.1).abs() < 1e-12);
        fs_err::write(&path, text.replace("ffn_inner_dim", "ffn_dim")).unwrap();
        assert!(ArchConfig::from_name_or_file(path.to_str().unwrap()).is_err());
    }
}
