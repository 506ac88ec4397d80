//! The pre-LN Transformer encoder with LayerDrop.
//!
//! fairseq2 `models/transformer/{encoder,encoder_layer,ffn}.py` as omniASR configures them
//! (`norm_order=PRE`, residual and attention dropout 0, FFN inner dropout, final LayerNorm).

use burn::module::{Flag, Module, Param};
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Bool, Device, Tensor};

use super::attention::MultiheadAttention;
use super::config::ArchConfig;

/// `Linear → GELU (exact erf) → Dropout → Linear`; fairseq2 name `ffn`.
#[derive(Module, Debug)]
pub struct FeedForward {
    pub inner_proj: Linear,
    pub inner_dropout: Dropout,
    pub output_proj: Linear,
}

impl FeedForward {
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let inner = gelu(self.inner_proj.forward(x));
        self.output_proj.forward(self.inner_dropout.forward(inner))
    }
}

/// `x + MHA(LN(x))`, then `x + FFN(LN(x))`; fairseq2 `StandardTransformerEncoderLayer`.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub self_attn_layer_norm: LayerNorm,
    pub self_attn: MultiheadAttention,
    pub ffn_layer_norm: LayerNorm,
    pub ffn: FeedForward,
}

impl EncoderLayer {
    pub fn forward(&self, x: Tensor<3>, key_padding: &Tensor<4, Bool>) -> Tensor<3> {
        let attn = self
            .self_attn
            .forward(self.self_attn_layer_norm.forward(x.clone()), key_padding);
        let x = x + attn;
        let ffn = self.ffn.forward(self.ffn_layer_norm.forward(x.clone()));
        x + ffn
    }
}

/// fairseq2 name `encoder`.
#[derive(Module, Debug)]
pub struct Encoder {
    pub layers: Vec<EncoderLayer>,
    /// The final LayerNorm that pre-LN stacks need.
    pub layer_norm: LayerNorm,
    pub layer_drop_p: f64,
    /// Training mode for LayerDrop; cleared by `Module::valid`/`freeze` like `Dropout`'s.
    pub training: Param<Flag>,
}

impl Encoder {
    pub fn new(arch: &ArchConfig, device: &Device) -> Self {
        let (d, f) = (arch.model_dim, arch.ffn_inner_dim);
        let layers = (0..arch.num_encoder_layers)
            .map(|_| EncoderLayer {
                self_attn_layer_norm: LayerNormConfig::new(d).init(device),
                self_attn: MultiheadAttention::new(d, arch.num_encoder_attn_heads, device),
                ffn_layer_norm: LayerNormConfig::new(d).init(device),
                ffn: FeedForward {
                    inner_proj: LinearConfig::new(d, f).init(device),
                    inner_dropout: DropoutConfig::new(arch.ffn_inner_dropout_p).init(),
                    output_proj: LinearConfig::new(f, d).init(device),
                },
            })
            .collect();
        Self {
            layers,
            layer_norm: LayerNormConfig::new(d).init(device),
            layer_drop_p: arch.layer_drop_p,
            training: Param::from_bool(true),
        }
    }

    /// Whether LayerDrop applies: training flag set and a backward pass possible.
    pub fn is_training(&self, device: &Device) -> bool {
        self.training.is_enabled() && device.is_autodiff() && self.layer_drop_p > 0.0
    }

    /// Which layers to skip for one forward pass, from one uniform draw per layer.
    ///
    /// fairseq2 `_drop_iter`: `torch.rand(num_layers)`, a layer is dropped when `u <= p`, for
    /// the whole batch. The draws come from the caller so that a resumed run can replay them.
    pub fn layer_drop_decisions(&self, uniforms: &[f64]) -> Vec<bool> {
        uniforms.iter().map(|&u| u <= self.layer_drop_p).collect()
    }

    /// `dropped[i]` skips layer `i` (LayerDrop); an empty slice runs every layer.
    pub fn forward(
        &self,
        mut x: Tensor<3>,
        key_padding: &Tensor<4, Bool>,
        dropped: &[bool],
    ) -> Tensor<3> {
        for (i, layer) in self.layers.iter().enumerate() {
            // fairseq2 still computes a dropped layer (for DDP) and discards it; skipping it is
            // the same function and gradient, for less work.
            if dropped.get(i).copied().unwrap_or(false) {
                continue;
            }
            x = layer.forward(x, key_padding);
        }
        self.layer_norm.forward(x)
    }
}
