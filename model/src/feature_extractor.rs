//! wav2vec2's waveform encoder: a stack of strided convs, each `conv → LayerNorm → GELU`.
//!
//! fairseq2 `models/wav2vec2/feature_extractor.py` (`Wav2Vec2FeatureExtractor` with
//! `layer_norm=True, bias=True`, as omniASR's `large_lv60k`-derived archs set it). The recipe
//! always freezes this part; it still takes part in the forward pass.

use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{LayerNorm, LayerNormConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};

use super::config::ArchConfig;

/// One layer; fairseq2 names `conv` and `layer_norm`.
#[derive(Module, Debug)]
pub struct FeatureExtractionLayer {
    pub conv: Conv1d,
    /// LayerNorm over the channels of every frame (fairseq2 computes it in fp32: `cast_fp32`).
    pub layer_norm: LayerNorm,
}

/// The conv stack; fairseq2 name `feature_extractor`.
#[derive(Module, Debug)]
pub struct FeatureExtractor {
    pub layers: Vec<FeatureExtractionLayer>,
}

impl FeatureExtractor {
    /// Lazily initialised: parameters are only allocated when read (or replaced on load).
    pub fn new(arch: &ArchConfig, device: &Device) -> Self {
        let mut input_dim = 1;
        let layers = arch
            .feature_extractor_layer_descs
            .iter()
            .map(|&(dim, kernel, stride)| {
                let layer = FeatureExtractionLayer {
                    conv: Conv1dConfig::new(input_dim, dim, kernel)
                        .with_stride(stride)
                        .init(device),
                    layer_norm: LayerNormConfig::new(dim).init(device),
                };
                input_dim = dim;
                layer
            })
            .collect();
        Self { layers }
    }

    /// `[batch, samples]` waveforms → `[batch, frames, feature_dim]` features.
    ///
    /// Padding is not masked here, as in fairseq2: a valid frame's receptive field only covers
    /// valid samples, so padding never reaches a frame inside the utterance's frame length.
    pub fn forward(&self, waveforms: Tensor<2>) -> Tensor<3> {
        // [N, S] -> [N, 1, S]
        let mut x = waveforms.unsqueeze_dim::<3>(1);
        for layer in &self.layers {
            x = layer.conv.forward(x);
            // LayerNorm over channels: [N, C, S] -> [N, S, C] and back.
            let normed = layer.layer_norm.forward(x.swap_dims(1, 2));
            x = gelu(normed).swap_dims(1, 2);
        }
        x.swap_dims(1, 2)
    }
}
