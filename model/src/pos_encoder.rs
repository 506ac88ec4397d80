//! The convolutional relative position encoder, with weight normalisation written out.
//!
//! fairseq2 `models/wav2vec2/position_encoder.py` (`Wav2Vec2PositionEncoder`): a grouped conv
//! (kernel 128, 16 groups, padding 64) whose weight is `torch.nn.utils.weight_norm(dim=2)`,
//! i.e. `w = g * v / ||v||` with the norm over dims (0, 1) for every kernel tap. Burn has no
//! weight norm, and keeping `g` and `v` as the parameters (instead of folding them) trains them
//! exactly like fairseq2 and round-trips the checkpoint keys `weight_g`/`weight_v`.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::activation::gelu;
use burn::tensor::module::conv1d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};

use super::config::ArchConfig;

/// A weight-normed grouped conv; fairseq2 name `conv` with params `weight_g`, `weight_v`, `bias`.
#[derive(Module, Debug)]
pub struct WeightNormConv1d {
    /// `[1, 1, kernel]`: one magnitude per kernel tap.
    pub weight_g: Param<Tensor<3>>,
    /// `[out, in / groups, kernel]`: the direction.
    pub weight_v: Param<Tensor<3>>,
    pub bias: Param<Tensor<1>>,
    pub groups: usize,
}

impl WeightNormConv1d {
    /// The effective conv weight `g * v / ||v||`.
    pub fn weight(&self) -> Tensor<3> {
        let v = self.weight_v.val();
        let norm = v.clone().square().sum_dim(0).sum_dim(1).sqrt();
        v * (self.weight_g.val() / norm)
    }
}

/// fairseq2 name `pos_encoder`.
#[derive(Module, Debug)]
pub struct PositionEncoder {
    pub conv: WeightNormConv1d,
}

impl PositionEncoder {
    pub fn new(arch: &ArchConfig, device: &Device) -> Self {
        let (dim, kernel, groups) = (
            arch.model_dim,
            arch.pos_conv_kernel_size,
            arch.num_pos_conv_groups,
        );
        // fairseq2's init: v ~ N(0, sqrt(4 / (kernel * dim))), g = ||v||, bias 0.
        let std = (4.0 / (kernel * dim) as f64).sqrt();
        let weight_v =
            Initializer::Normal { mean: 0.0, std }.init([dim, dim / groups, kernel], device);
        let weight_g = Initializer::Constant {
            value: std * ((dim * dim / groups) as f64).sqrt(),
        }
        .init([1, 1, kernel], device);
        Self {
            conv: WeightNormConv1d {
                weight_g,
                weight_v,
                bias: Initializer::Zeros.init([dim], device),
                groups,
            },
        }
    }

    /// `x + GELU(conv(x))` for `[batch, frames, dim]` input; `valid` is `[batch, frames, 1]`,
    /// 1.0 on valid frames and 0.0 on padding.
    pub fn forward(&self, x: Tensor<3>, valid: Tensor<3>) -> Tensor<3> {
        let [_, frames, _] = x.dims();
        // Padded frames must be zero before the conv, or noise leaks into the valid ones.
        let x = x * valid;
        let weight = self.conv.weight();
        let kernel = weight.dims()[2];
        let options = ConvOptions::new([1], [kernel / 2], [1], self.conv.groups);
        let encoded = conv1d(
            x.clone().swap_dims(1, 2),
            weight,
            Some(self.conv.bias.val()),
            options,
        );
        // An even kernel yields one frame too many: drop the last (fairseq2 `remove_pad`).
        let encoded = encoded.narrow(2, 0, frames);
        x + gelu(encoded).swap_dims(1, 2)
    }
}
