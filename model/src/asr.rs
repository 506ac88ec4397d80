//! The whole CTC model: frontend → Transformer encoder → `final_proj` over the vocabulary.
//!
//! fairseq2 `models/wav2vec2/{frontend.py, asr/model.py}` (`Wav2Vec2AsrModel.forward`). Field
//! names are fairseq2's module names, so a parameter's burn path is its checkpoint key up to the
//! renames in [`super::weights`].

use burn::module::{Flag, Module, ModuleMapper, Param, ParamId};
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Tensor, TensorData};

use super::ModelError;
use super::config::ArchConfig;
use super::encoder::Encoder;
use super::feature_extractor::FeatureExtractor;
use super::pos_encoder::PositionEncoder;

/// fairseq2 name `encoder_frontend` (`Wav2Vec2Frontend`; no masker, no frontend LayerNorm).
#[derive(Module, Debug)]
pub struct Frontend {
    pub feature_extractor: FeatureExtractor,
    pub post_extract_layer_norm: LayerNorm,
    pub model_dim_proj: Linear,
    pub first_pass_dropout: Dropout,
    pub pos_encoder: PositionEncoder,
}

/// omniASR's wav2vec2 CTC model (`Wav2Vec2AsrModel`).
#[derive(Module, Debug)]
pub struct Wav2Vec2Asr {
    pub encoder_frontend: Frontend,
    pub encoder: Encoder,
    pub final_proj: Linear,
}

/// A padded batch of waveforms (16 kHz, mono, already normalised per utterance).
#[derive(Debug, Clone)]
pub struct AudioBatch {
    /// `[batch, max_samples]`, zero-padded.
    pub waveforms: Tensor<2>,
    /// Valid samples per utterance.
    pub lengths: Vec<usize>,
}

impl AudioBatch {
    /// Pads `utterances` with zeros into one batch on `device`.
    pub fn from_waveforms(utterances: &[Vec<f32>], device: &Device) -> Self {
        let lengths: Vec<usize> = utterances.iter().map(Vec::len).collect();
        let width = lengths.iter().copied().max().unwrap_or(0);
        let mut data = vec![0.0f32; utterances.len() * width];
        for (row, wav) in data.chunks_mut(width.max(1)).zip(utterances) {
            row[..wav.len()].copy_from_slice(wav);
        }
        let waveforms = Tensor::from_data(TensorData::new(data, [utterances.len(), width]), device);
        Self { waveforms, lengths }
    }
}

/// Logits and how many of their frames are valid per utterance.
#[derive(Debug, Clone)]
pub struct CtcOutput {
    /// `[batch, frames, vocab]`; frames past `frame_lengths[i]` are padding.
    pub logits: Tensor<3>,
    pub frame_lengths: Vec<usize>,
}

impl CtcOutput {
    /// Each utterance's logits over its valid frames, row-major `[frames_i, vocab]` in f32:
    /// what host-side consumers (the beam decoder, `transcribe --emit-logits`) read.
    pub fn valid_logits(&self) -> Vec<Vec<f32>> {
        let [_, frames, vocab] = self.logits.dims();
        let all = self.logits.clone().into_data().convert::<f32>();
        let all = all.as_slice::<f32>().unwrap_or_default();
        self.frame_lengths
            .iter()
            .enumerate()
            .map(|(b, &length)| {
                let start = b * frames * vocab;
                all.get(start..start + length.min(frames) * vocab)
                    .unwrap_or_default()
                    .to_vec()
            })
            .collect()
    }
}

impl Wav2Vec2Asr {
    /// A randomly initialised model; parameters are allocated lazily, so building one only to
    /// load a checkpoint into it costs nothing.
    ///
    /// # Errors
    /// [`ModelError::InvalidArch`] when the dimensions do not fit together.
    pub fn new(arch: &ArchConfig, device: &Device) -> Result<Self, ModelError> {
        arch.validate()?;
        Ok(Self {
            encoder_frontend: Frontend {
                feature_extractor: FeatureExtractor::new(arch, device),
                post_extract_layer_norm: LayerNormConfig::new(arch.feature_dim).init(device),
                model_dim_proj: LinearConfig::new(arch.feature_dim, arch.model_dim).init(device),
                first_pass_dropout: DropoutConfig::new(arch.first_pass_dropout_p).init(),
                pos_encoder: PositionEncoder::new(arch, device),
            },
            encoder: Encoder::new(arch, device),
            final_proj: LinearConfig::new(arch.model_dim, arch.target_vocab_size).init(device),
        })
    }

    /// Turns dropout and LayerDrop on or off while keeping gradients (torch's
    /// `train()`/`eval()`); `Module::valid` instead also drops autodiff.
    #[must_use]
    pub fn with_stochastic_layers(self, enabled: bool) -> Self {
        self.map(&mut SetFlags(enabled))
    }

    /// Numbers the parameters `1, 2, ...` in module order. burn draws parameter ids at
    /// random, and they are stored in checkpoints and key the optimizer state, so without
    /// this two identical runs would write checkpoints with different bytes (and hashes).
    #[must_use]
    pub fn with_deterministic_ids(self) -> Self {
        self.map(&mut NumberParams(0))
    }

    /// Forward pass with every layer; LayerDrop off (inference, parity tests).
    ///
    /// # Errors
    /// [`ModelError::TooShort`] when an utterance yields no frame.
    pub fn forward(&self, arch: &ArchConfig, batch: &AudioBatch) -> Result<CtcOutput, ModelError> {
        self.forward_with_layer_drop(arch, batch, &[])
    }

    /// Forward pass skipping the layers marked in `dropped` (see
    /// [`Encoder::layer_drop_decisions`]); FFN dropout follows the training flag.
    ///
    /// # Errors
    /// [`ModelError::TooShort`] when an utterance yields no frame.
    pub fn forward_with_layer_drop(
        &self,
        arch: &ArchConfig,
        batch: &AudioBatch,
        dropped: &[bool],
    ) -> Result<CtcOutput, ModelError> {
        let frame_lengths = batch
            .lengths
            .iter()
            .map(|&n| {
                arch.frame_length(n)
                    .ok_or(ModelError::TooShort { samples: n })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let frontend = &self.encoder_frontend;
        let features = frontend.feature_extractor.forward(batch.waveforms.clone());
        let [n, frames, _] = features.dims();
        let device = features.device();
        let features = frontend.post_extract_layer_norm.forward(features);
        let x = frontend
            .first_pass_dropout
            .forward(frontend.model_dim_proj.forward(features));
        let (valid, key_padding) = masks(&frame_lengths, n, frames, &device);
        let x = frontend.pos_encoder.forward(x, valid);
        let x = self.encoder.forward(x, &key_padding, dropped);
        Ok(CtcOutput {
            logits: self.final_proj.forward(x),
            frame_lengths,
        })
    }
}

/// Sets every training flag (dropout, LayerDrop) of a module tree.
struct SetFlags(bool);

impl ModuleMapper for SetFlags {
    fn map_flag(&mut self, flag: Param<Flag>) -> Param<Flag> {
        flag.with_value(self.0)
    }
}

/// Gives parameters sequential ids.
struct NumberParams(u64);

impl ModuleMapper for NumberParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.0 += 1;
        let (_, value, mapper) = param.consume();
        Param::from_mapped_value(ParamId::from(self.0), value, mapper)
    }
}

/// `[N, S, 1]` float (1 = valid frame) and `[N, 1, 1, S]` bool (true = padding) masks.
fn masks(
    frame_lengths: &[usize],
    batch: usize,
    frames: usize,
    device: &Device,
) -> (Tensor<3>, Tensor<4, Bool>) {
    let mut valid = Vec::with_capacity(batch * frames);
    for &len in frame_lengths {
        valid.extend((0..frames).map(|t| t < len));
    }
    let padding: Vec<bool> = valid.iter().map(|v| !v).collect();
    let valid_f: Vec<f32> = valid.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect();
    (
        Tensor::from_data(TensorData::new(valid_f, [batch, frames, 1]), device),
        Tensor::from_data(TensorData::new(padding, [batch, 1, 1, frames]), device),
    )
}
